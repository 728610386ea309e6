package executor

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stackplan/stackplan/executor/devstack"
	"github.com/stackplan/stackplan/plan"
)

// scriptWatch follows one DevStack script through its watch events: it
// reports each plan step as DevStack starts and ends it, and checks the
// order against the plan as it goes. This is differential testing of the
// plan against DevStack, on every run.
type scriptWatch struct {
	a     *applier
	lc    plan.Lifecycle
	total int
	index *int

	mu sync.Mutex
	// expected is what the plan says this script does, in order: its
	// steps, less the hooks whose files the checkouts lack (DevStack tests
	// each with -f and passes over it).
	expected []plan.Step
	at       map[string]int       // step key -> index in expected
	planned  map[string]plan.Step // step key -> every step of the lifecycle
	started  []bool
	last     int // the furthest expected step started
	open     *StepEvent
	// skipped are the merge groups DevStack stopped merging
	// (an undefined file name): their remaining merges are not expected.
	skipped map[string]bool
	// checkouts are the directories the clone stage made, by path.
	checkouts   map[string]preparedCheckout
	divergences []string
	// failed is the step that ended with a non-zero status in stack.sh.
	failed *StepError
}

func (a *applier) newScriptWatch(lc plan.Lifecycle, total int, index *int) *scriptWatch {
	w := &scriptWatch{a: a, lc: lc, total: total, index: index, at: map[string]int{}, planned: map[string]plan.Step{},
		last: -1, skipped: map[string]bool{}, checkouts: preparedCheckouts(a)}
	for _, s := range a.p.StepsOf(lc) {
		if s.Kind == plan.KindClone {
			continue
		}
		w.planned[keyOfStep(s)] = s
		if rel := hookFile(s.Kind); rel != "" {
			if _, found, _ := pluginFile(a.dirs[s.Plugin], rel); !found {
				continue
			}
		}
		w.at[keyOfStep(s)] = len(w.expected)
		w.expected = append(w.expected, s)
	}
	w.started = make([]bool, len(w.expected))
	return w
}

// preparedCheckout is a checkout the clone stage made: a plugin's, or one
// of DevStack's own repositories (a project, with --devstack).
type preparedCheckout struct {
	what string // "plugin NAME" or "project NAME"
	ref  string
}

func preparedCheckouts(a *applier) map[string]preparedCheckout {
	checkouts := map[string]preparedCheckout{}
	for name, dir := range a.dirs {
		pl, _ := a.p.Plugin(name)
		checkouts[dir] = preparedCheckout{what: "plugin " + name, ref: pl.Ref}
	}
	for _, s := range a.p.Steps {
		if s.Kind == plan.KindClone && s.Project != "" {
			t := a.cloneTarget(s)
			checkouts[t.dir] = preparedCheckout{what: "project " + t.name, ref: t.ref}
		}
	}
	return checkouts
}

func stepKey(nested string, kind plan.Kind, parts ...string) string {
	return nested + "\x00" + string(kind) + "\x00" + strings.Join(parts, "\x00")
}

func keyOfStep(s plan.Step) string {
	switch s.Kind {
	case plan.KindMerge:
		return stepKey(s.Nested, s.Kind, string(s.Group), s.File)
	case plan.KindPhase:
		return stepKey(s.Nested, s.Kind, s.Plugin, string(s.Mode), string(s.Phase))
	}
	return stepKey(s.Nested, s.Kind, s.Plugin)
}

