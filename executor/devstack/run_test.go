package devstack

import (
	"context"
	"fmt"
	"github.com/stackplan/stackplan/internal/corpustest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// devstackDir finds the pinned DevStack tree the tests run against:
// $STACKPLAN_DEVSTACK, or ../shared/devstack beside the project.
func devstackDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STACKPLAN_DEVSTACK")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "devstack")
	}
	if _, err := os.Stat(filepath.Join(dir, "functions-common")); err != nil {
		corpustest.Skip(t, dir, fmt.Errorf("%w; set STACKPLAN_DEVSTACK to a DevStack tree", err))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@invalid", "-c", "init.defaultBranch=master"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestWatchDevstackFunctions runs DevStack's own plugin, merge and clone
// functions (functions-common, inc/meta-config) from a script named like
// DevStack's, and checks what the watch reports: every hook in order with
// its status, the merge with the file DevStack expanded, the group DevStack
// skipped, and DevStack's own git fetch of a plugin with RECLONE. It runs
// in seconds and needs no root; the full scripts run in cmd/stackplan.
func TestWatchDevstackFunctions(t *testing.T) {
	ds := devstackDir(t)
	work := t.TempDir()
	dest := filepath.Join(work, "opt")
	origin := filepath.Join(work, "origin-alpha")
	betaOrigin := filepath.Join(work, "origin-beta")
	for _, d := range []string{filepath.Join(origin, "devstack"), filepath.Join(betaOrigin, "devstack")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(origin, "devstack", "override-defaults"), "ALPHA_DEFAULT=1\n")
	write(filepath.Join(origin, "devstack", "settings"), "ALPHA_CONF=$DEST/alpha.conf\n")
	write(filepath.Join(origin, "devstack", "plugin.sh"), "echo \"alpha $1 $2\"\n")
	// beta has no override-defaults, and its install hook fails: run
	// without errexit, the loop goes on and the watch reports the status.
	write(filepath.Join(betaOrigin, "devstack", "settings"), "BETA=$ALPHA_DEFAULT\n")
	write(filepath.Join(betaOrigin, "devstack", "plugin.sh"), "[[ $2 == install ]] && return 3\ntrue\n")
	for name, o := range map[string]string{"alpha": origin, "beta": betaOrigin} {
		git(t, o, "init", "-q")
		git(t, o, "add", "-A")
		git(t, o, "commit", "-qm", name)
		git(t, work, "clone", "-q", o, filepath.Join(dest, name))
	}
	write(filepath.Join(work, "local.conf"), "[[post-config|$ALPHA_CONF]]\n[DEFAULT]\nx = $DEST\n[[post-config|$NOPE]]\n[a]\nb = c\n[[post-config|$ALPHA_CONF]]\n[DEFAULT]\ny = 1\n")
	// A script of DevStack's shape: its functions, then the calls stack.sh
	// makes. The watch keys on the script's name.
	script := fmt.Sprintf(`#!/usr/bin/env bash
TOP_DIR=%[1]q
source $TOP_DIR/functions
DEST=%[2]q
RECLONE=True
declare -A -g GITREPO GITBRANCH GITDIR
enable_plugin alpha file://%[3]s master
enable_plugin beta file://%[5]s master
fetch_plugins
run_phase override_defaults
run_phase source
run_phase stack install
merge_config_group %[4]q post-config
`, ds, dest, origin, filepath.Join(work, "local.conf"), betaOrigin)
	write(filepath.Join(work, "stack.sh"), script)
	os.Chmod(filepath.Join(work, "stack.sh"), 0o755)

	var mu sync.Mutex
	var got []string
	var out strings.Builder
	code, err := Script{Dir: work, Name: "stack.sh", Env: os.Environ(), WorkDir: t.TempDir(),
		Output: func(b []byte) { mu.Lock(); out.Write(b); mu.Unlock() },
		Event: func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			var s string
			switch e.Kind {
			case HookStart:
				s = fmt.Sprintf("start %s %s %s %s", e.Func, e.Plugin, e.Mode, e.Phase)
			case End:
				s = fmt.Sprintf("end %d", e.Status)
			case MergeStart:
				s = fmt.Sprintf("merge %s %s %s", e.Group, e.Spec, strings.TrimPrefix(e.File, dest))
			case MergeSkip:
				s = fmt.Sprintf("skip %s %s", e.Group, e.Spec)
			case Git:
				s = fmt.Sprintf("git %s %s", strings.TrimPrefix(e.Dir, dest), e.Verb)
			default:
				s = string(e.Kind)
			}
			got = append(got, s)
		}}.Run(context.Background())
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out.String())
	}
	want := []string{
		// RECLONE: DevStack's git_clone fetches each plugin again.
		"git /alpha fetch", "git /beta fetch",
		"start plugin_override_defaults alpha override_defaults ", "end 0",
		"start load_plugin_settings alpha source ", "end 0",
		"start load_plugin_settings beta source ", "end 0",
		"start run_plugins alpha stack install", "end 0",
		"start run_plugins beta stack install", "end 3",
		"merge post-config $ALPHA_CONF /alpha.conf", "end 0",
		"skip post-config $NOPE",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\n\nwant:\n%s\n\noutput:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out.String())
	}
	if strings.Contains(out.String(), "__sp_") {
		t.Errorf("the watch shows in DevStack's output:\n%s", out.String())
	}
	merged, _ := os.ReadFile(filepath.Join(dest, "alpha.conf"))
	if !strings.Contains(string(merged), "x = "+dest) {
		t.Errorf("DevStack's merge did not run as DevStack does:\n%s", merged)
	}
}
