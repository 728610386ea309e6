package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/plan"
)

// devstackPlugins runs what stack.sh does with TOP_DIR's local.conf and
// localrc, with DevStack's own functions and stackrc (in a mirror of the
// pinned tree holding the two files): extract_localrc_section, then
// stackrc, which sources localrc. It returns the registered plugins and
// what DevStack printed.
func devstackPlugins(t *testing.T, ds string, files map[string]string) ([]string, string) {
	t.Helper()
	top := t.TempDir()
	entries, err := os.ReadDir(ds)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(ds)
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(top, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range files {
		write(t, top, name, text)
	}
	script := `cd "$1" && TOP_DIR=$1 && source ./functions && GetDistro &&
rm -f $TOP_DIR/.localrc.auto &&
extract_localrc_section $TOP_DIR/local.conf $TOP_DIR/localrc $TOP_DIR/.localrc.auto &&
source ./stackrc && echo "plugins:${DEVSTACK_PLUGINS#,}"`
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", script, "bash", top)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + top}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("DevStack: %v\n%s", err, out)
	}
	_, list, ok := strings.Cut(string(out), "plugins:")
	if !ok {
		t.Fatalf("DevStack printed no plugin list:\n%s", out)
	}
	list = strings.TrimSpace(list)
	if list == "" {
		return nil, string(out)
	}
	return strings.Split(list, ","), string(out)
}

// TestLegacyLocalrcBeside compares, with DevStack's own code, which
// localrc plan reads when a legacy localrc file sits beside local.conf:
// DevStack sources that file, even an empty one, and ignores the
// [[local|localrc]] sections, saying so; plan does the same and warns,
// naming both files.
func TestLegacyLocalrcBeside(t *testing.T) {
	ds := os.Getenv("STACKPLAN_DEVSTACK")
	if ds == "" {
		ds = filepath.Join("..", "..", "..", "..", "shared", "devstack")
	}
	if _, err := os.Stat(filepath.Join(ds, "stackrc")); err != nil {
		corpustest.Skip(t, ds, fmt.Errorf("%w; set STACKPLAN_DEVSTACK to a DevStack tree", err))
	}
	const section = "[[local|localrc]]\nenable_plugin alpha https://opendev.org/x/alpha\n[[post-config|/etc/a.conf]]\n[a]\nb = c\n"
	for _, tc := range []struct {
		name      string
		files     map[string]string
		warning   string // what plan says, "" for nothing
		devstacks string // what DevStack says, "" for nothing
	}{
		{"both", map[string]string{"local.conf": section, "localrc": "enable_plugin beta https://opendev.org/x/beta\n"},
			"DIR/local.conf:1:1: warning legacy-localrc: DIR/localrc exists beside DIR/local.conf: DevStack sources it instead of this [[local|localrc]] section",
			"localrc and local.conf:[[local]] both exist, using localrc"},
		{"empty localrc", map[string]string{"local.conf": section, "localrc": ""},
			"warning legacy-localrc: DIR/localrc exists beside DIR/local.conf", "localrc and local.conf:[[local]] both exist, using localrc"},
		{"no section", map[string]string{"local.conf": "[[post-config|/etc/a.conf]]\n[a]\nb = c\n", "localrc": "enable_plugin beta https://opendev.org/x/beta\n"},
			"DIR/localrc:1:1: warning legacy-localrc: DevStack sources DIR/localrc, the legacy localrc beside local.conf", ""},
		{"no localrc", map[string]string{"local.conf": section}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, said := devstackPlugins(t, ds, tc.files)
			if got := strings.Contains(said, "both exist, using localrc"); got != (tc.devstacks != "") {
				t.Errorf("DevStack's message: %q", said)
			}
			dir := t.TempDir()
			for name, text := range tc.files {
				write(t, dir, name, text)
			}
			var stdout, stderr bytes.Buffer
			c := Command{Stdout: &stdout, Stderr: &stderr, Env: os.Environ(), Getwd: os.Getwd, Context: context.Background()}
			if code := c.Main([]string{"plan", "--json", "--color", "never", filepath.Join(dir, "local.conf")}); code != ExitOK {
				t.Fatalf("plan exited %d:\n%s", code, stderr.String())
			}
			var p plan.Plan
			if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pl := range p.Plugins {
				got = append(got, pl.Name)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("plan enables %v, DevStack %v", got, want)
			}
			if !slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.Kind == plan.KindMerge && s.File == "/etc/a.conf" }) {
				t.Errorf("the post-config section of local.conf is not merged: %v", p.Steps)
			}
			var findings strings.Builder
			for _, d := range p.Diagnostics {
				fmt.Fprintf(&findings, "%v: %s %s: %s\n", d.Range, d.Severity, d.Rule, d.Summary)
			}
			msg := strings.ReplaceAll(findings.String(), dir, "DIR")
			if tc.warning == "" && strings.Contains(msg, "legacy-localrc") || tc.warning != "" && !strings.Contains(msg, tc.warning) {
				t.Errorf("plan's findings: want %q, got\n%s", tc.warning, msg)
			}
			if strings.Contains(msg, " no-localrc:") {
				t.Errorf("no-localrc reported although DevStack sources a localrc:\n%s", msg)
			}
		})
	}
}
