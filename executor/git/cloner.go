package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stackplan/stackplan/schema"
)

// Request names what to check out.
type Request struct {
	// Name is the plugin name, used in messages.
	Name string
	// URL is where to fetch from: https, http, git, ssh (URL or scp-like),
	// file:// or a local path.
	URL string
	// Ref is a branch, a tag, a full 40-hex commit id, or a full ref name
	// such as refs/changes/42/42/1.
	Ref string
	// Depth is GIT_DEPTH: when above zero, fetch only that many commits of
	// the ref (a shallow single-ref fetch); zero fetches full history, as
	// DevStack's default does (pbr computes versions from it).
	Depth int
	// MaxBytes, when above zero, bounds the size of a new clone: a clone
	// that grows past it is stopped and removed (plan --fetch). It also
	// marks a plan-time fetch: every git process the checkout starts runs
	// under FetchMemoryLimit (memlimit.go).
	MaxBytes int64
	// Progress, when set, receives progress lines ("Receiving objects: 42%").
	// It may be called from another goroutine.
	Progress func(line string)

	// notes, set by Ensure, collects what the cloner has to say about how
	// it fetched (a partial clone refused by the server, the object cache).
	notes *notes
	// reference, set by the object cache, is a repository whose objects
	// git clone borrows (--reference) instead of fetching them again.
	reference string
}

// notes is what a cloner reports about one checkout, for Outcome.Notes.
type notes struct {
	mu   sync.Mutex
	list []string
}

// note records a remark about how req was fetched; without Ensure, nobody
// listens.
func (req Request) note(format string, args ...any) {
	if req.notes == nil {
		return
	}
	req.notes.mu.Lock()
	defer req.notes.mu.Unlock()
	req.notes.list = append(req.notes.list, fmt.Sprintf(format, args...))
}

// Cloner carries out the git side of a checkout. Implementations must be
// safe for concurrent use on different directories.
type Cloner interface {
	// Name identifies the implementation in reports: "git" or "go-git".
	Name() string
	// Clone makes dir, an existing empty directory, a repository whose
	// remote "origin" is req.URL and whose HEAD is detached at req.Ref, and
	// returns the commit id.
	Clone(ctx context.Context, req Request, dir string) (string, error)
	// Update points origin of the existing repository at dir to req.URL,
	// fetches req.Ref and force-checks it out detached (DevStack's RECLONE),
	// returning the commit id. It works for every kind of ref, shallow
	// repositories and non-default branches included.
	Update(ctx context.Context, req Request, dir string) (string, error)
	// Head returns the commit checked out at dir.
	Head(ctx context.Context, dir string) (string, error)
}

// Policy is DevStack's switches for one checkout.
type Policy struct {
	// Reclone (RECLONE=yes) moves an existing checkout to the ref; without
	// it an existing checkout is used as it is.
	Reclone bool
	// Offline (OFFLINE=True) requires the checkout to exist and fetches nothing.
	Offline bool
	// ErrorOnClone (ERROR_ON_CLONE=True) forbids new clones.
	ErrorOnClone bool
	// Force lets Reclone throw away uncommitted changes and local commits;
	// without it Ensure refuses, with ErrWouldDiscard.
	Force bool
}

// Action is what Ensure did.
type Action string

const (
	Cloned   Action = "cloned"  // a new checkout was made
	Kept     Action = "kept"    // an existing checkout was used as it is
	Updated  Action = "updated" // an existing checkout was moved to the ref (RECLONE)
	OfflineK Action = "offline" // offline mode: the existing checkout was used
)

// Outcome is the result of Ensure.
type Outcome struct {
	Action Action
	Commit string
	// Cloner is the implementation that did the work ("" when nothing was fetched).
	Cloner string
	// History is how much of the history the new or updated checkout
	// holds ("" when nothing was fetched).
	History History
	// Notes are the cloner's remarks on how it fetched: why a clone is
	// full although a partial one was asked for, what the object cache did.
	Notes []string
}

// History is how much of a repository's history a checkout holds.
type History string

const (
	// HistoryFull: every commit, tree and blob of the fetched refs.
	HistoryFull History = "full"
	// HistoryBlobless: a partial clone (--filter=blob:none) holding every
	// commit and tree, so git log, git describe and pbr see the whole
	// history, and the blobs of what was checked out; git fetches other
	// blobs from origin when a command needs them.
	HistoryBlobless History = "blobless"
	// HistoryShallow: GIT_DEPTH commits of the ref.
	HistoryShallow History = "shallow"
)

