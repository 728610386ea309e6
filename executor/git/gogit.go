package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// GoGit is a [Cloner] that uses go-git in-process. It starts no process
// (local repositories are served in-process, see env.go), which makes it
// the fastest choice for small repositories. GIT_DEPTH is ignored for local
// repositories.
type GoGit struct{}

// Name implements [Cloner].
func (GoGit) Name() string { return "go-git" }

// fetchedRef is where a ref fetched by name is stored (git's FETCH_HEAD).
const fetchedRef = "refs/stackplan/fetched"

// Clone implements [Cloner].
func (g GoGit) Clone(ctx context.Context, req Request, dir string) (string, error) {
	repo, err := g.initRepo(req, dir, nil)
	if err != nil {
		return "", err
	}
	return g.fetchAndCheckout(ctx, repo, req)
}

// initRepo makes dir a new repository whose origin is req.URL. Its objects
// are stored by go-git's filesystem storage, or by what wrap makes of it.
func (g GoGit) initRepo(req Request, dir string, wrap func(*filesystem.Storage) storage.Storer) (*gogit.Repository, error) {
	if err := CheckRequest(req); err != nil {
		return nil, err
	}
	if err := checkGoGitURL(req.URL); err != nil {
		return nil, err
	}
	wt, dot, err := repoFS(dir)
	if err != nil {
		return nil, err
	}
	fsStore := filesystem.NewStorage(dot, cache.NewObjectLRUDefault())
	var st storage.Storer = fsStore
	if wrap != nil {
		st = wrap(fsStore)
	}
	repo, err := gogit.Init(st, wt)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{req.URL}}); err != nil {
		return nil, err
	}
	return repo, nil
}

// Update implements [Cloner].
func (g GoGit) Update(ctx context.Context, req Request, dir string) (string, error) {
	if err := CheckRequest(req); err != nil {
		return "", err
	}
	if err := checkGoGitURL(req.URL); err != nil {
		return "", err
	}
	repo, err := openRepo(dir)
	if err != nil {
		return "", err
	}
	_ = repo.DeleteRemote("origin")
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{req.URL}}); err != nil {
		return "", err
	}
	return g.fetchAndCheckout(ctx, repo, req)
}

// repoFS is the worktree at dir and its .git directory as go-git writes
// them. They are go-billy's BoundOS, which keeps symbolic link targets as
// the commit has them, as git does (its default rewrites an absolute target
// to lie under dir, so it points into the temporary directory of a clone
// once that is renamed), and refuses to follow a link out of dir.
func repoFS(dir string) (wt, dot billy.Filesystem, err error) {
	wt = osfs.New(dir, osfs.WithBoundOS())
	dot, err = wt.Chroot(gogit.GitDirName)
	return wt, dot, err
}

// openRepo opens the repository at dir through repoFS when its .git is a
// directory, and as go-git does otherwise (a .git file naming the directory).
func openRepo(dir string) (*gogit.Repository, error) {
	if st, err := os.Lstat(filepath.Join(dir, gogit.GitDirName)); err != nil || !st.IsDir() {
		return gogit.PlainOpen(dir)
	}
	wt, dot, err := repoFS(dir)
	if err != nil {
		return nil, err
	}
	return gogit.Open(filesystem.NewStorage(dot, cache.NewObjectLRUDefault()), wt)
}

// Head implements [Cloner].
func (GoGit) Head(ctx context.Context, dir string) (string, error) {
	if h, _, err := readHead(dir); err == nil {
		return h, nil
	}
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return "", err
	}
	h, err := repo.Head()
	if err != nil {
		return "", fmt.Errorf("no commit checked out: %w", err)
	}
	return h.Hash().String(), nil
}

func checkGoGitURL(u string) error {
	ep, err := transport.NewEndpoint(u)
	if err != nil {
		return err
	}
	switch ep.Protocol {
	case "file", "git", "http", "https", "ssh":
		return nil
	}
	return fmt.Errorf("transport %q is not allowed", ep.Protocol)
}

// progressWriter turns go-git's sideband progress into whole lines, as
// git's own stderr is read: the server's chunks may end in the middle of a
// line (or a word), so the rest waits for the next chunk.
type progressWriter struct {
	emit    func(string)
	partial []byte
}

// maxProgressLine bounds a line kept waiting for its end.
const maxProgressLine = 4096

func (p *progressWriter) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexAny(p.partial, "\r\n")
		if i < 0 {
			break
		}
		if l := strings.TrimSpace(string(p.partial[:i])); l != "" {
			p.emit(l)
		}
		p.partial = p.partial[i+1:]
	}
	if len(p.partial) > maxProgressLine {
		p.emit(strings.TrimSpace(string(p.partial)))
		p.partial = nil
	}
	return len(b), nil
}

func (g GoGit) fetch(ctx context.Context, repo *gogit.Repository, req Request, specs []config.RefSpec, depth int, tags gogit.TagMode) error {
	if ep, err := transport.NewEndpoint(req.URL); err == nil && ep.Protocol == "file" {
		// The in-process server of local repositories (env.go) has no
		// shallow fetch; a local full fetch costs little.
		depth = 0
	}
	opts := &gogit.FetchOptions{RemoteName: "origin", RefSpecs: specs, Depth: depth, Tags: tags, Force: true}
	if req.Progress != nil {
		opts.Progress = &progressWriter{emit: req.Progress}
	}
	err := repo.FetchContext(ctx, opts)
	if errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		err = nil
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("go-git fetch %s %s: %w", req.URL, specString(specs), err)
	}
	return nil
}

