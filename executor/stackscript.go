package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stackplan/stackplan/executor/devstack"
	"github.com/stackplan/stackplan/plan"
)

// This file is apply with --devstack: DevStack's own stack.sh, unstack.sh
// and clean.sh run, unmodified, from the user's DevStack checkout, after the
// clone stage; stackplan watches each hook they source and checks it
// against the plan as it happens.

// scriptOf is the DevStack script that runs a lifecycle.
func scriptOf(lc plan.Lifecycle) string { return string(lc) + ".sh" }

// ScriptEvent reports one DevStack script.
type ScriptEvent struct {
	Name      string // "stack.sh", "unstack.sh", "clean.sh"
	Lifecycle plan.Lifecycle
	// Index and Total count the scripts this apply runs.
	Index, Total int
	Start, End   time.Time
	ExitCode     int
	Err          error
	// Rerun, at the start, says what runs again after an apply that
	// stopped during this script.
	Rerun string
}

// ScriptResult is one DevStack script's outcome and timing.
type ScriptResult struct {
	Name       string
	Start, End time.Time
	ExitCode   int
}

// DivergenceError is returned when DevStack did not do what the plan says:
// a hook the plan did not predict, one it predicted that never ran, or a
// different order. Each entry names both sides.
type DivergenceError struct {
	Script      string
	Divergences []string
}

func (e *DivergenceError) Error() string {
	return fmt.Sprintf("%s did not do what the plan says (%d difference(s)):\n  - %s", e.Script, len(e.Divergences), strings.Join(e.Divergences, "\n  - "))
}

// ScriptError is a DevStack script that failed.
type ScriptError struct {
	Script   string
	ExitCode int
	// StepID is the plugin hook or merge that was running, or "".
	StepID string
	Plugin string
	// Where is the last line DevStack traced before it failed
	// ("./stack.sh:1006 (main): pip_install_gr python-openstackclient")
	// and DevStack's own error message, when it printed one.
	Where, Message string
	// Tail is the last lines of DevStack's output, secrets masked.
	Tail []string
}

func (e *ScriptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed with exit status %d", e.Script, e.ExitCode)
	switch {
	case e.StepID != "":
		fmt.Fprintf(&b, " in step %s (plugin %s)", e.StepID, e.Plugin)
	case e.Where != "":
		fmt.Fprintf(&b, " outside the plugins' hooks, at %s", e.Where)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, "\nDevStack said: %s", e.Message)
	}
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "\nlast lines of DevStack's output:\n  %s", strings.Join(e.Tail, "\n  "))
	}
	fmt.Fprintf(&b, "\nDevStack cannot resume in the middle of a script: applying again runs %s again from its start (the checkouts are kept).", e.Script)
	return b.String()
}

// checkDevstack refuses, before anything runs, what would make DevStack
// stack something other than the plan: a DevStack checkout without the
// scripts, a step selection (a script cannot run one step), another DEST,
// a local.conf in the checkout that is not the one the plan was compiled
// from, or a legacy localrc there, which DevStack would read instead.
func (a *applier) checkDevstack(lcs []plan.Lifecycle) error {
	o := a.opts
	dir := o.DevstackDir
	for _, lc := range lcs {
		if st, err := os.Stat(filepath.Join(dir, scriptOf(lc))); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("--devstack %s: no %s there; give the DevStack checkout you stack with", dir, scriptOf(lc))
		}
	}
	if o.Step != "" || o.From != "" || o.To != "" {
		return errors.New("--step, --from and --to cannot be used with --devstack: DevStack runs a whole script, from its start")
	}
	if o.Dest != "" && filepath.Clean(o.Dest) != a.p.Dest {
		return fmt.Errorf("--dest %s cannot be used with --devstack: DevStack takes DEST from local.conf (%s)", o.Dest, a.p.Dest)
	}
	if _, err := os.Lstat(filepath.Join(dir, "localrc")); err == nil {
		return fmt.Errorf("%s exists: DevStack would read it instead of the [[local|localrc]] section the plan was compiled from; move it away", filepath.Join(dir, "localrc"))
	}
	if o.Only == "clone" {
		return nil
	}
	if o.LocalConf == nil {
		return errors.New("--devstack needs the local.conf the plan was compiled from")
	}
	target := filepath.Join(dir, "local.conf")
	have, err := os.ReadFile(target)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case !bytes.Equal(have, o.LocalConf):
		return fmt.Errorf("%s differs from the configuration the plan was compiled from, and DevStack reads %s: apply that file instead (stackplan apply --devstack %s %s), or replace it with yours (or remove it and stackplan writes it)", target, target, dir, target)
	}
	// Hooks DevStack would source through a symbolic link out of their
	// checkout: stackplan refuses them in plugin-development mode, and
	// cannot stop DevStack, so it refuses to start it.
	for _, s := range a.p.Steps {
		if rel := hookFile(s.Kind); rel != "" && slices.Contains(lcs, s.Lifecycle) {
			if _, _, err := pluginFile(a.dirs[s.Plugin], rel); err != nil {
				return &StepError{StepID: s.ID, Plugin: s.Plugin, Err: err}
			}
		}
	}
	return nil
}