// historyOf reads from the repository's files how much history dir holds.
func historyOf(dir string) History {
	gd := filepath.Join(dir, ".git")
	if _, err := os.Stat(filepath.Join(gd, "shallow")); err == nil {
		return HistoryShallow
	}
	if isPartial(gd) {
		return HistoryBlobless
	}
	return HistoryFull
}

// Error is a checkout failure. Its message names the plugin.
type Error struct {
	Plugin string
	Op     string // "clone", "update", "inspect", "policy"
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("plugin %s: %s: %v", e.Plugin, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrErrorOnClone is returned when ERROR_ON_CLONE forbids a missing checkout.
var ErrErrorOnClone = errors.New("ERROR_ON_CLONE is set to True so cloning not allowed in this configuration; the checkout does not exist")

// ErrOfflineMissing is returned when OFFLINE is set and the checkout is missing.
var ErrOfflineMissing = errors.New("OFFLINE is set to True and the checkout does not exist")

// TempPrefix starts the name of the temporary directory a clone is made in,
// beside its destination: DEST/.NAME.stackplan-clone-XXXX.
const TempPrefix = ".stackplan-clone-"

// Ensure makes dir a checkout of req according to DevStack's rules
// (docs/devstack.md §5), atomically for new clones: the clone is made in
// a temporary directory beside dir and renamed to dir only when complete,
// and the temporary directory is removed on failure or cancellation.
// Temporary directories left by a killed earlier run for the same name are
// removed first.
func Ensure(ctx context.Context, c Cloner, req Request, dir string, pol Policy) (Outcome, error) {
	fail := func(op string, err error) (Outcome, error) {
		return Outcome{}, &Error{Plugin: req.Name, Op: op, Err: err}
	}
	if err := CheckRequest(req); err != nil {
		return fail("policy", err)
	}
	req.notes = &notes{}
	if req.MaxBytes > 0 {
		ctx = withMemoryLimit(ctx, FetchMemoryLimit)
	}
	parent := filepath.Dir(dir)
	removeStaleTemps(parent, filepath.Base(dir))
	st, err := os.Lstat(dir)
	switch {
	case err == nil:
		if !st.IsDir() && st.Mode()&os.ModeSymlink == 0 {
			return fail("inspect", fmt.Errorf("%s exists and is not a directory", dir))
		}
		if pol.Offline || !pol.Reclone {
			head, err := c.Head(ctx, dir)
			if err != nil {
				return fail("inspect", fmt.Errorf("%s exists but is not a usable git checkout: %w", dir, err))
			}
			a := Kept
			if pol.Offline {
				a = OfflineK
			}
			return Outcome{Action: a, Commit: head}, nil
		}
		if !pol.Force {
			if err := checkDiscard(ctx, dir); err != nil {
				return fail("update", err)
			}
		}
		commit, err := c.Update(ctx, req, dir)
		if err != nil {
			return fail("update", err)
		}
		return Outcome{Action: Updated, Commit: commit, Cloner: c.Name(), History: historyOf(dir), Notes: req.notes.list}, nil
	case !errors.Is(err, os.ErrNotExist):
		return fail("inspect", err)
	}
	if pol.Offline {
		return fail("policy", ErrOfflineMissing)
	}
	if pol.ErrorOnClone {
		return fail("policy", ErrErrorOnClone)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail("clone", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+TempPrefix)
	if err != nil {
		return fail("clone", err)
	}
	cloneCtx := ctx
	if req.MaxBytes > 0 {
		var stop func()
		cloneCtx, stop = watchSize(ctx, tmp, req.MaxBytes)
		defer stop()
	}
	commit, err := c.Clone(cloneCtx, req, tmp)
	if err == nil {
		err = cloneCtx.Err()
	}
	if cause := context.Cause(cloneCtx); errors.Is(cause, ErrTooLarge) {
		err = cause
	}
	if size, _ := dirSize(tmp); err == nil && req.MaxBytes > 0 && size > req.MaxBytes {
		err = fmt.Errorf("%w: more than %d MiB", ErrTooLarge, req.MaxBytes>>20)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fail("clone", err)
	}
	// os.MkdirTemp made it 0700; git clone would give the umask's mode,
	// which services running as other users need to read the checkout.
	if err := os.Chmod(tmp, 0o777&^umask()); err != nil {
		os.RemoveAll(tmp)
		return fail("clone", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return fail("clone", err)
	}
	return Outcome{Action: Cloned, Commit: commit, Cloner: c.Name(), History: historyOf(dir), Notes: req.notes.list}, nil
}

// ErrTooLarge is wrapped by the error of a clone that outgrew
// Request.MaxBytes.
var ErrTooLarge = errors.New("the clone is too large")

// watchSize cancels the returned context once dir holds more than max
// bytes; stop ends the watch.
func watchSize(ctx context.Context, dir string, max int64) (context.Context, func()) {
	cctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-cctx.Done():
				return
			case <-tick.C:
				if size, _ := dirSize(dir); size > max {
					cancel(fmt.Errorf("%w: more than %d MiB", ErrTooLarge, max>>20))
					return
				}
			}
		}
	}()
	return cctx, func() { close(done); cancel(nil) }
}

// umask is the process's file mode creation mask, read without changing
// it (syscall.Umask would, for every thread, for a moment); 022 when the
// kernel does not say.
func umask() os.FileMode {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return os.FileMode(m)
				}
			}
		}
	}
	return 0o022
}

