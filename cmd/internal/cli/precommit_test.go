package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommit runs the real pre-commit (Debian's package) with this
// repository's .pre-commit-hooks.yaml on a temporary repository: a good
// local.conf passes, a bad one fails with its finding, one with a warning
// fails too, and templates are left out. pre-commit builds the hook from
// the committed HEAD, as users get it from a tag.
func TestPreCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the hook with go install: skipped with -short")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not installed (apt-get install pre-commit; .ci/run does)")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(run(t, root, nil, "git", "rev-parse", "HEAD"))
	if out := run(t, root, nil, "git", "show", "HEAD:.pre-commit-hooks.yaml"); !strings.Contains(out, "stackplan-lint") {
		t.Fatalf("HEAD has no stackplan-lint hook:\n%s", out)
	}

	work := t.TempDir()
	modcache := strings.TrimSpace(run(t, root, nil, "go", "env", "GOMODCACHE"))
	env := []string{
		"PRE_COMMIT_HOME=" + filepath.Join(t.TempDir(), "cache"),
		"GOMODCACHE=" + modcache, // reuse downloaded modules instead of fetching them again
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
	}
	run(t, work, env, "git", "init", "-q")
	write(t, work, ".pre-commit-config.yaml", "repos:\n  - repo: "+root+"\n    rev: "+head+"\n    hooks:\n      - id: stackplan-lint\n")
	write(t, work, "devstack/local.conf", "[[local|localrc]]\nenable_plugin octavia https://opendev.org/openstack/octavia\n")
	write(t, work, "README.txt", "enable_plugin ../x ext::sh is not a config file\n")
	// Templates are not configurations until rendered: the hook leaves them out.
	write(t, work, "templates/local.conf.j2", "[[local|localrc]]\n{% for p in plugins %}\nenable_plugin {{ p }} ../x\n{% endfor %}\n")
	write(t, work, "templates/localrc.tmpl", "enable_plugin ../x ext::sh\n")
	run(t, work, env, "git", "add", ".")

	out, err := runErr(work, env, "pre-commit", "run", "--all-files")
	if err != nil {
		t.Fatalf("pre-commit failed on a good local.conf: %v\n%s", err, out)
	}
	if !strings.Contains(out, "stackplan lint") || !strings.Contains(out, "Passed") {
		t.Fatalf("the hook did not run and pass:\n%s", out)
	}

	write(t, work, "ci/compute.local.conf", "[[local|localrc]]\nenable_plugin ../escape https://opendev.org/x/escape\n")
	out = preCommitFails(t, work, env, "ci/compute.local.conf:2:15: error:", "[invalid-plugin-name]")
	for _, skipped := range []string{"README.txt", "local.conf.j2", "localrc.tmpl"} {
		if strings.Contains(out, skipped) {
			t.Errorf("the hook checked %s, which its files pattern should skip:\n%s", skipped, out)
		}
	}

	// Warnings fail the hook, as they fail lint by default.
	run(t, work, env, "git", "rm", "-q", "-f", "ci/compute.local.conf")
	write(t, work, "ci/warn.local.conf", "[[local|localrc]]\nenable_plugin heat https://opendev.org/openstack/heat master extra\n")
	preCommitFails(t, work, env, "ci/warn.local.conf:2:62: warning:", "[extra-arguments]")
}

// preCommitFails stages the work tree, runs the hooks on every file and
// checks that they fail with each of wants in their output.
func preCommitFails(t *testing.T, work string, env []string, wants ...string) string {
	t.Helper()
	run(t, work, env, "git", "add", ".")
	out, err := runErr(work, env, "pre-commit", "run", "--all-files")
	if err == nil {
		t.Fatalf("pre-commit passed:\n%s", out)
	}
	for _, want := range append(wants, "Failed") {
		if !strings.Contains(out, want) {
			t.Errorf("pre-commit output lacks %q:\n%s", want, out)
		}
	}
	return out
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

func runErr(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
