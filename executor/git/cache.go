package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Cache is a local object cache: one bare mirror per URL, holding its
// branches and tags and every object checkouts made from it fetched, so
// that a clone of the URL into a fresh destination fetches only what is
// new. It serves re-stacking on one machine, several DESTs and containers
// sharing a directory.
//
// A clone through the cache (SystemGit.Cache) locks the URL's mirror
// (making it the first time: a blobless partial clone where the server
// supports filters) and clones the remote with the mirror as a reference:
// git offers the mirror's refs as what it has, so one exchange with the
// remote brings only what is new, and the checkout reads the rest from the
// mirror; blobs neither has are fetched from the remote, the promisor.
// The checkout then takes the mirror's objects as its own, hard-linking
// its pack files and loose objects (git never changes either), and stops
// borrowing: it shares no file the mirror could change and stands alone
// when the cache is deleted. The packs the clone fetched are linked into
// the mirror, and the mirror takes the remote's branches and tags from the
// checkout, so the next clone of the same commit fetches nothing.
type Cache struct {
	// Dir holds the mirrors, Dir/NAME-HASH.git, and their locks.
	Dir string
}

var unsafeNameRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// mirrorPath is where url's mirror lives: named after the repository, and
// unique per URL. It is absolute: git clones it from inside another
// directory.
func (c *Cache) mirrorPath(url string) string {
	sum := sha256.Sum256([]byte(url))
	base := strings.TrimSuffix(strings.TrimRight(url, "/"), ".git")
	base = unsafeNameRE.ReplaceAllString(base[strings.LastIndexAny(base, "/:")+1:], "_")
	base = strings.TrimLeft(base, ".")
	if base == "" {
		base = "repo"
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		dir = c.Dir
	}
	return filepath.Join(dir, base+"-"+hex.EncodeToString(sum[:8])+".git")
}

// check makes the cache directory if needed and refuses one that another
// user could write to: a clone from a mirror trusts its objects and refs
// as much as a checkout's own (a fetch from the remote corrects refs, not
// objects), so the cache must be as private as DEST.
func (c *Cache) check() error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	st, err := os.Stat(c.Dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm()&0o022 != 0 || ok && int(sys.Uid) != os.Getuid() {
		return fmt.Errorf("%s is writable by other users or not ours: the object cache must be private", c.Dir)
	}
	return nil
}

// lock takes the lock of the mirror at path, waiting while another clone
// (of this process or another) holds it, until ctx ends.
func (c *Cache) lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// explicitGitDir names the repository of dir on git's command line:
// safe.bareRepository=explicit (see env.go) refuses a bare repository, such
// as a mirror, that git would find from its working directory alone.
func explicitGitDir(dir string) string {
	if st, err := os.Stat(filepath.Join(dir, ".git")); err == nil && st.IsDir() {
		return "--git-dir=.git"
	}
	return "--git-dir=."
}

