package git

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Auto is a [Cloner] that lets the size of each repository decide which
// implementation does the work (see scripts/bench-clone.sh): go-git for small
// repositories, where it saves the start-up of git's clone, index-pack and
// rev-list processes (about a quarter of the wall time of 20 small clones),
// and git for large ones, where go-git is 2.5 to 5 times slower and needs
// up to 120 MB.
//
// A new clone over the network that git can make blobless (no GIT_DEPTH)
// first asks the server for its refs: a server with filters and more than
// ManyRefs branches and tags has a released project's history, and git
// clones it blobless at once. Otherwise go-git negotiates; the header of
// the pack the server then sends announces how many objects follow. A
// pack of more than BloblessObjects objects is not read when the server
// supports filters: git makes a blobless partial clone instead. Any other
// pack of more than SmallObjects objects (a short history, GIT_DEPTH, a
// server without filters, Git asking for full clones) goes to git
// index-pack instead of go-git, and the checkout to git. So the choice is
// made on the repository's real size.
// With Git's Cache, git does every clone without GIT_DEPTH: the mirror
// has the history go-git would fetch again.
// A local repository (file:// or a path) is measured on disk and cloned by
// one implementation, git's being a copy of its files; an existing checkout
// is measured before an update. git does the whole clone where it would
// fetch differently from go-git, which reads no git configuration: SSH URLs
// (the user's ssh configuration), URLs that url.<base>.insteadOf rewrites,
// and http(s) URLs when http.* settings are made (a proxy, certificates);
// and a clone go-git cannot authenticate is made again with git, which has
// credential helpers.
type Auto struct {
	Git   *SystemGit
	GoGit GoGit
	// SmallObjects is the most objects a fetched pack may hold for go-git
	// to store it; 0 means DefaultSmallObjects.
	SmallObjects uint32
	// SmallBytes is the largest local repository or existing checkout
	// (its objects directory) go-git clones or updates; 0 means
	// DefaultSmallBytes.
	SmallBytes int64
	// ManyRefs is the most refs a repository may advertise for a clone
	// that git could make blobless to start with go-git; 0 means
	// DefaultManyRefs.
	ManyRefs int
	// BloblessObjects is the most objects a full pack may hold for a
	// clone to stay full where the server offers blobless ones; 0 means
	// DefaultBloblessObjects.
	BloblessObjects uint32

	mu     sync.Mutex
	chosen map[string]string
	// netConfig is read from git's configuration once, when first needed.
	netOnce   sync.Once
	netConfig gitNetConfig
}

// DefaultSmallObjects is the most objects of a pack go-git stores by
// default. Measured with 4 parallel clones over git daemon of repositories
// built as scripts/bench-clone.sh builds them, at sizes from 40 to 8,000
// objects: go-git is ahead up to about 150 objects (git's processes take
// longer to start), level around 250, and then falls behind fast, 2 times
// slower than the hand-off at 1,000 objects and 3 times at 4,000, mostly in
// its checkout.
const DefaultSmallObjects = 200

// DefaultManyRefs is the most branches and tags a repository may advertise
// for a clone to start with go-git when git can make it blobless. A
// released project has a tag per release and a branch per stable series
// (OpenStack's: 40 for requirements, 159 for octavia, 369 for neutron),
// and its pack is large: a go-git negotiation would make the server count
// every object of the full history before the pack's header shows its
// size, which costs as much as the blobless clone itself on a repository
// like neutron. A plugin with few refs starts with go-git, and a large
// pack still goes to git when its header arrives.
const DefaultManyRefs = 32

// DefaultBloblessObjects is the most objects a full pack may hold for the
// clone to stay full where the server offers blobless clones. A blobless
// clone leaves out the old versions of files but costs a second fetch, of
// the blobs the checkout needs, which the server packs afresh: it pays on
// a long history and loses on a short one. Measured with
// scripts/bench-clone.sh (clones in parallel on 2 cores, server on
// loopback, one run; docs/performance.md): 5,000 files and 2,000 commits
// (13,000 objects), the full pack handed to git index-pack took 0.65 of
// the time of blobless clones; octavia, glance, placement and requirements
// (55,000 to 75,000 objects each) cloned blobless in 0.41 of the time of
// full clones.
const DefaultBloblessObjects = 30000

// noteShortHistory is the note of a clone that stayed full although the
// server offers blobless clones.
func noteShortHistory(objects, above uint32) string {
	return fmt.Sprintf("full clone: its %d objects are fewer than the %d above which a blobless clone is faster", objects, above)
}

