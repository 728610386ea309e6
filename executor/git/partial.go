package git

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// BloblessFilter is the filter of a blobless partial clone: every commit
// and tree of the history, and only the blobs a checkout needs. pbr's
// versions (git describe, the Sem-Ver lines of git log), its ChangeLog and
// AUTHORS (git log of subjects and authors) and DevStack's fetches and
// checkouts of other refs need nothing more; git fetches any other blob
// from origin, the promisor remote, when a command reads it.
const BloblessFilter = "blob:none"

// filterRefused is how git says, on stderr, that the server refused the
// filter and sent every object (uploadpack.allowFilter unset).
const filterRefused = "filtering not recognized by server"

// NoteFilterRefused is the note of a clone that asked for a blobless
// partial clone and got a full one.
const NoteFilterRefused = "full clone: the server does not support partial clones (filters)"

// wantsBlobless reports whether a clone of req asks for a blobless partial
// clone: not with GIT_DEPTH (a shallow clone keeps DevStack's meaning), not
// from a local path (git copies or links the objects, ignoring filters),
// and not when the SystemGit asks for full clones.
func (g *SystemGit) wantsBlobless(req Request) bool {
	if g.Full || req.Depth > 0 {
		return false
	}
	return !isLocalPath(req.URL)
}

// isLocalPath reports whether git clones url as a local path, copying its
// files rather than speaking to upload-pack (file:// URLs go through
// upload-pack and honor filters).
func isLocalPath(url string) bool {
	if strings.HasPrefix(strings.ToLower(url), "file://") {
		return false
	}
	ep, err := transport.NewEndpoint(url)
	return err == nil && ep.Protocol == "file"
}

// filterWatch wraps a progress callback to notice git's warning that the
// server ignored the filter. The warning is printed with -q too.
func filterWatch(progress func(string)) (func(string), *atomic.Bool) {
	var refused atomic.Bool
	return func(line string) {
		if strings.Contains(line, filterRefused) {
			refused.Store(true)
		}
		if progress != nil {
			progress(line)
		}
	}, &refused
}

// cloneFilterArgs returns the arguments that make a git clone of req
// blobless, and a check to call once the clone is done: when the server
// refused the filter, it makes the repository a plain one again (git
// registers origin as a promisor remote before it learns that) and notes
// the full clone.
func (g *SystemGit) cloneFilterArgs(req Request) (args []string, progress func(string), done func(ctx context.Context, dir string) error) {
	if !g.wantsBlobless(req) {
		return nil, req.Progress, func(context.Context, string) error { return nil }
	}
	progress, refused := filterWatch(req.Progress)
	return []string{"--filter=" + BloblessFilter}, progress, func(ctx context.Context, dir string) error {
		if !refused.Load() {
			return nil
		}
		req.note(NoteFilterRefused)
		return g.unsetPartial(ctx, dir)
	}
}

// unsetPartial makes a clone that holds every object a plain repository
// again: no promisor remote, and the repository format of a plain clone
// (version 1 announces extensions, which the clone no longer uses; go-git
// rewrites the configuration of such a repository in a form git refuses).
func (g *SystemGit) unsetPartial(ctx context.Context, dir string) error {
	for _, key := range []string{"remote.origin.promisor", "remote.origin.partialclonefilter"} {
		// Exit 5: the key was not set.
		if _, err := g.run(ctx, dir, nil, explicitGitDir(dir), "config", "--unset-all", key); err != nil && !strings.Contains(err.Error(), "exit status 5") {
			return err
		}
	}
	_, err := g.run(ctx, dir, nil, explicitGitDir(dir), "config", "core.repositoryformatversion", "0")
	return err
}

// isPartial reports whether the repository at gd (its .git directory, or
// a bare repository) is a partial clone: its configuration names a
// promisor remote's filter.
func isPartial(gd string) bool {
	low := strings.ToLower(readConfig(gd))
	return strings.Contains(low, "partialclonefilter") || strings.Contains(low, "partialclone =")
}

// goGitCanUpdate reports whether go-git may fetch into and check out the
// repository at gd: not a partial clone (go-git cannot fetch missing
// blobs), and not one whose configuration announces extensions (format
// version 1), which go-git rewrites in a form git refuses.
func goGitCanUpdate(gd string) bool {
	low := strings.ToLower(readConfig(gd))
	return !isPartial(gd) && !strings.Contains(low, "repositoryformatversion = 1")
}

func readConfig(gd string) string {
	data, _ := os.ReadFile(filepath.Join(gd, "config"))
	return string(data)
}