// keyOfEvent is the step key of a start event, and how to name what
// DevStack did when no step has that key.
func (w *scriptWatch) keyOfEvent(e devstack.Event) (string, string) {
	nested := ""
	if e.Script != scriptOf(w.lc) {
		nested = e.Script // clean.sh's own unstack.sh
	}
	in := e.Script
	switch e.Kind {
	case devstack.Localrc:
		return stepKey(nested, plan.KindLocalrc), in + " sourced the localrc (through " + e.File + ")"
	case devstack.MergeStart:
		return stepKey(nested, plan.KindMerge, e.Group, e.Spec), fmt.Sprintf("%s merged [[%s|%s]] into %s", in, e.Group, e.Spec, e.File)
	}
	switch e.Func {
	case devstack.FuncOverrideDefaults:
		return stepKey(nested, plan.KindOverrideDefaults, e.Plugin), fmt.Sprintf("%s sourced %s/devstack/override-defaults", in, e.Dir)
	case devstack.FuncSettings:
		return stepKey(nested, plan.KindSettings, e.Plugin), fmt.Sprintf("%s sourced %s/devstack/settings", in, e.Dir)
	}
	return stepKey(nested, plan.KindPhase, e.Plugin, e.Mode, e.Phase),
		strings.TrimSpace(fmt.Sprintf("%s sourced %s/devstack/plugin.sh %s %s", in, e.Dir, e.Mode, e.Phase))
}

// event handles one watch event; the watch calls it from one goroutine.
func (w *scriptWatch) event(e devstack.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.a.now()
	switch e.Kind {
	case devstack.End:
		w.close(e.Status, now)
	case devstack.HookStart, devstack.Localrc, devstack.MergeStart:
		w.close(0, now)
		w.start(e, now)
	case devstack.MergeSkip:
		w.close(0, now)
		w.skipGroup(e, now)
	case devstack.Git:
		c, ok := w.checkouts[e.Dir]
		if !ok || e.Verb == "" {
			return
		}
		msg := fmt.Sprintf("%s ran git %s on %s's checkout %s, which the clone stage had made", e.Script, e.Verb, c.what, e.Dir)
		switch {
		case w.a.opts.Reclone:
			w.a.logf("%s (RECLONE)", msg)
		case e.Verb == "fetch" && strings.HasPrefix(c.ref, "refs"):
			// git_clone fetches a ref beginning with "refs" into an
			// existing checkout too.
			w.a.logf("%s (DevStack fetches a refs/... ref every time)", msg)
		default:
			w.diverge(msg + ": the plan says DevStack clones nothing")
		}
	}
}

// output reads DevStack's own log as it comes for git cloning a plugin
// or project again, whoever runs it: git prints "Cloning into 'DIR'...".
func (w *scriptWatch) output(lines []byte) {
	for _, l := range strings.Split(string(lines), "\n") {
		_, after, ok := strings.Cut(l, "Cloning into '")
		if !ok {
			continue
		}
		dir, _, _ := strings.Cut(after, "'")
		if c, planned := w.checkouts[dir]; planned && !w.a.opts.Reclone {
			w.mu.Lock()
			w.diverge(fmt.Sprintf("DevStack's log shows git cloning %s into %s, which the clone stage had made", c.what, dir))
			w.mu.Unlock()
		}
	}
}

func (w *scriptWatch) diverge(msg string) {
	w.divergences = append(w.divergences, msg)
	w.a.logf("divergence: %s", msg)
}

func (w *scriptWatch) start(e devstack.Event, now time.Time) {
	key, what := w.keyOfEvent(e)
	i, ok := w.at[key]
	if !ok {
		if s, planned := w.planned[key]; planned {
			w.diverge(fmt.Sprintf("%s; the plan has step %s without that file in the checkout", what, s.ID))
		} else {
			w.diverge(what + ", which the plan does not predict")
		}
		return
	}
	s := w.expected[i]
	switch {
	case w.started[i]:
		w.diverge(fmt.Sprintf("%s again: step %s ran twice", what, s.ID))
	case i < w.last:
		w.diverge(fmt.Sprintf("%s (step %s) after step %s; the plan has it before", what, s.ID, w.expected[w.last].ID))
	}
	w.started[i] = true
	w.last = max(w.last, i)
	*w.index++
	ev := StepEvent{Step: s, Index: *w.index, Total: w.total, Start: now}
	if e.Kind == devstack.MergeStart {
		ev.Target = e.File
	}
	w.open = &ev
	w.a.setRunning(s.ID)
	w.a.logf("%s: start (%s)", s.ID, what)
	w.a.hooks.StepStart(ev)
}