// DefaultSmallBytes is the largest objects directory of a local repository
// or existing checkout go-git works on by default. The benchmark's small
// plugins (20 files, 10 commits) take 35 KB, its large ones (5,000 files,
// 2,000 commits) 0.5 MB shallow and 1.7 MB in full.
const DefaultSmallBytes = 256 << 10

// HandedOff is what [Auto.Chosen] reports for a clone that go-git started
// and git finished: the pack went to git index-pack, the checkout to git.
const HandedOff = "go-git+git"

// Name implements [Cloner].
func (a *Auto) Name() string { return "auto" }

// Chosen reports which implementation did the last operation on url: "git",
// "go-git" or [HandedOff].
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

// systemGit returns the git Auto runs, and whether it is installed.
func (a *Auto) systemGit() (*SystemGit, bool) {
	a.mu.Lock()
	if a.Git == nil {
		a.Git = &SystemGit{}
	}
	sys := a.Git
	a.mu.Unlock()
	_, err := exec.LookPath(cmp.Or(sys.Path, "git"))
	return sys, err == nil
}

func (a *Auto) small(size int64) bool {
	return size <= cmp.Or(a.SmallBytes, DefaultSmallBytes)
}

// Clone implements [Cloner].
func (a *Auto) Clone(ctx context.Context, req Request, dir string) (string, error) {
	sys, ok := a.systemGit()
	if !ok {
		return a.use(req.URL, a.GoGit).Clone(ctx, req, dir)
	}
	ep, err := transport.NewEndpoint(req.URL)
	switch {
	case err != nil || a.gitFetchesDifferently(sys, req.URL, ep):
		return a.use(req.URL, sys).Clone(ctx, req, dir)
	case ep.Protocol == "file" && req.Depth > 0:
		// go-git serves local repositories in-process (env.go), without
		// shallow fetches.
		return a.use(req.URL, sys).Clone(ctx, req, dir)
	case ep.Protocol == "file":
		if size, ok := repoObjectsSize(ep.Path); ok && a.small(size) {
			return a.use(req.URL, a.GoGit).Clone(ctx, req, dir)
		}
		return a.use(req.URL, sys).Clone(ctx, req, dir)
	}
	if sys.Cache != nil && req.Depth == 0 {
		// The mirror has the history: go-git would fetch it again.
		return a.use(req.URL, sys).Clone(ctx, req, dir)
	}
	// blobless: git could make this clone blobless (the server's
	// filters are assumed when its refs cannot be listed).
	blobless := sys.wantsBlobless(req)
	if blobless {
		if filters, refs, err := advertisement(ctx, ep); err == nil {
			if filters && refs > cmp.Or(a.ManyRefs, DefaultManyRefs) {
				return a.use(req.URL, sys).Clone(ctx, req, dir)
			}
			// A server without filters sends a large pack whole:
			// git index-pack takes it.
			blobless = filters
		}
	}
	var refuseAbove uint32
	if blobless {
		refuseAbove = cmp.Or(a.BloblessObjects, DefaultBloblessObjects)
	}
	commit, large, objects, err := a.cloneHandingOff(ctx, sys, req, dir, refuseAbove)
	if err == nil && sys.wantsBlobless(req) && a.Chosen(req.URL) == HandedOff {
		if blobless {
			req.note("%s", noteShortHistory(objects, refuseAbove))
		} else {
			req.note(NoteFilterRefused)
		}
	}
	if large {
		// The pack announced is large and git can ask for a blobless one:
		// go-git stopped reading it, git clones.
		if err := emptyDir(dir); err != nil {
			return "", err
		}
		return a.use(req.URL, sys).Clone(ctx, req, dir)
	}
	if errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed) {
		// git may have the credentials (a credential helper) go-git lacks.
		if err := emptyDir(dir); err != nil {
			return "", err
		}
		return a.use(req.URL, sys).Clone(ctx, req, dir)
	}
	return commit, err
}

// cloneHandingOff clones with go-git, handing packs of more than
// SmallObjects objects and then the checkout to git, and returns how many
// objects the last pack held. A pack of more than refuseAbove objects
// (when above zero) is not read at all: large is set, and the caller has
// git clone instead.
func (a *Auto) cloneHandingOff(ctx context.Context, sys *SystemGit, req Request, dir string, refuseAbove uint32) (commit string, large bool, objects uint32, err error) {
	hs := &handoffStorage{limit: cmp.Or(a.SmallObjects, DefaultSmallObjects), git: sys, ctx: ctx, dir: dir, progress: req.Progress, refuseAbove: refuseAbove}
	repo, err := a.GoGit.initRepo(req, dir, func(fs *filesystem.Storage) storage.Storer {
		hs.Storage = fs
		return hs
	})
	if err != nil {
		return "", false, 0, err
	}
	hash, err := a.GoGit.fetchCommit(ctx, repo, req)
	if hs.refused && ctx.Err() == nil {
		return "", true, hs.objects, nil
	}
	if err != nil {
		return "", false, hs.objects, err
	}
	if !hs.handedOff {
		a.note(req.URL, a.GoGit.Name())
		commit, err := a.GoGit.checkout(repo, hash)
		return commit, false, hs.objects, err
	}
	a.note(req.URL, HandedOff)
	commit, err = sys.checkoutDetached(ctx, dir, hash.String(), false)
	return commit, false, hs.objects, err
}