func specString(specs []config.RefSpec) string {
	var s []string
	for _, sp := range specs {
		s = append(s, sp.String())
	}
	return strings.Join(s, " ")
}

// remoteName finds the full name "git fetch origin REF" would fetch: the
// ref itself, refs/tags/REF, then refs/heads/REF.
func (g GoGit) remoteName(ctx context.Context, repo *gogit.Repository, ref string) (plumbing.ReferenceName, error) {
	if strings.HasPrefix(ref, "refs/") {
		return plumbing.ReferenceName(ref), nil
	}
	rem, err := repo.Remote("origin")
	if err != nil {
		return "", err
	}
	refs, err := rem.ListContext(ctx, &gogit.ListOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("go-git ls-remote: %w", err)
	}
	have := map[plumbing.ReferenceName]bool{}
	for _, r := range refs {
		have[r.Name()] = true
	}
	for _, c := range []string{ref, "refs/" + ref, "refs/tags/" + ref, "refs/heads/" + ref} {
		if have[plumbing.ReferenceName(c)] && strings.HasPrefix(c, "refs/") {
			return plumbing.ReferenceName(c), nil
		}
	}
	return "", fmt.Errorf("couldn't find remote ref %s", ref)
}

func (g GoGit) fetchAndCheckout(ctx context.Context, repo *gogit.Repository, req Request) (string, error) {
	hash, err := g.fetchCommit(ctx, repo, req)
	if err != nil {
		return "", err
	}
	return g.checkout(repo, hash)
}

// checkout force-checks out hash, detached.
func (g GoGit) checkout(repo *gogit.Repository, hash plumbing.Hash) (string, error) {
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.Checkout(&gogit.CheckoutOptions{Hash: hash, Force: true}); err != nil {
		return "", fmt.Errorf("go-git checkout %s: %w", hash, err)
	}
	return hash.String(), nil
}

// fetchCommit fetches what req names as "git fetch origin REF" would (with
// the remote's branches and tags when not shallow) and returns its commit.
func (g GoGit) fetchCommit(ctx context.Context, repo *gogit.Repository, req Request) (plumbing.Hash, error) {
	var hash plumbing.Hash
	kind := kindOf(req.Ref)
	switch {
	case kind == refCommit && req.Depth > 0:
		spec := config.RefSpec(req.Ref + ":" + fetchedRef)
		if err := g.fetch(ctx, repo, req, []config.RefSpec{spec}, req.Depth, gogit.NoTags); err != nil {
			if ctx.Err() != nil {
				return plumbing.ZeroHash, ctx.Err()
			}
			// No allow-*-sha1-in-want: fetch everything and look.
			if err := g.fetchAll(ctx, repo, req); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		hash = plumbing.NewHash(req.Ref)
	case req.Depth > 0:
		// go-git expands a short name by git's rules (tag before branch)
		// against the advertisement of this same connection.
		spec := config.RefSpec("+" + req.Ref + ":" + fetchedRef)
		if err := g.fetch(ctx, repo, req, []config.RefSpec{spec}, req.Depth, gogit.NoTags); err != nil {
			return plumbing.ZeroHash, err
		}
		h, err := peel(repo, fetchedRef)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		hash = h
	default:
		if err := g.fetchAll(ctx, repo, req); err != nil {
			return plumbing.ZeroHash, err
		}
		h, err := g.resolveLocal(repo, req.Ref)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h.IsZero() {
			var spec config.RefSpec
			if kind == refCommit {
				spec = config.RefSpec(req.Ref + ":" + fetchedRef)
			} else {
				name, err := g.remoteName(ctx, repo, req.Ref)
				if err != nil {
					return plumbing.ZeroHash, err
				}
				spec = config.RefSpec("+" + name.String() + ":" + fetchedRef)
			}
			if err := g.fetch(ctx, repo, req, []config.RefSpec{spec}, 0, gogit.NoTags); err != nil {
				return plumbing.ZeroHash, err
			}
			if h, err = peel(repo, fetchedRef); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		hash = h
	}
	if _, err := repo.CommitObject(hash); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit %s not found after fetching %s: %w", hash, req.Ref, err)
	}
	return hash, nil
}

func (g GoGit) fetchAll(ctx context.Context, repo *gogit.Repository, req Request) error {
	return g.fetch(ctx, repo, req, []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"}, 0, gogit.AllTags)
}

// resolveLocal mirrors SystemGit.resolveLocal; a zero hash means "fetch it".
func (g GoGit) resolveLocal(repo *gogit.Repository, ref string) (plumbing.Hash, error) {
	if kindOf(ref) == refCommit {
		if _, err := repo.CommitObject(plumbing.NewHash(ref)); err == nil {
			return plumbing.NewHash(ref), nil
		}
		return plumbing.ZeroHash, nil
	}
	for _, c := range localCandidates(ref) {
		if h, err := peel(repo, plumbing.ReferenceName(c)); err == nil {
			return h, nil
		}
	}
	return plumbing.ZeroHash, nil
}

// peel resolves a reference to a commit, through annotated tags.
func peel(repo *gogit.Repository, name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h := ref.Hash()
	for range 10 {
		tag, err := repo.TagObject(h)
		if err != nil {
			break
		}
		if tag.TargetType != plumbing.CommitObject && tag.TargetType != plumbing.TagObject {
			return plumbing.ZeroHash, fmt.Errorf("%s does not point to a commit", name)
		}
		h = tag.Target
	}
	if _, err := object.GetCommit(repo.Storer, h); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%s: %w", name, err)
	}
	return h, nil
}
