package git_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// notesMention reports whether a note contains s.
func notesMention(out git.Outcome, s string) bool {
	for _, n := range out.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// With the object cache, a clone into a fresh destination fetches only
// what is new; each checkout stands alone once the cache is deleted.
func TestCacheClonesFetchOnlyWhatIsNew(t *testing.T) {
	p := newPbrProject(t, true)
	srv := gittest.ServeHTTP(t, p.root)
	url := srv.URL + "/" + p.name
	cache := &git.Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	for _, c := range []git.Cloner{&git.SystemGit{Cache: cache}, &git.Auto{Git: &git.SystemGit{Cache: cache}}} {
		t.Run(c.Name(), func(t *testing.T) {
			os.RemoveAll(cache.Dir)
			clone := func(ref string) (string, git.Outcome) {
				t.Helper()
				dest := filepath.Join(t.TempDir(), "demo")
				out, err := git.Ensure(context.Background(), c, git.Request{Name: "demo", URL: url, Ref: ref}, dest, git.Policy{})
				if err != nil {
					t.Fatal(err)
				}
				if out.History != git.HistoryBlobless {
					t.Fatalf("%s: %s clone, want blobless", ref, out.History)
				}
				return dest, out
			}
			cold, out := clone("1.1.0")
			if !notesMention(out, "new mirror") {
				t.Fatalf("cold clone notes %q", out.Notes)
			}
			// The same ref again: the mirror has every object. The clone
			// asks the server for its refs and negotiates at most once; it
			// gets no pack (git clone keeps every pack it receives, and the
			// note counts the checkout's own packs).
			before := srv.Upload.Load()
			warm, out := clone("1.1.0")
			if !notesMention(out, "everything came from") || srv.Upload.Load()-before > 2 {
				t.Fatalf("warm clone: notes %q, %d upload-pack requests, want 2 at most", out.Notes, srv.Upload.Load()-before)
			}
			// A ref whose blobs the mirror lacks: the checkout fetches them,
			// and the mirror keeps them.
			_, out = clone("master")
			if !notesMention(out, "1 new pack(s)") {
				t.Fatalf("clone of master: notes %q", out.Notes)
			}
			// The mirror took the remote's branches from that checkout.
			mirrors, _ := filepath.Glob(filepath.Join(cache.Dir, "*.git"))
			if len(mirrors) != 1 {
				t.Fatalf("mirrors %q, want one", mirrors)
			}
			if got, want := gittest.Git(t, mirrors[0], "--git-dir=.", "for-each-ref", "--format=%(refname)", "refs/heads"), gittest.Git(t, p.repo.Dir, "for-each-ref", "--format=%(refname)", "refs/heads"); got != want {
				t.Fatalf("the mirror's branches:\n%s\nwant the remote's:\n%s", got, want)
			}
			// A new upstream commit: the clone fetches it.
			head := p.repo.Commit("news", map[string]string{"NEWS": "n\n"})
			fresh, out := clone("master")
			if out.Commit != head {
				t.Fatalf("clone after an upstream commit at %s, want %s", out.Commit, head)
			}
			// Without the cache, every checkout stands alone: with the
			// server down too, nothing it lacks could be fetched.
			if err := os.RemoveAll(cache.Dir); err != nil {
				t.Fatal(err)
			}
			srv.SetDown(true)
			defer srv.SetDown(false)
			for _, dir := range []string{cold, warm, fresh} {
				gittest.Git(t, dir, "fsck", "--no-progress", "--connectivity-only")
				if st := gittest.Git(t, dir, "status", "--porcelain"); st != "" {
					t.Fatalf("%s: status %q", dir, st)
				}
				if got := gittest.Git(t, dir, "describe", "--tags", "origin/master"); !strings.HasPrefix(got, "1.1.0-") {
					t.Fatalf("%s: git describe %q", dir, got)
				}
				if u := gittest.Git(t, dir, "remote", "get-url", "origin"); u != url {
					t.Fatalf("%s: origin is %s", dir, u)
				}
			}
		})
	}
}

// Clones of one URL in parallel share its mirror, one at a time. The
// cache directory may be given relative to the working directory.
func TestCacheParallelClonesOfOneURL(t *testing.T) {
	p := newPbrProject(t, true)
	daemon := gittest.ServeDaemon(t, p.root)
	t.Chdir(t.TempDir())
	cache := &git.Cache{Dir: "cache"}
	c := &git.SystemGit{Cache: cache}
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = git.Ensure(context.Background(), c, git.Request{Name: "demo", URL: daemon.URL + "/" + p.name, Ref: "master"}, filepath.Join(root, string(rune('a'+i))), git.Policy{})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mirrors, _ := filepath.Glob(filepath.Join(cache.Dir, "*.git"))
	if len(mirrors) != 1 {
		t.Fatalf("mirrors %q, want one", mirrors)
	}
}

// A cache directory others can write to is not used: the clone is made
// from the remote alone, and a note says why.
func TestCacheRefusesASharedDirectory(t *testing.T) {
	p := newPbrProject(t, true)
	daemon := gittest.ServeDaemon(t, p.root)
	shared := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	c := &git.SystemGit{Cache: &git.Cache{Dir: shared}}
	out, err := git.Ensure(context.Background(), c, git.Request{Name: "demo", URL: daemon.URL + "/" + p.name, Ref: "master"}, filepath.Join(t.TempDir(), "demo"), git.Policy{})
	if err != nil || !notesMention(out, "object cache not used") || !notesMention(out, "must be private") {
		t.Fatalf("got %+v %v", out, err)
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 0 {
		t.Fatalf("the shared cache was written: %v", entries)
	}
}
