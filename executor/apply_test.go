package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
	"github.com/stackplan/stackplan/plan"
)

// pluginScript records every call in $TRACE, with variables that must
// carry over between steps and plugins.
const pluginScript = `echo "$NAME_ME plugin.sh $# $* A=${A_SETTING-} LOCAL=${LOCAL_X-}" >> "$TRACE"
echo "out from $NAME_ME $*"
if [[ $1 == stack && $2 == install && -e "$TRACE.fail-$NAME_ME" ]]; then
    echo "failing on purpose" >&2
    false
    echo "not reached" >> "$TRACE"
fi
if [[ $1 == stack && $2 == install && -e "$TRACE.hang-$NAME_ME" ]]; then
    echo "hanging $NAME_ME"
    sleep 600
fi
if [[ $1 == stack && $2 == install && -e "$TRACE.slow-$NAME_ME" ]]; then
    sleep 3 &
    touch "$TRACE.started-$NAME_ME"
    wait $!
    echo "late $NAME_ME" >> "$TRACE.late"
fi
if [[ $1 == stack && $2 == install && -e "$TRACE.bg-$NAME_ME" ]]; then
    sleep 30 &
fi
if [[ $1 == unstack ]]; then false; fi
`

func makePlugin(t *testing.T, root, name string) {
	gittest.NewRepo(t, root, name, map[string]string{
		"devstack/settings":          "echo \"" + name + " settings\" >> \"$TRACE\"\nA_SETTING=${A_SETTING-}" + name + "\n",
		"devstack/override-defaults": "echo \"" + name + " override-defaults\" >> \"$TRACE\"\n",
		"devstack/plugin.sh":         strings.ReplaceAll(pluginScript, "$NAME_ME", name),
	})
}

type recHooks struct {
	NopHooks
	mu      sync.Mutex
	started []string
	output  map[string]string
	failed  []string
	skipped []string
	onOut   func(OutputEvent)
	onClone func(CloneEvent)
}

func (h *recHooks) StepStart(e StepEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := e.Step.ID
	if e.Replay {
		id += " (replay)"
	}
	h.started = append(h.started, id)
}
func (h *recHooks) StepFailed(e StepEvent)  { h.failed = append(h.failed, e.Step.ID) }
func (h *recHooks) StepSkipped(e StepEvent) { h.skipped = append(h.skipped, e.Step.ID) }
func (h *recHooks) StepOutput(e OutputEvent) {
	h.mu.Lock()
	if h.output == nil {
		h.output = map[string]string{}
	}
	h.output[e.StepID] += string(e.Data)
	f := h.onOut
	h.mu.Unlock()
	if f != nil {
		f(e)
	}
}
func (h *recHooks) CloneProgress(e CloneEvent) {
	if h.onClone != nil {
		h.onClone(e)
	}
}

// buildPlan makes a plan as the compiler would, for plugins served at base.
func buildPlan(dest, base string, names []string, localrc string) *plan.Plan {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Dest: dest}
	for _, n := range names {
		p.Plugins = append(p.Plugins, plan.Plugin{Name: n, URL: base + "/" + n, Ref: "master", Dir: filepath.Join(dest, n)})
	}
	add := func(lc plan.Lifecycle, kind plan.Kind, plugin, mode, phase string) {
		p.Steps = append(p.Steps, plan.Step{ID: plan.StepID(lc, "", kind, phase, plugin), Kind: kind, Lifecycle: lc, Plugin: plugin, Mode: plan.Mode(mode), Phase: plan.Phase(phase)})
	}
	each := func(lc plan.Lifecycle, kind plan.Kind, mode, phase string) {
		for _, n := range names {
			add(lc, kind, n, mode, phase)
		}
	}
	each(plan.Stack, plan.KindClone, "", "")
	p.Steps = append(p.Steps, plan.Step{ID: "stack:localrc", Kind: plan.KindLocalrc, Lifecycle: plan.Stack, Script: localrc})
	each(plan.Stack, plan.KindOverrideDefaults, "", "")
	each(plan.Stack, plan.KindSettings, "", "")
	for _, ph := range []string{"pre-install", "install", "post-config"} {
		each(plan.Stack, plan.KindPhase, "stack", ph)
	}
	p.Steps = append(p.Steps, plan.Step{ID: "stack:merge:post-config:$CONF_DIR/x.conf", Kind: plan.KindMerge, Lifecycle: plan.Stack,
		Group: "post-config", File: "$CONF_DIR/x.conf", Source: &plan.Range{File: "local.conf", Start: plan.Pos{Line: 7, Column: 1}},
		Fragment: []plan.SourceLine{{Line: 8, Text: "[DEFAULT]"}, {Line: 9, Text: "debug = True"}, {Line: 10, Text: "opt = 1"}, {Line: 11, Text: "opt = 2"}}})
	each(plan.Stack, plan.KindPhase, "stack", "extra")
	each(plan.Stack, plan.KindPhase, "stack", "test-config")
	p.Steps = append(p.Steps, plan.Step{ID: "unstack:localrc", Kind: plan.KindLocalrc, Lifecycle: plan.Unstack, Script: localrc})
	each(plan.Unstack, plan.KindSettings, "", "")
	each(plan.Unstack, plan.KindPhase, "unstack", "")
	return p
}