// makeMirror makes the mirror of req.URL at path when there is none, and
// reports whether it did.
func (g *SystemGit) makeMirror(ctx context.Context, req Request, path string) (made bool, err error) {
	if _, err := os.Stat(filepath.Join(path, "HEAD")); err == nil {
		return false, nil
	}
	tmp, err := os.MkdirTemp(g.Cache.Dir, "."+filepath.Base(path)+TempPrefix)
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	filter, progress, filtered := g.cloneFilterArgs(req)
	args := append([]string{"-c", "init.defaultRefFormat=files", "clone", "--bare", g.progressFlag(req)}, filter...)
	if _, err := g.run(ctx, tmp, progress, append(args, "--", req.URL, ".")...); err != nil {
		return false, err
	}
	if err := filtered(ctx, tmp); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

// checkoutRefspecs bring a checkout's branches and tags, just fetched from
// the remote, into its mirror; not origin/HEAD, which would become a
// branch named HEAD.
var checkoutRefspecs = []string{"+refs/remotes/origin/*:refs/heads/*", "^refs/remotes/origin/HEAD", "+refs/tags/*:refs/tags/*"}

// cloneFromCache makes dir a checkout of req with the URL's mirror (see
// Cache). When the mirror cannot be used, the clone is made from the
// remote alone, and a note says why.
func (g *SystemGit) cloneFromCache(ctx context.Context, req Request, dir string) (string, error) {
	mirror := g.Cache.mirrorPath(req.URL)
	unlock, err := g.Cache.lock(ctx, mirror)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		req.note("object cache not used: %v", err)
		return g.cloneDirect(ctx, req, dir)
	}
	defer unlock()
	made, err := g.makeMirror(ctx, req, mirror)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		req.note("object cache not used: making %s: %v", mirror, err)
		return g.cloneDirect(ctx, req, dir)
	}
	// git clone asks the remote for its refs and offers the mirror's as
	// what it has: only what is new comes over the network, and the
	// checkout reads the rest from the mirror.
	borrowing := req
	borrowing.reference = mirror
	commit, err := g.cloneDirect(ctx, borrowing, dir)
	if err != nil {
		return "", err
	}
	// The checkout stands alone: it gets the mirror's objects as its own
	// (hard links) and stops borrowing. The mirror keeps what the clone
	// fetched, and learns the remote's refs when they brought anything.
	gd := filepath.Join(dir, ".git")
	if err := dissociate(filepath.Join(mirror, "objects"), filepath.Join(gd, "objects")); err != nil {
		return "", fmt.Errorf("copying the object cache's objects into the checkout: %w", err)
	}
	linked, err := linkPacks(filepath.Join(gd, "objects", "pack"), filepath.Join(mirror, "objects", "pack"))
	if err == nil && linked > 0 && !made {
		_, err = g.run(ctx, mirror, nil, append([]string{explicitGitDir(mirror), "fetch", "-q", "--prune", "--", dir}, checkoutRefspecs...)...)
	}
	switch {
	case err != nil:
		req.note("object cache: keeping what this clone fetched failed: %v", err)
	case made:
		req.note("object cache: new mirror %s", mirror)
	case linked == 0:
		req.note("object cache: everything came from %s", mirror)
	default:
		req.note("object cache: from %s, %d new pack(s) fetched", mirror, linked)
	}
	return commit, nil
}

// dissociate makes the repository whose object directory is objects hold
// every object of the one at from, which it borrowed through
// objects/info/alternates, and then stop borrowing: packs and loose
// objects are hard-linked (copied where links fail; git never changes
// either once written).
func dissociate(from, objects string) error {
	if _, err := linkPacks(filepath.Join(from, "pack"), filepath.Join(objects, "pack")); err != nil {
		return err
	}
	fanout, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, d := range fanout {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue // pack/, info/
		}
		loose, err := os.ReadDir(filepath.Join(from, d.Name()))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(objects, d.Name()), 0o755); err != nil {
			return err
		}
		for _, o := range loose {
			if err := linkOrCopy(filepath.Join(from, d.Name(), o.Name()), filepath.Join(objects, d.Name(), o.Name())); err != nil {
				return err
			}
		}
	}
	err = os.Remove(filepath.Join(objects, "info", "alternates"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// linkPacks adds to the pack directory dst the packs of src it lacks, as
// hard links where the file system allows and copies elsewhere, and
// returns how many it added. A pack's index goes last: git finds a pack by
// its index, so a reader never sees an index without its pack.
func linkPacks(src, dst string) (int, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, e := range entries {
		stem, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok || !strings.HasPrefix(stem, "pack-") {
			continue
		}
		if _, err := os.Stat(filepath.Join(dst, e.Name())); err == nil {
			continue
		}
		for _, ext := range []string{".pack", ".promisor", ".rev", ".idx"} {
			err := linkOrCopy(filepath.Join(src, stem+ext), filepath.Join(dst, stem+ext))
			if err != nil && !(ext != ".pack" && ext != ".idx" && errors.Is(err, os.ErrNotExist)) {
				return added, err
			}
		}
		added++
	}
	return added, nil
}

func linkOrCopy(src, dst string) error {
	err := os.Link(src, dst)
	if err == nil || errors.Is(err, os.ErrExist) {
		return nil
	}
	if _, serr := os.Stat(src); serr != nil {
		return serr
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".tmp-pack-")
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(out.Name(), 0o444)
	}
	if err == nil {
		err = os.Rename(out.Name(), dst)
	}
	if err != nil {
		os.Remove(out.Name())
		return fmt.Errorf("copying %s: %w", filepath.Base(src), err)
	}
	return nil
}