// Update implements [Cloner]: go-git for a small existing checkout, git for
// a large one (go-git's checkout compares every file of the worktree) and
// for a partial clone (go-git cannot fetch the blobs it lacks).
func (a *Auto) Update(ctx context.Context, req Request, dir string) (string, error) {
	sys, ok := a.systemGit()
	if !ok {
		return a.use(req.URL, a.GoGit).Update(ctx, req, dir)
	}
	ep, err := transport.NewEndpoint(req.URL)
	if size, known := repoObjectsSize(dir); err == nil && !a.gitFetchesDifferently(sys, req.URL, ep) && known && a.small(size) && (ep.Protocol != "file" || req.Depth == 0) && goGitCanUpdate(filepath.Join(dir, ".git")) {
		return a.use(req.URL, a.GoGit).Update(ctx, req, dir)
	}
	return a.use(req.URL, sys).Update(ctx, req, dir)
}

// gitFetchesDifferently reports whether git would fetch url otherwise
// than go-git: over ssh (the user's ssh configuration), or as the user's
// git configuration says.
func (a *Auto) gitFetchesDifferently(sys *SystemGit, url string, ep *transport.Endpoint) bool {
	return ep.Protocol == "ssh" || a.gitNetConfig(sys).concerns(url)
}

// gitNetConfig is what the user's git configuration says about fetching
// that go-git would not honor: URL prefixes that url.<base>.insteadOf
// rewrites, and http.* settings (a proxy, certificates, extra headers).
type gitNetConfig struct {
	rewritten []string
	http      bool
}

// concerns reports whether git would fetch url differently from go-git.
func (n gitNetConfig) concerns(url string) bool {
	for _, prefix := range n.rewritten {
		if strings.HasPrefix(url, prefix) {
			return true
		}
	}
	scheme, _, _ := strings.Cut(url, "://")
	return n.http && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"))
}

// gitNetConfig is what of the user's git configuration a git process
// would be given (env.go) that go-git does not honor.
func (a *Auto) gitNetConfig(sys *SystemGit) gitNetConfig {
	a.netOnce.Do(func() {
		base := sys.Env
		if base == nil {
			base = os.Environ()
		}
		for _, kv := range sys.userConfig(cmp.Or(sys.Path, "git"), base) {
			switch key := strings.ToLower(kv[0]); {
			case strings.HasPrefix(key, "url.") && strings.HasSuffix(key, ".insteadof"):
				a.netConfig.rewritten = append(a.netConfig.rewritten, kv[1])
			case strings.HasPrefix(key, "http."):
				a.netConfig.http = true
			}
		}
	})
	return a.netConfig
}

// use notes that c does the work on url, and returns it.
func (a *Auto) use(url string, c Cloner) Cloner {
	a.note(url, c.Name())
	return c
}

// Head implements [Cloner]; go-git reads HEAD without starting a process.
func (a *Auto) Head(ctx context.Context, dir string) (string, error) {
	return a.GoGit.Head(ctx, dir)
}

// advertisement asks the server, in a connection of its own, for its refs:
// whether it supports filters, and how many branches and tags it has.
func advertisement(ctx context.Context, ep *transport.Endpoint) (filters bool, refs int, err error) {
	cl, err := client.NewClient(ep)
	if err != nil {
		return false, 0, err
	}
	sess, err := cl.NewUploadPackSession(ep, nil)
	if err != nil {
		return false, 0, err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return false, 0, err
	}
	return ar.Capabilities.Supports(capability.Filter), len(ar.References), nil
}

// emptyDir removes what dir holds, keeping dir.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// repoObjectsSize measures the object store of the repository at path
// (a worktree or a bare repository).
func repoObjectsSize(path string) (int64, bool) {
	objects := filepath.Join(path, ".git", "objects")
	if st, err := os.Stat(objects); err != nil || !st.IsDir() {
		objects = filepath.Join(path, "objects")
	}
	return dirSize(objects)
}

// dirSize sums the sizes of the regular files under dir.
func dirSize(dir string) (int64, bool) {
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