// close ends the open step with a status: a failure in stack.sh stops it
// (errexit), while unstack.sh and clean.sh pass over failed hooks.
func (w *scriptWatch) close(status int, now time.Time) {
	ev := w.open
	if ev == nil {
		return
	}
	w.open = nil
	ev.End, ev.ExitCode = now, status
	r := StepResult{ID: ev.Step.ID, Start: ev.Start, End: ev.End, ExitCode: status, Target: ev.Target}
	switch {
	case status == 0:
		r.Status = StatusDone
		w.a.hooks.StepComplete(*ev)
	case w.lc == plan.Stack:
		w.failed = &StepError{StepID: ev.Step.ID, Plugin: ev.Step.Plugin, ExitCode: status, Err: fmt.Errorf("exit status %d", status)}
		ev.Err = w.failed
		r.Status, r.Err = StatusFailed, ev.Err.Error()
		w.a.hooks.StepFailed(*ev)
	default:
		r.Status = StatusIgnored
		w.a.hooks.StepComplete(*ev)
	}
	w.a.res.Steps = append(w.a.res.Steps, r)
	w.a.logf("%s: %s (status %d)", ev.Step.ID, r.Status, status)
	if r.Status != StatusFailed {
		w.a.markDone(ev.Step.ID, status, runningMarker(w.lc))
	}
}

// skipGroup records DevStack's merge_config_group giving up on a group at
// a file name that expands to nothing: it warns and merges none of the
// group's remaining files. The plan cannot know the name is empty.
func (w *scriptWatch) skipGroup(e devstack.Event, now time.Time) {
	w.skipped[e.Group] = true
	for i, s := range w.expected {
		if s.Kind != plan.KindMerge || string(s.Group) != e.Group || w.started[i] {
			continue
		}
		w.started[i] = true
		reason := fmt.Sprintf("DevStack skipped it: %s is undefined, and DevStack merges nothing more of [[%s|...]]", e.Spec, e.Group)
		if s.File != e.Spec {
			reason = fmt.Sprintf("DevStack skipped it: an earlier file of the group, %s, is undefined, and DevStack merges nothing more of [[%s|...]]", e.Spec, e.Group)
		}
		w.a.hooks.StepSkipped(StepEvent{Step: s, Total: w.total, Reason: reason, Start: now})
		w.a.res.Steps = append(w.a.res.Steps, StepResult{ID: s.ID, Status: StatusSkipped, Reason: reason})
		w.a.logf("%s: skipped: %s", s.ID, reason)
	}
}

// finish ends the watch when the script exited with code. It returns the
// step that was running when a failing script stopped.
func (w *scriptWatch) finish(code int) *StepError {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.a.now()
	failed := w.failed
	if w.open != nil {
		if code != 0 {
			failed = &StepError{StepID: w.open.Step.ID, Plugin: w.open.Step.Plugin, ExitCode: code, Err: fmt.Errorf("%s exited with status %d during this step", scriptOf(w.lc), code)}
			ev := *w.open
			ev.End, ev.ExitCode, ev.Err = now, code, failed
			w.open = nil
			w.a.hooks.StepFailed(ev)
			w.a.res.Steps = append(w.a.res.Steps, StepResult{ID: ev.Step.ID, Status: StatusFailed, Start: ev.Start, End: now, ExitCode: code, Err: failed.Error()})
		} else {
			w.close(0, now)
		}
	}
	if code == 0 {
		for i, s := range w.expected {
			if !w.started[i] {
				w.diverge(fmt.Sprintf("step %s never ran: %s finished without it", s.ID, scriptOf(w.lc)))
			}
		}
	}
	return failed
}
