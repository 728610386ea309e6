package executor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/internal/corpustest"
)

// resolveLocalrc is a localrc whose plugins only bash can know: a ref by
// command substitution, a plugin enabled through eval, one in a sourced
// file, one in a function, and one under a condition that is false.
func resolveLocalrc(dir string) string {
	return fmt.Sprintf(`enable_plugin alpha file:///repos/alpha $(echo stable/x)
eval "enable_plugin beta file:///repos/beta"
source %s/more.sh
f() {
    enable_plugin delta file:///repos/delta ${TARGET_BRANCH}
}
f
[[ $(echo no) == yes ]] && enable_plugin epsilon file:///repos/epsilon
`, dir)
}

// resolvedPlugins is what DevStack registers for resolveLocalrc with
// DEST=/opt/stack: the sourced file moves DEST for the later plugins.
func resolvedPlugins() []ResolvedPlugin {
	return []ResolvedPlugin{
		{Name: "alpha", URL: "file:///repos/alpha", Ref: "stable/x", Dir: "/opt/stack/alpha", Line: 1},
		{Name: "beta", URL: "file:///repos/beta", Ref: "master", Dir: "/opt/stack/beta", Line: 2},
		{Name: "gamma", URL: "file:///repos/gamma", Ref: "master", Dir: "/opt/stack/moved/gamma", Line: 3},
		{Name: "delta", URL: "file:///repos/delta", Ref: "master", Dir: "/opt/stack/moved/delta", Line: 5},
	}
}

func writeMore(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "more.sh"), []byte("DEST=$DEST/moved\nenable_plugin gamma file:///repos/gamma\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResolveLocalrcInSession runs a localrc in real bash with the
// session's DevStack functions, and gets every plugin it registered, in
// order, with the line of localrc that led to each call.
func TestResolveLocalrcInSession(t *testing.T) {
	dir := t.TempDir()
	writeMore(t, dir)
	var out bytes.Buffer
	got, err := ResolveLocalrc(context.Background(), resolveLocalrc(dir), ResolveOptions{Dest: "/opt/stack", Output: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if want := resolvedPlugins(); !reflect.DeepEqual(got, want) {
		t.Errorf("resolved\n%+v\nwant\n%+v", got, want)
	}
}

// TestResolveLocalrcFailures: a localrc that dies (a plugin enabled twice,
// as DevStack's enable_plugin dies) is an error that says its output
// holds the reason, and that output is DevStack's message.
func TestResolveLocalrcFailures(t *testing.T) {
	var out bytes.Buffer
	_, err := ResolveLocalrc(context.Background(), "enable_plugin a file:///a\nenable_plugin a file:///b\n", ResolveOptions{Dest: "/opt/stack", Output: &out})
	if err == nil || !strings.Contains(err.Error(), "its output is above") {
		t.Fatalf("err = %v, want a failure", err)
	}
	if !strings.Contains(out.String(), "Plugin attempted to be enabled twice: a file:///b master") {
		t.Errorf("output %q lacks DevStack's message", out.String())
	}
	// A failing last command is no failure of the resolution: DevStack
	// goes on too. A localrc that enables nothing resolves to nothing.
	if got, err := ResolveLocalrc(context.Background(), "false\n", ResolveOptions{Dest: "/opt/stack"}); err != nil || len(got) != 0 {
		t.Errorf("a localrc that enables nothing: %v, %v", got, err)
	}
	// exit in localrc ends bash before the report.
	if _, err := ResolveLocalrc(context.Background(), "exit 0\n", ResolveOptions{Dest: "/opt/stack"}); err == nil {
		t.Error("a localrc that exits resolved nothing, and no error said so")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ResolveLocalrc(ctx, "sleep 100\n", ResolveOptions{Dest: "/opt/stack"}); err == nil {
		t.Error("a cancelled resolution gave no error")
	}
}

// TestResolveLocalrcInDevstack resolves the same localrc with DevStack's
// own functions and stackrc (the pinned tree): DEST is stackrc's, and what
// stackrc sets after localrc (the repository of a library it knows, such
// as os-vif) is what DevStack clones. The checkout is only read.
func TestResolveLocalrcInDevstack(t *testing.T) {
	ds := os.Getenv("STACKPLAN_DEVSTACK")
	if ds == "" {
		ds = filepath.Join("..", "..", "shared", "devstack")
	}
	if _, err := os.Stat(filepath.Join(ds, "stackrc")); err != nil {
		corpustest.Skip(t, ds, fmt.Errorf("%w; set STACKPLAN_DEVSTACK to a DevStack tree", err))
	}
	dir := t.TempDir()
	writeMore(t, dir)
	localrc := resolveLocalrc(dir) + "enable_plugin os-vif https://example.invalid/os-vif\n"
	var out bytes.Buffer
	got, err := ResolveLocalrc(context.Background(), localrc, ResolveOptions{Dest: "/ignored", DevstackDir: ds, Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, Output: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := append(resolvedPlugins(), ResolvedPlugin{Name: "os-vif", URL: "https://opendev.org/openstack/os-vif.git", Ref: "master", Dir: "/opt/stack/moved/os-vif", Line: 9})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolved\n%+v\nwant\n%+v\noutput:\n%s", got, want, out.String())
	}
	for _, name := range []string{"local.conf", "localrc", ".localrc.auto"} {
		if _, err := os.Lstat(filepath.Join(ds, name)); err == nil {
			t.Errorf("%s appeared in the DevStack checkout", name)
		}
	}
}
