package git

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stackplan/stackplan/executor/internal/proc"
)

// SystemGit is a [Cloner] that runs the git command.
//
// Every command runs in the environment and configuration gitEnviron
// builds (env.go): only the allowed protocols, no program named by the
// environment, a configuration file or the repository, no prompts; and
// with URLs and refs only ever after a "--" separator.
type SystemGit struct {
	// Path is the git program; "" means "git" looked up in PATH.
	Path string
	// Env is the environment of git commands; nil means this process's.
	// It is sanitised, and the restrictions are added to it.
	Env []string
	// Credentials keeps the credential helpers of the user's git
	// configuration (apply's clones of private repositories). Never set at
	// plan time, where no configuration may name a program that runs.
	Credentials bool
	// config is configuration added after the restrictions.
	config [][2]string
	// user is what git is given of the user's configuration, read once.
	user *userConfig
	// Full makes every clone fetch every blob of the history. By default a
	// clone over the network without GIT_DEPTH is a blobless partial clone
	// (see BloblessFilter), and a full one where the server refuses
	// filters; Outcome.Notes says so then.
	Full bool
	// Cache, when set, keeps a mirror of every repository cloned over the
	// network without GIT_DEPTH, and new clones start from it (see Cache).
	Cache *Cache
}

// Name implements [Cloner].
func (g *SystemGit) Name() string { return "git" }

// AllowedProtocols is the GIT_ALLOW_PROTOCOL value every git command runs with.
const AllowedProtocols = "file:git:http:https:ssh"

// run runs git in dir and returns its standard output. Its stderr is kept
// (last lines) for the error message and, when progress is set, split into
// progress lines.
func (g *SystemGit) run(ctx context.Context, dir string, progress func(string), args ...string) (string, error) {
	c := g.command(ctx, dir, progress, args...)
	return c.finish(c.cmd.Run())
}

// userConfig is the kept part of the user's git configuration, read by
// the first command.
func (g *SystemGit) userConfig(bin string, base []string) [][2]string {
	userConfigMu.Lock()
	if g.user == nil {
		g.user = &userConfig{}
	}
	u := g.user
	userConfigMu.Unlock()
	return u.read(bin, base, g.Credentials)
}

var userConfigMu sync.Mutex

// gitCommand is one git process being prepared or running.
type gitCommand struct {
	g        *SystemGit
	ctx      context.Context
	cmd      *exec.Cmd
	args     []string
	stdout   bytes.Buffer
	tail     *tailWriter
	progress *io.PipeWriter
	scanned  sync.WaitGroup
}

// command prepares git in dir: the protocol restrictions, a clean
// environment, its own process group, and stderr kept and split into
// progress lines.
func (g *SystemGit) command(ctx context.Context, dir string, progress func(string), args ...string) *gitCommand {
	bin := g.Path
	if bin == "" {
		bin = "git"
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"--no-pager"}, args...)...)
	cmd.Dir = dir
	base := g.Env
	if base == nil {
		base = os.Environ()
	}
	cmd.Env = gitEnviron(g.userConfig(bin, base), base, dir, g.config)
	cmd.ExtraFiles = inherited(ctx)
	// Own process group, so cancellation kills git's helpers (remote-https,
	// ssh, upload-pack of local clones) too; killed when stackplan dies.
	cmd.SysProcAttr = proc.Attr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if limit := memoryLimit(ctx); limit > 0 {
		limitDataSegment(cmd, limit)
	}
	// A helper left running with git's stderr open must not hold up the
	// wait once git itself has exited.
	cmd.WaitDelay = 2 * time.Second
	c := &gitCommand{g: g, ctx: ctx, cmd: cmd, args: args, tail: &tailWriter{max: 4096}}
	cmd.Stdout = &c.stdout
	cmd.Stderr = c.tail
	if progress != nil {
		pr, pw := io.Pipe()
		c.progress = pw
		cmd.Stderr = io.MultiWriter(c.tail, pw)
		c.scanned.Add(1)
		go func() {
			defer c.scanned.Done()
			sc := bufio.NewScanner(pr)
			sc.Split(scanCRLF)
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); l != "" {
					progress(l)
				}
			}
			io.Copy(io.Discard, pr)
		}()
	}
	return c
}

// finish takes the result of the process's Run or Wait: it waits for the
// last progress lines and returns the output, or an error that quotes the
// last lines git wrote.
func (c *gitCommand) finish(err error) (string, error) {
	if c.progress != nil {
		c.progress.Close()
		c.scanned.Wait()
	}
	return c.stdout.String(), c.g.wrap(c.ctx, c.args, c.tail, err)
}