// writeLocalConf puts the plan's local.conf where DevStack reads it, when
// there is none (checkDevstack refused a different one). It is written
// owner-only: it holds passwords.
func (a *applier) writeLocalConf() error {
	target := filepath.Join(a.opts.DevstackDir, "local.conf")
	if _, err := os.Stat(target); err == nil {
		return nil
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(a.opts.LocalConf); err != nil {
		f.Close()
		return err
	}
	a.logf("wrote %s, the configuration the plan was compiled from", target)
	return f.Close()
}

// runScripts runs the selected lifecycles' scripts in plan order. A
// lifecycle whose steps the journal has all done is passed over.
func (a *applier) runScripts(ctx context.Context, lcs []plan.Lifecycle, run map[string]bool, total int, index *int) error {
	var todo []plan.Lifecycle
	for _, lc := range plan.Lifecycles {
		if slices.Contains(lcs, lc) && slices.ContainsFunc(a.p.StepsOf(lc), func(s plan.Step) bool { return s.Kind != plan.KindClone && run[s.ID] }) {
			todo = append(todo, lc)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := a.writeLocalConf(); err != nil {
		return err
	}
	work := filepath.Join(a.state, "run")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	for i, lc := range todo {
		if err := a.runScript(ctx, lc, i+1, len(todo), total, index, work); err != nil {
			return err
		}
	}
	return nil
}

// runScript runs one lifecycle's script and watches it.
func (a *applier) runScript(ctx context.Context, lc plan.Lifecycle, n, of, total int, index *int, work string) error {
	ev := ScriptEvent{Name: scriptOf(lc), Lifecycle: lc, Index: n, Total: of, Start: a.now()}
	a.jmu.Lock()
	switch stopped := a.journal.Running; {
	case stopped == runningMarker(lc):
		ev.Rerun = fmt.Sprintf("the last apply stopped in %s, outside the plugins' hooks; DevStack cannot resume in the middle of a script, so %s runs again from its start", ev.Name, ev.Name)
	case strings.HasPrefix(stopped, string(lc)+":"):
		ev.Rerun = fmt.Sprintf("the last apply stopped during %s; DevStack cannot resume in the middle of a script, so %s runs again from its start", stopped, ev.Name)
	}
	a.jmu.Unlock()
	a.startLifecycle(lc)
	w := a.newScriptWatch(lc, total, index)
	a.hooks.ScriptStart(ev)
	a.logf("%s: start in %s", ev.Name, a.opts.DevstackDir)
	a.setRunning(runningMarker(lc))

	out := &lineTail{keep: 40}
	code, err := devstack.Script{
		Dir:     a.opts.DevstackDir,
		Name:    ev.Name,
		Env:     a.opts.Env,
		WorkDir: work,
		Output: func(b []byte) {
			masked := a.devstackOutput(b)
			out.write(masked)
			w.output(masked)
		},
		Event:   w.event,
		Started: a.lock.recordScriptGroup,
		// The secrets a plugin's hooks define are masked from then on.
		Secret: isSecretVariable,
		Learn: func(values []string) {
			for _, v := range values {
				a.red.add(v)
			}
		},
	}.Run(ctx)
	a.lock.clearScriptGroup()
	a.flushDevstackOutput(out)
	ev.End, ev.ExitCode = a.now(), code
	a.res.Scripts = append(a.res.Scripts, ScriptResult{Name: ev.Name, Start: ev.Start, End: ev.End, ExitCode: code})

	stepErr := w.finish(code)
	switch {
	case err != nil:
	case ctx.Err() != nil:
		err = fmt.Errorf("%s interrupted: %w", ev.Name, ctx.Err())
	case code != 0:
		serr := &ScriptError{Script: ev.Name, ExitCode: code, Tail: out.lines()}
		if stepErr != nil {
			serr.StepID, serr.Plugin = stepErr.StepID, stepErr.Plugin
		}
		serr.Where, serr.Message = failurePoint(out.lines())
		err = serr
	case len(w.divergences) > 0:
		err = &DivergenceError{Script: ev.Name, Divergences: w.divergences}
	}
	ev.Err = err
	a.logf("%s: exit status %d (%s)", ev.Name, code, ev.End.Sub(ev.Start).Round(time.Millisecond))
	if err != nil {
		a.logf("%s: %v", ev.Name, err)
	} else {
		// Hooks whose files the checkouts lack are done too: DevStack
		// passes over them, as the plan's order check expected.
		for _, s := range a.p.StepsOf(lc) {
			if s.Kind != plan.KindClone {
				a.markDoneQuiet(s.ID, 0)
			}
		}
		a.markDone("", 0, "")
	}
	a.hooks.ScriptEnd(ev)
	return err
}

// runningMarker is the journal's Running while a script runs between
// steps.
func runningMarker(lc plan.Lifecycle) string { return string(lc) + ":" + scriptOf(lc) }

// startLifecycle forgets, in the journal, that the other lifecycles ran:
// after unstack or clean the stack is no longer applied, and a new stack
// makes an earlier unstack stale. Clones stay done.
func (a *applier) startLifecycle(lc plan.Lifecycle) {
	a.jmu.Lock()
	for _, s := range a.p.Steps {
		if s.Lifecycle != lc && s.Kind != plan.KindClone {
			delete(a.journal.Done, s.ID)
		}
	}
	a.jmu.Unlock()
}

// markDoneQuiet records a finished step without writing the journal.
func (a *applier) markDoneQuiet(id string, code int) {
	a.jmu.Lock()
	a.journal.Done[id] = JournalStep{Finished: a.now(), ExitCode: code}
	a.jmu.Unlock()
}

// devstackOutput masks a piece of DevStack's output and writes it to the
// apply's log; DevStack's output does not go to the terminal, which shows
// the steps. It returns the masked complete lines.
func (a *applier) devstackOutput(b []byte) []byte {
	a.curMu.Lock()
	ready := a.completeLines("devstack", b)
	a.curMu.Unlock()
	if len(ready) == 0 {
		return nil
	}
	masked := []byte(a.mask(string(ready)))
	a.logMu.Lock()
	if a.log != nil {
		a.log.Write(masked)
	}
	a.logMu.Unlock()
	return masked
}

func (a *applier) flushDevstackOutput(t *lineTail) {
	a.curMu.Lock()
	rest := a.pending["devstack"]
	a.pending["devstack"] = nil
	a.curMu.Unlock()
	if len(rest) > 0 {
		t.write(a.devstackOutput(append(rest, '\n')))
	}
}

// lineTail keeps the last lines written to it.
type lineTail struct {
	mu   sync.Mutex
	keep int
	tail []string
}

func (t *lineTail) write(b []byte) {
	if len(b) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		t.tail = append(t.tail, strings.TrimRight(l, "\r"))
	}
	if over := len(t.tail) - t.keep; over > 0 {
		t.tail = append(t.tail[:0], t.tail[over:]...)
	}
}

func (t *lineTail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.tail)
}

// xtraceLine matches a line bash traced under DevStack's PS4
// ('+ $(short_source):   '): the file, function and line, then the
// command; DevStack's outfilter may have put a timestamp before it.
var xtraceLine = regexp.MustCompile(`(?:^|\| )\++ (\S+?):(\S+?):(\d+)\s*:\s*(.*)$`)

// dieLine matches DevStack's die: "[ERROR] FILE:LINE message".
var dieLine = regexp.MustCompile(`\[ERROR\] (.*)$`)

// failurePoint finds, in the last lines of a failed script's output, the
// last command DevStack traced and its own error message.
func failurePoint(lines []string) (where, message string) {
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if message == "" {
			if m := dieLine.FindStringSubmatch(l); m != nil {
				message = m[1]
			}
		}
		if where == "" {
			if m := xtraceLine.FindStringSubmatch(l); m != nil {
				where = fmt.Sprintf("%s:%s (%s): %s", m[1], m[3], m[2], m[4])
			}
		}
	}
	return where, message
}
