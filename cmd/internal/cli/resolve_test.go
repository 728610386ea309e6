package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/internal/corpustest"
)

// TestApplyResolvesInDevstack applies, with --devstack and the pinned
// DevStack tree, a configuration whose ref comes from a command
// substitution and whose second plugin is enabled through eval: apply
// resolves both with DevStack's own functions and stackrc, reports them,
// and clones them (--only clone: the DevStack tree is only read). A
// resolved value that breaks the rules is refused with nothing cloned.
func TestApplyResolvesInDevstack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	ds := os.Getenv("STACKPLAN_DEVSTACK")
	if ds == "" {
		ds = filepath.Join("..", "..", "..", "..", "shared", "devstack")
	}
	if _, err := os.Stat(filepath.Join(ds, "stackrc")); err != nil {
		corpustest.Skip(t, ds, fmt.Errorf("%w; set STACKPLAN_DEVSTACK to a DevStack tree", err))
	}
	work := t.TempDir()
	env := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid"}
	for _, name := range []string{"alpha", "beta", "openstack/requirements.git"} {
		repo := filepath.Join(work, "repos", name)
		write(t, repo, "devstack/plugin.sh", "echo "+name+"\n")
		run(t, repo, env, "git", "init", "-q", "-b", "master")
		run(t, repo, env, "git", "add", "-A")
		run(t, repo, env, "git", "commit", "-q", "-m", name)
	}
	run(t, filepath.Join(work, "repos", "alpha"), env, "git", "branch", "stable/x")
	dest := filepath.Join(work, "stack")
	conf := fmt.Sprintf(`[[local|localrc]]
DEST=%s
GIT_BASE=file://%s
ENABLED_SERVICES=mysql
enable_plugin alpha $GIT_BASE/alpha $(echo stable/x)
eval "enable_plugin beta $GIT_BASE/beta"
`, dest, filepath.Join(work, "repos"))
	write(t, work, "local.conf", conf)
	apply := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		c := Command{Stdout: &stdout, Stderr: &stderr, Env: os.Environ(), Getwd: os.Getwd, Context: context.Background()}
		code := c.Main(append([]string{"apply", "--only", "clone", "--devstack", ds}, args...))
		return code, stderr.String() + stdout.String()
	}
	code, out := apply(filepath.Join(work, "local.conf"))
	if code != ExitOK {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"sourcing localrc with DevStack's functions and stackrc from " + ds,
		"resolved: plugin alpha: ref $(echo stable/x) is stable/x",
		"resolved: plugin beta enabled at " + filepath.Join(work, "local.conf") + ":6: url file://" + filepath.Join(work, "repos", "beta"),
		"clone beta: cloned at ",
		"apply done: 3 step(s) run, 3 clone(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("apply's output lacks %q:\n%s", want, out)
		}
	}
	head := exec.Command("git", "-C", filepath.Join(dest, "alpha"), "rev-parse", "HEAD", "refs/remotes/origin/stable/x")
	if got, err := head.Output(); err != nil || len(strings.Fields(string(got))) != 2 || strings.Fields(string(got))[0] != strings.Fields(string(got))[1] {
		t.Errorf("alpha is not checked out at stable/x: %q, %v", got, err)
	}

	bad := filepath.Join(work, "bad.conf")
	write(t, work, "bad.conf", fmt.Sprintf("[[local|localrc]]\nDEST=%s\nENABLED_SERVICES=mysql\neval \"enable_plugin evil 'ext::sh -c touch%% %s'\"\n", filepath.Join(work, "bad"), filepath.Join(work, "pwned")))
	code, out = apply(bad)
	if code != ExitFindings || !strings.Contains(out, "[url-scheme]") || !strings.Contains(out, "nothing was cloned or run") {
		t.Errorf("an ext:: URL resolved at apply: exit %d\n%s", code, out)
	}
	for _, p := range []string{filepath.Join(work, "bad"), filepath.Join(work, "pwned")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists after a refused apply", p)
		}
	}
}