func (g *SystemGit) wrap(ctx context.Context, args []string, tail *tailWriter, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := strings.TrimSpace(lastLines(tail.String(), 3))
	if msg == "" {
		msg = err.Error()
	}
	if memoryLimit(ctx) > 0 && outOfMemory(tail.String()) {
		return fmt.Errorf("git %s failed: %w: %s", strings.Join(args, " "), ErrMemoryLimit, msg)
	}
	return fmt.Errorf("git %s failed: %s", strings.Join(args, " "), msg)
}

func lastLines(s string, n int) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	var keep []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "; ")
}

func scanCRLF(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

type tailWriter struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Clone implements [Cloner] with as few git processes as each kind of ref
// allows (process start-up dominates small clones):
//
//	branch or tag: git clone [--depth N --no-local] --branch=REF -- URL DIR
//	               (one process; HEAD is then detached in-process)
//	refs/..., sha: git clone --no-checkout -- URL DIR, then git checkout
//	               --detach of the ref when the clone holds it, else
//	               git fetch origin REF and git checkout --detach FETCH_HEAD
//	  with GIT_DEPTH: git init; git remote add origin URL;
//	               git fetch --depth N origin REF; git checkout --detach
//
// The result is what DevStack's clone --no-checkout, fetch origin REF,
// checkout FETCH_HEAD gives: a detached HEAD at the ref's commit, with the
// remote's branches and tags fetched when the clone is not shallow.
//
// Without GIT_DEPTH, a clone over the network is a blobless partial clone
// (--filter=blob:none, see BloblessFilter), a full one where the server
// refuses filters; with a Cache, it starts from the URL's mirror.
func (g *SystemGit) Clone(ctx context.Context, req Request, dir string) (string, error) {
	if err := CheckRequest(req); err != nil {
		return "", err
	}
	if g.Cache != nil && req.Depth == 0 && !isLocalPath(req.URL) {
		return g.cloneFromCache(ctx, req, dir)
	}
	return g.cloneDirect(ctx, req, dir)
}

// cloneDirect is Clone from the remote alone.
func (g *SystemGit) cloneDirect(ctx context.Context, req Request, dir string) (string, error) {
	switch {
	case kindOf(req.Ref) == refName && cloneByBranch(req.Ref):
		return g.cloneBranch(ctx, req, dir)
	case req.Depth == 0:
		return g.cloneThenCheckout(ctx, req, dir)
	}
	if _, err := g.run(ctx, dir, nil, "init", "-q", "--", "."); err != nil {
		return "", err
	}
	if _, err := g.run(ctx, dir, nil, "remote", "add", "--", "origin", req.URL); err != nil {
		return "", err
	}
	return g.fetchAndCheckout(ctx, req, dir, false)
}

// cloneByBranch reports whether git clone --branch=REF finds what git fetch
// origin REF would: not for names git fetch resolves by its other rules
// (HEAD, heads/X, tags/X, remotes/X).
func cloneByBranch(ref string) bool {
	if ref == "HEAD" || strings.HasSuffix(ref, "HEAD") && !strings.Contains(ref, "/") {
		return false
	}
	for _, p := range []string{"heads/", "tags/", "remotes/"} {
		if strings.HasPrefix(ref, p) {
			return false
		}
	}
	return true
}

func (g *SystemGit) progressFlag(req Request) string {
	if req.Progress != nil {
		return "--progress"
	}
	return "-q"
}

// cloneBranch clones a branch or tag with one git clone.
func (g *SystemGit) cloneBranch(ctx context.Context, req Request, dir string) (string, error) {
	filter, progress, filtered := g.cloneFilterArgs(req)
	args := append([]string{"-c", "init.defaultRefFormat=files", "clone", g.progressFlag(req), "--branch=" + req.Ref}, filter...)
	args = append(args, req.referenceArgs()...)
	if req.Depth > 0 {
		// --no-local: a local clone ignores --depth.
		args = append(args, "--depth="+strconv.Itoa(req.Depth), "--no-local")
	}
	if _, err := g.run(ctx, dir, progress, append(args, "--", req.URL, ".")...); err != nil {
		return "", err
	}
	if err := filtered(ctx, dir); err != nil {
		return "", err
	}
	gd := filepath.Join(dir, ".git")
	commit, sym, err := readHead(dir)
	if err != nil {
		return g.checkoutDetached(ctx, dir, "HEAD", false)
	}
	// git fetch origin REF prefers the tag REF to the branch REF, git
	// clone --branch the branch. A full clone has every tag to check;
	// a shallow one only the tags of its history.
	if sym == "refs/heads/"+req.Ref && hasRef(gd, "refs/tags/"+req.Ref) {
		return g.checkoutDetached(ctx, dir, "refs/tags/"+req.Ref, true)
	}
	if sym != "" {
		if err := detachHead(gd, commit); err != nil {
			return g.checkoutDetached(ctx, dir, commit, false)
		}
	}
	return commit, nil
}

// cloneThenCheckout clones without a checkout, then checks out a full ref
// name or a commit id, fetching it by name when the clone lacks it.
func (g *SystemGit) cloneThenCheckout(ctx context.Context, req Request, dir string) (string, error) {
	filter, progress, filtered := g.cloneFilterArgs(req)
	args := append([]string{"-c", "init.defaultRefFormat=files", "clone", "--no-checkout", g.progressFlag(req)}, filter...)
	args = append(args, req.referenceArgs()...)
	if _, err := g.run(ctx, dir, progress, append(args, "--", req.URL, ".")...); err != nil {
		return "", err
	}
	if err := filtered(ctx, dir); err != nil {
		return "", err
	}
	return g.checkoutRef(ctx, req, dir)
}

// checkoutRef checks out req.Ref detached in a repository whose remote
// branches and tags were just fetched from origin: a full ref name or a
// commit id the repository holds, else what git fetch origin REF fetches.
func (g *SystemGit) checkoutRef(ctx context.Context, req Request, dir string) (string, error) {
	gd := filepath.Join(dir, ".git")
	local := ""
	switch {
	case kindOf(req.Ref) == refCommit:
		local = req.Ref
	case strings.HasPrefix(req.Ref, "refs/tags/") && hasRef(gd, req.Ref):
		local = req.Ref
	case strings.HasPrefix(req.Ref, "refs/heads/"):
		if r := "refs/remotes/origin/" + strings.TrimPrefix(req.Ref, "refs/heads/"); hasRef(gd, r) {
			local = r
		}
	}
	if local != "" {
		if commit, err := g.checkoutDetached(ctx, dir, local, false); err == nil || ctx.Err() != nil {
			return commit, err
		}
	}
	if _, err := g.run(ctx, dir, req.Progress, "fetch", g.progressFlag(req), "--", "origin", req.Ref); err != nil {
		return "", err
	}
	return g.checkoutDetached(ctx, dir, "FETCH_HEAD", false)
}

// checkoutDetached checks out rev's commit detached and returns it.
func (g *SystemGit) checkoutDetached(ctx context.Context, dir, rev string, force bool) (string, error) {
	args := []string{"checkout", "-q", "--detach"}
	if force {
		args = append(args, "--force")
	}
	if _, err := g.run(ctx, dir, nil, append(args, rev+"^{commit}", "--")...); err != nil {
		return "", err
	}
	if commit, sym, err := readHead(dir); err == nil && sym == "" {
		return commit, nil
	}
	return g.revParse(ctx, dir, "HEAD")
}

// Update implements [Cloner]: git remote set-url origin URL, then the fetch
// and detached checkout of Clone, with checkout -f.
func (g *SystemGit) Update(ctx context.Context, req Request, dir string) (string, error) {
	if err := CheckRequest(req); err != nil {
		return "", err
	}
	if _, err := g.run(ctx, dir, nil, "remote", "set-url", "--", "origin", req.URL); err != nil {
		if _, err2 := g.run(ctx, dir, nil, "remote", "add", "--", "origin", req.URL); err2 != nil {
			return "", err
		}
	}
	return g.fetchAndCheckout(ctx, req, dir, true)
}

func (g *SystemGit) fetchAndCheckout(ctx context.Context, req Request, dir string, update bool) (string, error) {
	progressArgs := []string{"-q"}
	if req.Progress != nil {
		progressArgs = []string{"--progress"}
	}
	var target string
	if req.Depth > 0 {
		depth := "--depth=" + strconv.Itoa(req.Depth)
		args := append([]string{"fetch", "--no-tags", depth}, progressArgs...)
		_, err := g.run(ctx, dir, req.Progress, append(args, "--", "origin", req.Ref)...)
		if err != nil && kindOf(req.Ref) == refCommit && ctx.Err() == nil {
			// The server refuses unadvertised commits in want lines: fetch
			// its branches and tags, and look for the commit there.
			args := append([]string{"fetch", "--tags"}, progressArgs...)
			if _, err2 := g.run(ctx, dir, req.Progress, append(args, "--", "origin", "+refs/heads/*:refs/remotes/origin/*")...); err2 != nil {
				return "", err
			}
			if _, err2 := g.run(ctx, dir, nil, "cat-file", "-e", "--end-of-options", req.Ref+"^{commit}"); err2 != nil {
				return "", err
			}
			target = req.Ref
		} else if err != nil {
			return "", err
		} else {
			target = "FETCH_HEAD"
		}
	} else {
		args := append([]string{"fetch", "--tags", "--force"}, progressArgs...)
		if _, err := g.run(ctx, dir, req.Progress, append(args, "--", "origin", "+refs/heads/*:refs/remotes/origin/*")...); err != nil {
			return "", err
		}
		target = g.resolveLocal(ctx, dir, req.Ref)
		if target == "" {
			args := append([]string{"fetch"}, progressArgs...)
			if _, err := g.run(ctx, dir, req.Progress, append(args, "--", "origin", req.Ref)...); err != nil {
				return "", err
			}
			target = "FETCH_HEAD"
		}
	}
	commit, err := g.revParse(ctx, dir, target+"^{commit}")
	if err != nil {
		return "", err
	}
	args := []string{"checkout", "-q", "--detach"}
	if update {
		args = append(args, "--force")
	}
	if _, err := g.run(ctx, dir, nil, append(args, commit, "--")...); err != nil {
		return "", err
	}
	return commit, nil
}

// resolveLocal finds what "git fetch origin REF" would have fetched among
// the refs a full fetch stored: a tag first, then a branch (git's
// ref_rev_parse_rules order), or a commit already present. "" means fetch it.
// One git process looks at every candidate: each start costs as much as
// the lookup itself.
func (g *SystemGit) resolveLocal(ctx context.Context, dir, ref string) string {
	candidates := localCandidates(ref)
	if kindOf(ref) == refCommit {
		candidates = []string{ref}
	}
	if len(candidates) == 0 {
		return ""
	}
	var query strings.Builder
	for _, c := range candidates {
		query.WriteString(c + "^{commit}\n")
	}
	// Names come on stdin, never as arguments; a missing one gives
	// "NAME missing" instead of an object id.
	c := g.command(ctx, dir, nil, "cat-file", "--batch-check=%(objectname)")
	c.cmd.Stdin = strings.NewReader(query.String())
	out, err := c.finish(c.cmd.Run())
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(out, "\n") {
		if sha1RE.MatchString(line) {
			return line
		}
	}
	return ""
}

func (g *SystemGit) revParse(ctx context.Context, dir, rev string) (string, error) {
	out, err := g.run(ctx, dir, nil, "rev-parse", "-q", "--verify", "--end-of-options", rev)
	if err != nil {
		return "", err
	}
	h := strings.TrimSpace(out)
	if !sha1RE.MatchString(h) {
		return "", fmt.Errorf("git rev-parse %s gave %q", rev, h)
	}
	return h, nil
}

// Head implements [Cloner]: what git rev-parse HEAD prints, read from the
// repository's files when their layout allows, else from git rev-parse.
func (g *SystemGit) Head(ctx context.Context, dir string) (string, error) {
	if h, _, err := readHead(dir); err == nil {
		return h, nil
	}
	h, err := g.revParse(ctx, dir, "HEAD")
	if err != nil {
		return "", errors.New("no commit checked out (git rev-parse HEAD failed)")
	}
	return h, nil
}

// indexPack starts git index-pack in the repository at dir and returns where
// to write a pack; closing it waits for git to store and index the pack.
// Thin packs are completed from the repository's objects, as git fetch does.
func (g *SystemGit) indexPack(ctx context.Context, dir string, progress func(string)) (io.WriteCloser, error) {
	args := []string{"index-pack", "--stdin", "--fix-thin"}
	if progress != nil {
		args = append(args, "-v")
	}
	c := g.command(ctx, dir, progress, args...)
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		_, err = c.finish(err)
		return nil, err
	}
	return &packPipe{stdin: stdin, c: c}, nil
}

type packPipe struct {
	stdin  io.WriteCloser
	c      *gitCommand
	waited bool
	err    error
}

// wait closes git's input and waits for it, once.
func (p *packPipe) wait() error {
	if !p.waited {
		p.waited = true
		p.stdin.Close()
		_, p.err = p.c.finish(p.c.cmd.Wait())
	}
	return p.err
}

func (p *packPipe) Write(b []byte) (int, error) {
	n, err := p.stdin.Write(b)
	if err != nil {
		// git stopped reading: its own message says why.
		if werr := p.wait(); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (p *packPipe) Close() error { return p.wait() }
