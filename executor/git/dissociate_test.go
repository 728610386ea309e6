package git

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A checkout that borrowed a mirror's objects, packed and loose, holds them
// all itself after dissociate, and no longer names the mirror.
func TestDissociateTakesPacksAndLooseObjects(t *testing.T) {
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
			"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	root := t.TempDir()
	upstream := filepath.Join(root, "upstream")
	git(root, "init", "-q", upstream)
	os.WriteFile(filepath.Join(upstream, "a"), []byte("packed\n"), 0o644)
	git(upstream, "add", "a")
	git(upstream, "commit", "-qm", "packed")
	mirror := filepath.Join(root, "mirror.git")
	git(root, "clone", "-q", "--bare", "--no-local", upstream, mirror)
	os.WriteFile(filepath.Join(upstream, "b"), []byte("loose\n"), 0o644)
	git(upstream, "add", "b")
	git(upstream, "commit", "-qm", "loose")
	git(mirror, "--git-dir=.", "fetch", "-q", upstream, "+refs/heads/*:refs/heads/*")
	if n := git(mirror, "--git-dir=.", "count-objects"); strings.HasPrefix(n, "0 objects") {
		t.Fatalf("the mirror has no loose object: %s", n)
	}
	checkout := filepath.Join(root, "checkout")
	git(root, "clone", "-q", "--no-local", "--reference", mirror, upstream, checkout)
	objects := filepath.Join(checkout, ".git", "objects")
	if err := dissociate(filepath.Join(mirror, "objects"), objects); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(objects, "info", "alternates")); !os.IsNotExist(err) {
		t.Fatalf("alternates still there: %v", err)
	}
	if err := os.RemoveAll(mirror); err != nil {
		t.Fatal(err)
	}
	git(checkout, "fsck", "--no-progress", "--no-dangling")
	if got := git(checkout, "show", "HEAD:b"); got != "loose" {
		t.Fatalf("HEAD:b is %q", got)
	}
}
