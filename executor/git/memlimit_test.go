package git_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// floodedFetchEnv names, in the environment of TestFloodedFetchHelper,
// the URL it fetches; floodedFetchResult, the file it writes the error to.
const (
	floodedFetchEnv    = "STACKPLAN_TEST_FLOODED_FETCH"
	floodedFetchResult = "STACKPLAN_TEST_FLOODED_FETCH_RESULT"
)

// A plan-time fetch (Request.MaxBytes) that git's own program makes, here
// of a URL the user's url.<base>.insteadOf rewrites to a git:// remote
// that floods it with refs, fails at FetchMemoryLimit, naming it, before
// the remote could send what an unbounded git would keep; and git's peak
// resident memory (every process of the fetch, from the rusage of a
// process that ran only the fetch) stays near the limit. Without the
// limit git kept every ref until the remote stopped.
func TestFetchMemoryLimitHoldsForGit(t *testing.T) {
	const stopAfter = 512 << 20 // an unbounded git keeps over 1 GB of it
	url, sent := gittest.ServeFloodingDaemon(t, stopAfter)
	home := t.TempDir()
	config := "[url \"" + url + "\"]\n\tinsteadOf = https://flood.example/plugin\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(t.TempDir(), "result")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFloodedFetchHelper$")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home,
		floodedFetchEnv+"=https://flood.example/plugin", floodedFetchResult+"="+result)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	got, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	t.Logf("git failed after %v at a peak of %d MiB; the remote sent %d MiB: %s", elapsed.Round(time.Millisecond), peak>>20, sent.Load()>>20, got)
	if !strings.Contains(string(got), git.ErrMemoryLimit.Error()) {
		t.Errorf("the fetch failed with %q, want the memory limit named", got)
	}
	if peak > git.FetchMemoryLimit+64<<20 {
		t.Errorf("peak resident memory %d MiB, for a limit of %d MiB", peak>>20, git.FetchMemoryLimit>>20)
	}
	if sent.Load() >= stopAfter {
		t.Errorf("the remote sent all of its %d MiB: git was not stopped by its limit", stopAfter>>20)
	}
}

// TestFloodedFetchHelper is the fetch of TestFetchMemoryLimitHoldsForGit,
// in a process of its own.
func TestFloodedFetchHelper(t *testing.T) {
	url := os.Getenv(floodedFetchEnv)
	if url == "" {
		t.Skip("run by TestFetchMemoryLimitHoldsForGit")
	}
	a := &git.Auto{}
	dest := filepath.Join(t.TempDir(), "plugin")
	_, err := git.Ensure(context.Background(), a, git.Request{Name: "plugin", URL: url, Ref: "master", Depth: 1, MaxBytes: 256 << 20}, dest, git.Policy{})
	if err == nil {
		t.Fatal("the flooded fetch succeeded")
	}
	if a.Chosen(url) != "git" {
		t.Fatalf("the fetch was made by %q, want git's program", a.Chosen(url))
	}
	if err := os.WriteFile(os.Getenv(floodedFetchResult), []byte(err.Error()), 0o600); err != nil {
		t.Fatal(err)
	}
}
