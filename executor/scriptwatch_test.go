package executor

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor/devstack"
	"github.com/stackplan/stackplan/plan"
)

// watchFixture is an applier for a two-plugin plan whose checkouts have
// settings and plugin.sh but no override-defaults, with two of DevStack's
// projects prepared by its clone stage, and a recorder of what
// the watch reports.
func watchFixture(t *testing.T) (*applier, *recHooks) {
	t.Helper()
	dest := t.TempDir()
	p := buildPlan(dest, "file:///x", []string{"alpha", "beta"}, "X=1\n")
	// Two post-config merges where the plan has its one.
	for i, s := range p.Steps {
		if s.Kind == plan.KindMerge {
			p.Steps = slices.Replace(p.Steps, i, i+1,
				plan.Step{ID: "stack:merge:post-config:$A_CONF", Kind: plan.KindMerge, Lifecycle: plan.Stack, Group: "post-config", File: "$A_CONF"},
				plan.Step{ID: "stack:merge:post-config:$B_CONF", Kind: plan.KindMerge, Lifecycle: plan.Stack, Group: "post-config", File: "$B_CONF"})
			break
		}
	}
	// Two of DevStack's own repositories the clone stage prepares
	// (apply --devstack): nova at a branch, glance at a Gerrit change.
	for _, pr := range []plan.Project{{Name: "nova", Ref: "master"}, {Name: "glance", Ref: "refs/changes/12/3412/2"}} {
		pr.URL, pr.Dir, pr.Service = "file:///x/"+pr.Name, filepath.Join(dest, pr.Name), "n-api"
		p.Projects = append(p.Projects, pr)
		p.Steps = append([]plan.Step{{ID: plan.StepID(plan.Stack, "", plan.KindClone, "", pr.Name), Kind: plan.KindClone, Lifecycle: plan.Stack, Project: pr.Name}}, p.Steps...)
	}
	a := &applier{p: p, hooks: &syncHooks{}, now: time.Now, dirs: map[string]string{}, state: t.TempDir(), journal: ReadJournal(""), pending: map[string][]byte{}}
	h := &recHooks{}
	a.hooks.h = h
	for _, pl := range p.Plugins {
		a.dirs[pl.Name] = pl.Dir
		os.MkdirAll(filepath.Join(pl.Dir, "devstack"), 0o755)
		for _, f := range []string{"settings", "plugin.sh"} {
			os.WriteFile(filepath.Join(pl.Dir, "devstack", f), nil, 0o644)
		}
	}
	return a, h
}

func hookStart(a *applier, fn, plugin, mode, phase string) devstack.Event {
	return devstack.Event{Script: "stack.sh", Kind: devstack.HookStart, Func: fn, Plugin: plugin, Mode: mode, Phase: phase, Dir: a.dirs[plugin]}
}

func end(status int) devstack.Event {
	return devstack.Event{Script: "stack.sh", Kind: devstack.End, Status: status}
}

// stackEvents is what stack.sh reports for the fixture's plan, in order.
func stackEvents(a *applier) []devstack.Event {
	evs := []devstack.Event{{Script: "stack.sh", Kind: devstack.Localrc, File: "$TOP_DIR/stackrc"}, end(0)}
	for _, pl := range []string{"alpha", "beta"} {
		evs = append(evs, hookStart(a, devstack.FuncSettings, pl, "source", ""), end(0))
	}
	for _, ph := range []string{"pre-install", "install", "post-config"} {
		for _, pl := range []string{"alpha", "beta"} {
			evs = append(evs, hookStart(a, devstack.FuncPhase, pl, "stack", ph), end(0))
		}
	}
	evs = append(evs, devstack.Event{Script: "stack.sh", Kind: devstack.MergeStart, Group: "post-config", Spec: "$A_CONF", File: "/etc/a.conf"}, end(0),
		devstack.Event{Script: "stack.sh", Kind: devstack.MergeStart, Group: "post-config", Spec: "$B_CONF", File: "/etc/b.conf"}, end(0))
	for _, ph := range []string{"extra", "test-config"} {
		for _, pl := range []string{"alpha", "beta"} {
			evs = append(evs, hookStart(a, devstack.FuncPhase, pl, "stack", ph), end(0))
		}
	}
	return evs
}

