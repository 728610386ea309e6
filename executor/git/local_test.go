package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// TestRecloneRefusesToDiscardWork: RECLONE updates a clean checkout, but
// refuses one with uncommitted changes or local commits unless forced.
func TestRecloneRefusesToDiscardWork(t *testing.T) {
	root := t.TempDir()
	up := gittest.NewRepo(t, root, "up", map[string]string{"devstack/settings": "a\n"})
	dir := filepath.Join(t.TempDir(), "plug")
	req := Request{Name: "plug", URL: up.Dir, Ref: "master"}
	ctx := context.Background()
	c := &SystemGit{}
	if _, err := Ensure(ctx, c, req, dir, Policy{}); err != nil {
		t.Fatal(err)
	}
	next := up.Commit("upstream moves", map[string]string{"devstack/settings": "b\n"})

	// Uncommitted change: refused, and the file is untouched.
	settings := filepath.Join(dir, "devstack", "settings")
	if err := os.WriteFile(settings, []byte("my edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Ensure(ctx, c, req, dir, Policy{Reclone: true})
	if !errors.Is(err, ErrWouldDiscard) {
		t.Fatalf("reclone over an uncommitted change: err = %v, want ErrWouldDiscard", err)
	}
	if b, _ := os.ReadFile(settings); string(b) != "my edit\n" {
		t.Fatalf("the refused reclone changed the file: %q", b)
	}
	st, err := Inspect(ctx, dir)
	if err != nil || len(st.Changed) != 1 || st.Changed[0] != "devstack/settings" {
		t.Fatalf("Inspect = %+v, %v", st, err)
	}

	// A local commit: refused too.
	gittest.Git(t, dir, "commit", "-qam", "local work")
	if _, err := Ensure(ctx, c, req, dir, Policy{Reclone: true}); !errors.Is(err, ErrWouldDiscard) {
		t.Fatalf("reclone over a local commit: err = %v, want ErrWouldDiscard", err)
	}
	if st, _ := Inspect(ctx, dir); st.LocalCommits != 1 || len(st.Changed) != 0 {
		t.Fatalf("Inspect after a local commit = %+v", st)
	}

	// --force: the checkout moves to upstream.
	out, err := Ensure(ctx, c, req, dir, Policy{Reclone: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.Commit != next {
		t.Errorf("forced reclone ended at %s, want %s", out.Commit, next)
	}

	// A clean checkout recloned without --force: fine.
	next = up.Commit("again", map[string]string{"devstack/settings": "c\n"})
	if out, err := Ensure(ctx, c, req, dir, Policy{Reclone: true}); err != nil || out.Commit != next {
		t.Fatalf("clean reclone: %+v, %v", out, err)
	}
}
