package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// cancelWriter cancels a context as soon as the output holds a marker, so
// a test can interrupt an apply at a known point without timing.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

// TestApplyInterrupted stops an apply in the middle of a plugin step, as
// Ctrl-C does: the exit code is 130, the step's process group is killed,
// and the next apply resumes and completes.
func TestApplyInterrupted(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	work := t.TempDir()
	repo := filepath.Join(work, "repos", "slow")
	write(t, repo, "devstack/plugin.sh", `echo "slow: $*"
if [[ "$1 $2" == "stack install" && ! -e "$DEST/resumed" ]]; then
    echo "slow: sleeping"
    sleep 600
fi
`)
	env := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid"}
	run(t, repo, env, "git", "init", "-q", "-b", "master")
	run(t, repo, env, "git", "add", "-A")
	run(t, repo, env, "git", "commit", "-q", "-m", "slow")
	conf := filepath.Join(work, "local.conf")
	write(t, work, "local.conf", "[[local|localrc]]\nenable_plugin slow file://"+repo+"\n")
	dest := filepath.Join(work, "stack")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelWriter{marker: "slow: sleeping", cancel: cancel}
	var stderr bytes.Buffer
	c := Command{Stdout: out, Stderr: &stderr, Env: os.Environ(), Getwd: os.Getwd, Context: ctx}
	if code := c.Main([]string{"apply", "--dest", dest, conf}); code != ExitInterrupted {
		t.Fatalf("interrupted apply exited %d, want %d; stderr:\n%s", code, ExitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the apply was interrupted:\n%s", stderr.String())
	}
	if strings.Contains(out.buf.String(), "slow: stack post-config") {
		t.Fatal("steps after the interrupted one ran")
	}

	// The cause is gone: the next apply resumes at the interrupted step.
	write(t, dest, "resumed", "")
	var stdout2, stderr2 bytes.Buffer
	c2 := Command{Stdout: &stdout2, Stderr: &stderr2, Env: os.Environ(), Getwd: os.Getwd, Context: context.Background()}
	if code := c2.Main([]string{"apply", "--dest", dest, conf}); code != ExitOK {
		t.Fatalf("resumed apply exited %d; stderr:\n%s\nstdout:\n%s", code, stderr2.String(), stdout2.String())
	}
	got := stdout2.String()
	if strings.Contains(got, "slow: stack pre-install") {
		t.Errorf("the resumed apply ran a finished phase again:\n%s", got)
	}
	for _, want := range []string{"slow: stack install", "slow: stack test-config", "apply done"} {
		if !strings.Contains(got, want) {
			t.Errorf("the resumed apply did not print %q:\n%s", want, got)
		}
	}
}

// TestDemo runs the README's first command: the example plugins become git
// repositories and their whole lifecycle runs, in DevStack's hook order.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI: skipped with -short")
	}
	root := filepath.Join("..", "..", "..")
	cmd := exec.Command("bash", "examples/demo.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("examples/demo.sh: %v\n%s", err, out)
	}
	var hooks []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "hello: ") || strings.HasPrefix(line, "world: ") {
			hooks = append(hooks, line)
		}
	}
	want := []string{
		"hello: override-defaults",
		"hello: settings (greeting Bonjour)",
		"world: settings (is hello enabled? yes)",
		"hello: plugin.sh stack pre-install", "world: plugin.sh stack pre-install",
		"hello: plugin.sh stack install", "world: plugin.sh stack install",
		"hello: plugin.sh stack post-config", "world: plugin.sh stack post-config",
		"hello: plugin.sh stack extra", "world: plugin.sh stack extra",
		"world: hello.conf now says: greeting = Hello, merged",
		"hello: plugin.sh stack test-config", "world: plugin.sh stack test-config",
		"hello: override-defaults",
		"hello: settings (greeting Bonjour)", "world: settings (is hello enabled? yes)",
		"hello: plugin.sh unstack", "world: plugin.sh unstack",
		// clean.sh runs unstack.sh --all first, then its own hooks.
		"hello: override-defaults",
		"hello: settings (greeting Bonjour)", "world: settings (is hello enabled? yes)",
		"hello: plugin.sh unstack", "world: plugin.sh unstack",
		"hello: settings (greeting Bonjour)", "world: settings (is hello enabled? yes)",
		"hello: plugin.sh clean", "world: plugin.sh clean",
	}
	if strings.Join(hooks, "\n") != strings.Join(want, "\n") {
		t.Errorf("hook order:\n%s\n\nwant:\n%s", strings.Join(hooks, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(string(out), "[DEFAULT]\ndebug = True\ngreeting = Hello, merged\n") {
		t.Errorf("the post-config merge did not produce the expected hello.conf:\n%s", out)
	}
}