func watchRun(a *applier, evs []devstack.Event, code int) (*scriptWatch, *StepError) {
	index := 0
	w := a.newScriptWatch(plan.Stack, 20, &index)
	for _, e := range evs {
		w.event(e)
	}
	return w, w.finish(code)
}

func TestScriptWatchAgrees(t *testing.T) {
	a, h := watchFixture(t)
	w, failed := watchRun(a, stackEvents(a), 0)
	if failed != nil || len(w.divergences) > 0 {
		t.Fatalf("failed %v, divergences %q", failed, w.divergences)
	}
	// Every step of the plan but the clones and the override-defaults
	// the checkouts lack, in order, each started and completed.
	var want []string
	for _, s := range a.p.StepsOf(plan.Stack) {
		if s.Kind != plan.KindClone && s.Kind != plan.KindOverrideDefaults {
			want = append(want, s.ID)
		}
	}
	if strings.Join(h.started, "\n") != strings.Join(want, "\n") {
		t.Errorf("started:\n%s\nwant:\n%s", strings.Join(h.started, "\n"), strings.Join(want, "\n"))
	}
	if len(a.journal.Done) != len(want) {
		t.Errorf("journal has %d steps done, want %d", len(a.journal.Done), len(want))
	}
}

func TestScriptWatchDivergences(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(a *applier, evs []devstack.Event) []devstack.Event
		want []string
	}{
		{"unpredicted plugin", func(a *applier, evs []devstack.Event) []devstack.Event {
			extra := hookStart(a, devstack.FuncPhase, "zeta", "stack", "install")
			extra.Dir = "/opt/stack/zeta"
			return append(evs[:12:12], append([]devstack.Event{extra, end(0)}, evs[12:]...)...)
		}, []string{"stack.sh sourced /opt/stack/zeta/devstack/plugin.sh stack install, which the plan does not predict"}},
		{"order", func(a *applier, evs []devstack.Event) []devstack.Event {
			evs[6], evs[8] = evs[8], evs[6] // beta's pre-install before alpha's
			return evs
		}, []string{"(step stack:phase:pre-install:alpha) after step stack:phase:pre-install:beta; the plan has it before"}},
		{"never ran", func(a *applier, evs []devstack.Event) []devstack.Event {
			return evs[:len(evs)-2]
		}, []string{"step stack:phase:test-config:beta never ran: stack.sh finished without it"}},
		{"hook without its file", func(a *applier, evs []devstack.Event) []devstack.Event {
			return append([]devstack.Event{hookStart(a, devstack.FuncOverrideDefaults, "alpha", "override_defaults", ""), end(0)}, evs...)
		}, []string{"the plan has step stack:override-defaults:alpha without that file in the checkout"}},
		{"plugin fetched again", func(a *applier, evs []devstack.Event) []devstack.Event {
			return append([]devstack.Event{{Script: "stack.sh", Kind: devstack.Git, Dir: a.dirs["beta"], Verb: "fetch"}}, evs...)
		}, []string{"stack.sh ran git fetch on plugin beta's checkout"}},
		// git_clone of a project the clone stage made: stack.sh cloning
		// or fetching it again is as much a divergence as for a plugin.
		{"project fetched again", func(a *applier, evs []devstack.Event) []devstack.Event {
			return append([]devstack.Event{{Script: "stack.sh", Kind: devstack.Git, Dir: a.p.Projects[0].Dir, Verb: "fetch"}}, evs...)
		}, []string{"stack.sh ran git fetch on project nova's checkout " + "$DEST/nova"}},
		{"project cloned again", func(a *applier, evs []devstack.Event) []devstack.Event {
			return append(evs[:2:2], append([]devstack.Event{{Script: "stack.sh", Kind: devstack.Git, Dir: a.p.Projects[0].Dir, Verb: "clone"}}, evs[2:]...)...)
		}, []string{"stack.sh ran git clone on project nova's checkout"}},
		// git_clone fetches a ref beginning with "refs" whether or not
		// the checkout exists: what DevStack always does, not a divergence.
		{"project at a refs/ ref fetched", func(a *applier, evs []devstack.Event) []devstack.Event {
			return append([]devstack.Event{{Script: "stack.sh", Kind: devstack.Git, Dir: a.p.Projects[1].Dir, Verb: "fetch"}}, evs...)
		}, nil},
		{"a directory the clone stage did not make", func(a *applier, evs []devstack.Event) []devstack.Event {
			return append([]devstack.Event{{Script: "stack.sh", Kind: devstack.Git, Dir: filepath.Join(a.p.Dest, "cinder"), Verb: "clone"}}, evs...)
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, _ := watchFixture(t)
			w, _ := watchRun(a, c.edit(a, stackEvents(a)), 0)
			got := strings.Join(w.divergences, "\n")
			for _, want := range c.want {
				want = strings.ReplaceAll(want, "$DEST", a.p.Dest)
				if !strings.Contains(got, want) {
					t.Errorf("divergences lack %q:\n%s", want, got)
				}
			}
			if len(w.divergences) != len(c.want) {
				t.Errorf("%d divergences, want %d:\n%s", len(w.divergences), len(c.want), got)
			}
		})
	}
}