type env struct {
	t               *testing.T
	root, dest, log string
	trace           string
	srv             *gittest.Server
	localrc         string
	names           []string
}

func newEnv(t *testing.T, http bool) *env {
	e := &env{t: t, root: t.TempDir(), dest: filepath.Join(t.TempDir(), "opt-stack"), names: []string{"alpha", "beta"}}
	for _, n := range e.names {
		makePlugin(t, e.root, n)
	}
	if http {
		e.srv = gittest.ServeHTTP(t, e.root)
	} else {
		e.srv = gittest.ServeDaemon(t, e.root)
	}
	e.trace = filepath.Join(t.TempDir(), "trace")
	e.localrc = "ADMIN_PASSWORD=hunter2secret\nLOCAL_X=fromlocalrc\nCONF_DIR=" + filepath.Join(e.dest, "etc") + "\n" +
		"enable_plugin alpha " + e.srv.URL + "/alpha\nenable_plugin beta " + e.srv.URL + "/beta master\n"
	return e
}

func (e *env) plan() *plan.Plan { return buildPlan(e.dest, e.srv.URL, e.names, e.localrc) }

func (e *env) opts() Options {
	return Options{Env: []string{"PATH=" + os.Getenv("PATH"), "TRACE=" + e.trace, "HOME=" + e.dest}, Cloner: &git.SystemGit{}}
}