func removeStaleTemps(parent, name string) {
	matches, _ := filepath.Glob(filepath.Join(parent, "."+globEscape(name)+TempPrefix+"*"))
	for _, m := range matches {
		os.RemoveAll(m)
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

var sha1RE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// CheckRequest refuses what git could misread: a URL or ref starting with
// '-', whitespace or control characters, a transport other than file, git,
// http, https and ssh (git's "ext::" and "fd::" run programs).
func CheckRequest(req Request) error {
	bad := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0
	}
	switch {
	case req.URL == "":
		return errors.New("the URL is empty")
	case strings.HasPrefix(req.URL, "-"):
		return fmt.Errorf("URL %q starts with '-'", req.URL)
	case bad(req.URL):
		return fmt.Errorf("URL %q contains whitespace or a control character", req.URL)
	case req.Ref == "":
		return errors.New("the ref is empty")
	case strings.HasPrefix(req.Ref, "-"):
		return fmt.Errorf("ref %q starts with '-'", req.Ref)
	case bad(req.Ref) || strings.Contains(req.Ref, "..") || strings.ContainsAny(req.Ref, ":^~?*[\\"):
		// No ref name holds these; ':' would make REF a refspec that
		// writes a local ref ("git fetch origin a:b").
		return fmt.Errorf("ref %q is not a valid ref", req.Ref)
	}
	if scheme, ok := schema.URLScheme(req.URL); ok {
		if !schema.SchemeAllowed(scheme) {
			return fmt.Errorf("URL scheme %q is not allowed; use https, http, git, ssh or file", scheme)
		}
	} else if strings.Contains(req.URL, "::") {
		return fmt.Errorf("URL %q uses git's transport::address form, which can run programs", req.URL)
	}
	return nil
}

// refKind classifies a ref as DevStack's git_clone does.
type refKind int

const (
	refName   refKind = iota // a branch or tag name, as git fetch resolves it
	refFull                  // refs/...: fetched by its full name
	refCommit                // a full 40-hex commit id
)

func kindOf(ref string) refKind {
	switch {
	case sha1RE.MatchString(ref):
		return refCommit
	case strings.HasPrefix(ref, "refs/"):
		return refFull
	}
	return refName
}

// localCandidates lists, in git's ref_rev_parse_rules order (a tag before a
// branch), the local refs where a full fetch stored what
// "git fetch origin REF" would fetch. Commit ids have none.
func localCandidates(ref string) []string {
	switch kindOf(ref) {
	case refCommit:
		return nil
	case refFull:
		switch {
		case strings.HasPrefix(ref, "refs/tags/"):
			return []string{ref}
		case strings.HasPrefix(ref, "refs/heads/"):
			return []string{"refs/remotes/origin/" + strings.TrimPrefix(ref, "refs/heads/")}
		}
		return nil
	}
	return []string{"refs/tags/" + ref, "refs/remotes/origin/" + ref}
}

// referenceArgs are the git clone arguments that borrow req.reference's
// objects.
func (req Request) referenceArgs() []string {
	if req.reference == "" {
		return nil
	}
	return []string{"--reference=" + req.reference}
}
