package git

import (
	"context"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Auto is a [Cloner] that picks, per repository, the implementation that
// measures best (see scripts/bench-clone.sh): go-git for small repositories,
// where it saves the start-up of git's clone, index-pack and rev-list
// processes (about a quarter of the wall time of 20 small clones), and the
// git command for large ones, where go-git is 2.5 to 5 times slower and
// needs up to 120 MB. The size is known before cloning for local
// repositories (file:// and paths) and from Sizes for others (the executor
// records the size of every checkout it makes); an unknown size picks the
// git command, whose worst case is the start-up of its processes, where
// go-git's is several seconds and a hundred megabytes.
type Auto struct {
	Git   *SystemGit
	GoGit GoGit
	// SmallBytes is the largest repository (its .git directory) cloned with
	// go-git; 0 means DefaultSmallBytes.
	SmallBytes int64
	// Sizes maps a URL to the size of its last checkout's .git directory.
	Sizes map[string]int64

	mu     sync.Mutex
	chosen map[string]string
}

// DefaultSmallBytes is the largest .git cloned with go-git by default. The
// benchmark's small plugins (20 files, 10 commits) take 35 KB, its large
// ones (5,000 files, 2,000 commits), where go-git is 3 to 5 times slower,
// 0.5 MB shallow and 1.7 MB in full: the size grows with the number of
// objects, which is what go-git's cost follows.
const DefaultSmallBytes = 256 << 10

// Name implements [Cloner].
func (a *Auto) Name() string { return "auto" }

// Choose returns the implementation Auto uses for url.
func (a *Auto) Choose(u string) Cloner {
	sys := a.Git
	if sys == nil {
		sys = &SystemGit{}
	}
	if _, err := exec.LookPath(nz(sys.Path, "git")); err != nil {
		return a.GoGit
	}
	limit := a.SmallBytes
	if limit == 0 {
		limit = DefaultSmallBytes
	}
	size, ok := a.Sizes[u]
	if !ok {
		size, ok = localRepoSize(u)
	}
	if ok && size <= limit {
		return a.GoGit
	}
	return sys
}

func nz(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Chosen reports which implementation did the last operation on url.
func (a *Auto) Chosen(u string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.chosen[u]
}

func (a *Auto) note(u, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.chosen == nil {
		a.chosen = map[string]string{}
	}
	a.chosen[u] = name
}

// Clone implements [Cloner].
func (a *Auto) Clone(ctx context.Context, req Request, dir string) (string, error) {
	c := a.Choose(req.URL)
	a.note(req.URL, c.Name())
	return c.Clone(ctx, req, dir)
}

// Update implements [Cloner].
func (a *Auto) Update(ctx context.Context, req Request, dir string) (string, error) {
	c := a.Choose(req.URL)
	a.note(req.URL, c.Name())
	return c.Update(ctx, req, dir)
}

// Head implements [Cloner]; go-git reads HEAD without starting a process.
func (a *Auto) Head(ctx context.Context, dir string) (string, error) {
	return a.GoGit.Head(ctx, dir)
}

// localRepoSize measures the object store of a local repository URL.
func localRepoSize(raw string) (int64, bool) {
	var p string
	switch {
	case strings.HasPrefix(raw, "file://"):
		u, err := url.Parse(raw)
		if err != nil {
			return 0, false
		}
		p = u.Path
	case strings.HasPrefix(raw, "/"):
		p = raw
	default:
		return 0, false
	}
	objects := filepath.Join(p, ".git", "objects")
	if st, err := os.Stat(objects); err != nil || !st.IsDir() {
		objects = filepath.Join(p, "objects")
	}
	return DirSize(objects)
}

// DirSize sums the sizes of the regular files under dir.
func DirSize(dir string) (int64, bool) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total, err == nil
}