func (e *env) traceLines() []string {
	data, _ := os.ReadFile(e.trace)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestApplyStackInDevStackOrder(t *testing.T) {
	e := newEnv(t, false)
	h := &recHooks{}
	res, err := Apply(context.Background(), e.plan(), e.opts(), h)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"alpha override-defaults", "beta override-defaults", "alpha settings", "beta settings",
		"alpha plugin.sh 2 stack pre-install A=alphabeta LOCAL=fromlocalrc", "beta plugin.sh 2 stack pre-install A=alphabeta LOCAL=fromlocalrc",
		"alpha plugin.sh 2 stack install A=alphabeta LOCAL=fromlocalrc", "beta plugin.sh 2 stack install A=alphabeta LOCAL=fromlocalrc",
		"alpha plugin.sh 2 stack post-config A=alphabeta LOCAL=fromlocalrc", "beta plugin.sh 2 stack post-config A=alphabeta LOCAL=fromlocalrc",
		"alpha plugin.sh 2 stack extra A=alphabeta LOCAL=fromlocalrc", "beta plugin.sh 2 stack extra A=alphabeta LOCAL=fromlocalrc",
		"alpha plugin.sh 2 stack test-config A=alphabeta LOCAL=fromlocalrc", "beta plugin.sh 2 stack test-config A=alphabeta LOCAL=fromlocalrc",
	}
	if got := e.traceLines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Clones) != 2 || res.Clones[0].Commit == "" || res.Clones[0].Action != git.Cloned {
		t.Fatalf("clones: %+v", res.Clones)
	}
	if got := h.output["stack:phase:install:beta"]; got != "out from beta stack install\n" {
		t.Fatalf("output of beta install: %q", got)
	}
	conf, err := os.ReadFile(filepath.Join(e.dest, "etc", "x.conf"))
	if err != nil || string(conf) != "\n[DEFAULT]\ndebug = True\nopt = 1\nopt = 2\n" {
		t.Fatalf("merged file: %q %v", conf, err)
	}
	if !res.Finished {
		t.Fatal("not finished")
	}
	logData, _ := os.ReadFile(res.LogFile)
	if strings.Contains(string(logData), "hunter2secret") || !strings.Contains(string(logData), "out from alpha stack extra") {
		t.Fatalf("log file must hold the output and no secret:\n%s", logData)
	}

	// A second apply is a no-op that runs nothing.
	os.Remove(e.trace)
	if _, err := Apply(context.Background(), e.plan(), e.opts(), nil); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("second apply: %v", err)
	}
	if _, err := os.Stat(e.trace); err == nil {
		t.Fatal("second apply ran steps")
	}

	// unstack goes on past failures, as unstack.sh does.
	o := e.opts()
	o.Lifecycles = []plan.Lifecycle{plan.Unstack}
	res, err = Apply(context.Background(), e.plan(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for _, s := range res.Steps {
		if s.Status == StatusIgnored {
			ignored = append(ignored, s.ID)
		}
	}
	if strings.Join(ignored, ",") != "unstack:phase:alpha,unstack:phase:beta" {
		t.Fatalf("ignored failures: %v", ignored)
	}

	// After unstack the stack is no longer applied: a new apply stacks
	// again, and an unstack after it is not "already applied" either.
	os.Remove(e.trace)
	if _, err := Apply(context.Background(), e.plan(), e.opts(), nil); err != nil {
		t.Fatalf("stack after unstack: %v", err)
	}
	if !slices.Contains(e.traceLines(), "alpha plugin.sh 2 stack install A=alphabeta LOCAL=fromlocalrc") {
		t.Fatalf("stack after unstack ran nothing: %v", e.traceLines())
	}
	if _, err := Apply(context.Background(), e.plan(), o, nil); errors.Is(err, ErrAlreadyApplied) {
		t.Fatal("unstack after a new stack says it was already applied")
	}
}

func TestSecretsMaskedInOutput(t *testing.T) {
	e := newEnv(t, false)
	e.localrc += "echo \"the password is $ADMIN_PASSWORD\"\n"
	p := e.plan()
	h := &recHooks{}
	// The echo runs while localrc is sourced, before the secret is known:
	// plugins' output afterwards is masked.
	if _, err := Apply(context.Background(), p, e.opts(), h); err != nil {
		t.Fatal(err)
	}
	for id, out := range h.output {
		if id != "stack:localrc" && strings.Contains(out, "hunter2secret") {
			t.Fatalf("secret in output of %s: %q", id, out)
		}
	}
}

func TestFailingStepThenResume(t *testing.T) {
	e := newEnv(t, false)
	os.WriteFile(e.trace+".fail-beta", nil, 0o644)
	h := &recHooks{}
	_, err := Apply(context.Background(), e.plan(), e.opts(), h)
	var se *StepError
	if !errors.As(err, &se) || se.StepID != "stack:phase:install:beta" || se.Plugin != "beta" || se.ExitCode != 1 {
		t.Fatalf("want a StepError for beta's install, got %v", err)
	}
	if !strings.Contains(err.Error(), "stack:phase:install:beta") || !strings.Contains(err.Error(), "beta") {
		t.Fatalf("message must name step and plugin: %v", err)
	}
	if !strings.Contains(h.output["stack:phase:install:beta"], "failing on purpose") {
		t.Fatalf("stderr of the failing step: %q", h.output)
	}
	for _, l := range e.traceLines() {
		if strings.Contains(l, "not reached") {
			t.Fatal("errexit did not stop the step")
		}
	}
	j := ReadJournal(filepath.Join(e.dest, StateDirName))
	if _, ok := j.Done["stack:phase:install:alpha"]; !ok {
		t.Fatal("journal lost alpha's install")
	}
	if _, ok := j.Done["stack:phase:install:beta"]; ok {
		t.Fatal("journal records the failed step as done")
	}
	if j.Running != "stack:phase:install:beta" {
		t.Fatalf("journal running = %q", j.Running)
	}

	// Fix the cause; the next apply resumes at the failed step, re-sourcing
	// localrc, override-defaults and settings first.
	os.Remove(e.trace + ".fail-beta")
	os.Remove(e.trace)
	h = &recHooks{}
	res, err := Apply(context.Background(), e.plan(), e.opts(), h)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finished {
		t.Fatal("not finished")
	}
	wantStart := []string{"stack:localrc (replay)", "stack:override-defaults:alpha (replay)", "stack:override-defaults:beta (replay)",
		"stack:settings:alpha (replay)", "stack:settings:beta (replay)", "stack:phase:install:beta"}
	if strings.Join(h.started[:len(wantStart)], ",") != strings.Join(wantStart, ",") {
		t.Fatalf("resumed with %v", h.started)
	}
	if got := e.traceLines()[4]; got != "beta plugin.sh 2 stack install A=alphabeta LOCAL=fromlocalrc" {
		t.Fatalf("first phase after resume: %q", got)
	}
}

func TestCancelDuringStepThenReapply(t *testing.T) {
	e := newEnv(t, false)
	os.WriteFile(e.trace+".hang-alpha", nil, 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	h := &recHooks{onOut: func(o OutputEvent) {
		if strings.Contains(string(o.Data), "hanging alpha") {
			cancel()
		}
	}}
	_, err := Apply(ctx, e.plan(), e.opts(), h)
	var se *StepError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &se) || se.StepID != "stack:phase:install:alpha" {
		t.Fatalf("want a cancelled StepError for alpha's install, got %v", err)
	}
	j := ReadJournal(filepath.Join(e.dest, StateDirName))
	if _, ok := j.Done["stack:phase:pre-install:beta"]; !ok || j.Running != "stack:phase:install:alpha" {
		t.Fatalf("journal: %+v", j)
	}
	os.Remove(e.trace + ".hang-alpha")
	if _, err := Apply(context.Background(), e.plan(), e.opts(), nil); err != nil {
		t.Fatalf("re-apply: %v", err)
	}
}

func TestCloneFaultsThenReapply(t *testing.T) {
	for _, fault := range []string{"unreachable", "missing-ref", "dies-mid-clone", "cancel"} {
		t.Run(fault, func(t *testing.T) {
			e := newEnv(t, true)
			if fault == "missing-ref" {
				e.localrc = strings.Replace(e.localrc, "/beta master", "/beta feature", 1)
			}
			p := e.plan()
			var cancel context.CancelFunc
			ctx := context.Background()
			switch fault {
			case "unreachable":
				e.srv.SetDown(true)
			case "missing-ref":
				p.Plugins[1].Ref = "feature"
				p.Steps[2].Script = e.localrc
			case "dies-mid-clone":
				e.srv.SetDieAfter(300)
			case "cancel":
				e.srv.Stall()
				ctx, cancel = context.WithCancel(ctx)
				go func() { <-e.srv.Stalled; cancel() }()
			}
			o := e.opts()
			o.Parallel = 1
			_, err := Apply(ctx, p, o, nil)
			var ge *git.Error
			if err == nil || (fault != "cancel" && !errors.As(err, &ge)) {
				t.Fatalf("want a clone error, got %v", err)
			}
			if fault == "cancel" && !errors.Is(err, context.Canceled) {
				t.Fatalf("want cancellation, got %v", err)
			}
			if fault == "missing-ref" && !strings.Contains(err.Error(), "plugin beta") {
				t.Fatalf("error must name the plugin: %v", err)
			}
			ents, _ := os.ReadDir(e.dest)
			for _, ent := range ents {
				if strings.Contains(ent.Name(), git.TempPrefix) {
					t.Fatalf("temporary clone left: %s", ent.Name())
				}
				if ent.Name() != StateDirName {
					if _, err := os.Stat(filepath.Join(e.dest, ent.Name(), ".git")); err != nil {
						t.Fatalf("partial checkout %s", ent.Name())
					}
				}
			}
			if _, err := os.Stat(e.trace); err == nil {
				t.Fatal("script steps ran after a failed clone stage")
			}
			// Fix the cause and apply again.
			e.srv.SetDown(false)
			e.srv.SetDieAfter(0)
			e.srv.Release()
			if fault == "missing-ref" {
				gittest.Git(t, filepath.Join(e.root, "beta"), "branch", "feature")
			}
			res, err := Apply(context.Background(), p, o, nil)
			if err != nil || !res.Finished {
				t.Fatalf("re-apply: %v", err)
			}
		})
	}
}

func TestLockDryRunOnlyCloneAndStep(t *testing.T) {
	e := newEnv(t, false)
	state := filepath.Join(e.dest, StateDirName)
	os.MkdirAll(state, 0o755)
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	held, err := takeLock(state, started)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	_, err = Apply(context.Background(), e.plan(), e.opts(), nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
	// The message names the holder, as DevStack users ask "who is stacking?".
	if want := fmt.Sprintf("(pid %d on host %s, started 2026-01-02T03:04:05Z)", os.Getpid(), host); !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("the lock error does not name its holder %q: %v", want, err)
	}
	held.Unlock()

	o := e.opts()
	o.DryRun = true
	res, err := Apply(context.Background(), e.plan(), o, nil)
	if err != nil || len(res.Steps) != 18 || res.Steps[0].Status != StatusDryRun {
		t.Fatalf("dry run: %v %d", err, len(res.Steps))
	}
	if _, err := os.Stat(filepath.Join(e.dest, "alpha")); err == nil {
		t.Fatal("dry run cloned")
	}

	o = e.opts()
	o.Only = "clone"
	if res, err = Apply(context.Background(), e.plan(), o, nil); err != nil || len(res.Clones) != 2 {
		t.Fatalf("clone only: %v", err)
	}
	if _, err := os.Stat(e.trace); err == nil {
		t.Fatal("clone-only ran scripts")
	}

	o = e.opts()
	o.Step = "stack:phase:extra:beta"
	if _, err = Apply(context.Background(), e.plan(), o, nil); err != nil {
		t.Fatal(err)
	}
	got := e.traceLines()
	if len(got) != 5 || got[4] != "beta plugin.sh 2 stack extra A=alphabeta LOCAL=fromlocalrc" {
		t.Fatalf("--step ran: %v", got)
	}
}

func TestLocalrcCannotEnableUnplannedPlugin(t *testing.T) {
	e := newEnv(t, false)
	e.localrc += "enable_plugin gamma " + e.srv.URL + "/gamma\n"
	_, err := Apply(context.Background(), e.plan(), e.opts(), nil)
	var se *StepError
	if !errors.As(err, &se) || se.StepID != "stack:localrc" || !strings.Contains(err.Error(), "gamma") {
		t.Fatalf("got %v", err)
	}
}

func TestSymlinkOutOfCheckoutRefused(t *testing.T) {
	e := newEnv(t, false)
	outside := filepath.Join(t.TempDir(), "evil")
	os.WriteFile(outside, []byte("echo evil >> \"$TRACE\"\n"), 0o644)
	alpha := filepath.Join(e.root, "alpha")
	os.Remove(filepath.Join(alpha, "devstack", "settings"))
	os.Symlink(outside, filepath.Join(alpha, "devstack", "settings"))
	gittest.Git(t, alpha, "add", "-A")
	gittest.Git(t, alpha, "commit", "-q", "-m", "link")
	_, err := Apply(context.Background(), e.plan(), e.opts(), nil)
	if err == nil || !strings.Contains(err.Error(), "symbolic link out of the checkout") {
		t.Fatalf("got %v", err)
	}
	for _, l := range e.traceLines() {
		if l == "evil" {
			t.Fatal("sourced a file outside the checkout")
		}
	}
}

// Progress lines are asked of git, and reported, only with CloneProgress:
// they cost the servers and the clones time nobody sees otherwise.
func TestCloneProgressOnlyWhenAsked(t *testing.T) {
	for _, c := range []git.Cloner{&git.SystemGit{}, git.GoGit{}} {
		for _, want := range []bool{false, true} {
			e := newEnv(t, false)
			var mu sync.Mutex
			lines := 0
			h := &recHooks{onClone: func(ev CloneEvent) {
				if ev.Stage == CloneProgress {
					mu.Lock()
					lines++
					mu.Unlock()
				}
			}}
			opts := e.opts()
			opts.Cloner, opts.Only, opts.CloneProgress = c, "clone", want
			if _, err := Apply(context.Background(), e.plan(), opts, h); err != nil {
				t.Fatal(err)
			}
			if (lines > 0) != want {
				t.Errorf("%s, CloneProgress %v: %d progress lines", c.Name(), want, lines)
			}
		}
	}
}

// TestApplyMergeUndefinedFileSkipsGroup: a [[post-config|$X]] with $X
// undefined makes DevStack warn and merge no more files of the group; the
// stack goes on.
func TestApplyMergeUndefinedFileSkipsGroup(t *testing.T) {
	e := newEnv(t, false)
	p := e.plan()
	for i, s := range p.Steps {
		if s.Kind == plan.KindMerge {
			undef := s
			undef.ID, undef.File = "stack:merge:post-config:$STACKPLAN_UNDEFINED", "$STACKPLAN_UNDEFINED"
			p.Steps = slices.Insert(p.Steps, i, undef)
			break
		}
	}
	res, err := Apply(context.Background(), p, e.opts(), &recHooks{})
	if err != nil {
		t.Fatalf("apply stopped: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dest, "etc", "x.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the later file of the group was merged (stat: %v); DevStack skips it", err)
	}
	all, err := os.ReadFile(res.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(all, []byte("unknown config file specification: $STACKPLAN_UNDEFINED is undefined")) {
		t.Errorf("no warning in the apply log:\n%s", all)
	}
}

// TestApplyStackrcVariables: a ref the plan evaluated from what stackrc
// defines before localrc ($TARGET_BRANCH) means the same in apply's session.
func TestApplyStackrcVariables(t *testing.T) {
	e := newEnv(t, false)
	// ${X:?} fails when X is unset, so the step fails without it.
	e.localrc = strings.Replace(e.localrc, "/beta master\n", "/beta ${TARGET_BRANCH:?}\n", 1)
	if !strings.Contains(e.localrc, "${TARGET_BRANCH:?}") {
		t.Fatal("the localrc does not use $TARGET_BRANCH")
	}
	if _, err := Apply(context.Background(), e.plan(), e.opts(), &recHooks{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
}