// DevStack's merge_config_group warns at an undefined file name and merges
// nothing more of the group: those steps are skipped, not divergences.
func TestScriptWatchSkippedMergeGroup(t *testing.T) {
	a, h := watchFixture(t)
	evs := stackEvents(a)
	for i, e := range evs {
		if e.Kind == devstack.MergeStart && e.Spec == "$A_CONF" {
			skip := devstack.Event{Script: "stack.sh", Kind: devstack.MergeSkip, Group: "post-config", Spec: "$A_CONF"}
			evs = append(evs[:i:i], append([]devstack.Event{skip}, evs[i+4:]...)...)
			break
		}
	}
	w, _ := watchRun(a, evs, 0)
	if len(w.divergences) > 0 {
		t.Fatalf("divergences: %q", w.divergences)
	}
	if strings.Join(h.skipped, ",") != "stack:merge:post-config:$A_CONF,stack:merge:post-config:$B_CONF" {
		t.Errorf("skipped: %v", h.skipped)
	}
}

// A hook that fails in stack.sh is the failing step; the script's exit
// names it.
func TestScriptWatchFailure(t *testing.T) {
	a, h := watchFixture(t)
	evs := stackEvents(a)[:10] // up to beta's pre-install, which fails
	evs[9] = end(1)
	_, failed := watchRun(a, evs, 1)
	if failed == nil || failed.StepID != "stack:phase:pre-install:beta" {
		t.Fatalf("failed step: %v", failed)
	}
	if strings.Join(h.failed, ",") != "stack:phase:pre-install:beta" {
		t.Errorf("reported failures: %v", h.failed)
	}
	if _, done := a.journal.Done["stack:phase:pre-install:beta"]; done {
		t.Error("the failed step is done in the journal")
	}
}

// git cloning a plugin, as DevStack's log shows it, is a divergence
// whoever ran it.
func TestScriptWatchCloneInLog(t *testing.T) {
	a, _ := watchFixture(t)
	index := 0
	w := a.newScriptWatch(plan.Stack, 20, &index)
	w.output([]byte("2026-12-05 15:34:44.474 | Cloning into 'elsewhere'...\n2026-12-05 15:34:44.474 | Cloning into '" + a.dirs["alpha"] + "'...\n" +
		"2026-12-05 15:34:45.101 | Cloning into '" + a.p.Projects[0].Dir + "'...\n"))
	if len(w.divergences) != 2 || !strings.Contains(w.divergences[0], "git cloning plugin alpha into "+a.dirs["alpha"]) ||
		!strings.Contains(w.divergences[1], "git cloning project nova into "+a.p.Projects[0].Dir) {
		t.Errorf("divergences: %q", w.divergences)
	}
}
