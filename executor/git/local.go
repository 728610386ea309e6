package git

import (
	"context"
	"fmt"
	"strings"
)

// Checkout is the state of an existing checkout, as `plan --dest` reports
// drift and `apply --reclone` decides whether updating it is safe.
type Checkout struct {
	// URL is the remote "origin" URL ("" when there is none).
	URL string
	// Commit is HEAD.
	Commit string
	// Branch is the checked-out branch, "" when HEAD is detached (as
	// DevStack leaves it after fetching a ref).
	Branch string
	// Changed lists tracked files with uncommitted changes.
	Changed []string
	// LocalCommits counts commits made in this checkout (its HEAD reflog
	// says so) that HEAD still contains and that no remote-tracking branch
	// or tag contains: work that exists only here. Commits DevStack or
	// stackplan fetched are never counted, though a detached checkout of a
	// fetched ref has no ref containing them.
	LocalCommits int
}

// Dirty reports whether a reclone would throw work away.
func (c *Checkout) Dirty() bool { return len(c.Changed) > 0 || c.LocalCommits > 0 }

// Inspect reads a checkout's state with the system git (git status is much
// faster there than go-git's on large trees), under the same protocol and
// environment restrictions as every other git command stackplan runs. The
// checkout may be anything a configuration's DEST points at: its own
// configuration names no program that runs (env.go), and its filter
// drivers, which git status would start, are switched off.
func Inspect(ctx context.Context, dir string) (*Checkout, error) {
	g := &SystemGit{}
	head, err := g.run(ctx, dir, nil, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable git checkout: %w", dir, err)
	}
	// git config only reads; it never starts what it lists.
	drivers, _ := g.run(ctx, dir, nil, "config", "-z", "--name-only", "--get-regexp", `^filter\.`)
	for entry := range strings.SplitSeq(drivers, "\x00") {
		if name, ok := strings.CutPrefix(entry, "filter."); ok {
			if i := strings.LastIndexByte(name, '.'); i > 0 {
				name = name[:i]
				g.config = append(g.config, [2]string{"filter." + name + ".clean", ""},
					[2]string{"filter." + name + ".smudge", ""}, [2]string{"filter." + name + ".process", ""},
					[2]string{"filter." + name + ".required", "false"})
			}
		}
	}
	c := &Checkout{Commit: strings.TrimSpace(head)}
	if url, err := g.run(ctx, dir, nil, "config", "--get", "remote.origin.url"); err == nil {
		c.URL = strings.TrimSpace(url)
	}
	if br, err := g.run(ctx, dir, nil, "symbolic-ref", "-q", "--short", "HEAD"); err == nil {
		c.Branch = strings.TrimSpace(br)
	}
	status, err := g.run(ctx, dir, nil, "--no-optional-locks", "status", "--porcelain=v1", "--untracked-files=no", "--ignore-submodules=all")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(status, "\n") {
		if len(line) > 3 {
			c.Changed = append(c.Changed, line[3:])
		}
	}
	c.LocalCommits, err = localCommits(ctx, g, dir)
	return c, err
}

// localCommits intersects the commits the HEAD reflog records as made here
// with those HEAD has beyond every remote-tracking branch and tag.
func localCommits(ctx context.Context, g *SystemGit, dir string) (int, error) {
	reflog, err := g.run(ctx, dir, nil, "reflog", "show", "--format=%H %gs", "HEAD", "--")
	if err != nil {
		return 0, nil // no reflog (go-git writes none): nothing was made here
	}
	made := map[string]bool{}
	for _, line := range strings.Split(reflog, "\n") {
		hash, subject, _ := strings.Cut(line, " ")
		for _, verb := range []string{"commit", "cherry-pick", "merge", "rebase", "revert", "am"} {
			if strings.HasPrefix(subject, verb) {
				made[hash] = true
			}
		}
	}
	if len(made) == 0 {
		return 0, nil
	}
	beyond, err := g.run(ctx, dir, nil, "rev-list", "HEAD", "--not", "--remotes", "--tags")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range strings.Fields(beyond) {
		if made[h] {
			n++
		}
	}
	return n, nil
}

// ErrWouldDiscard is wrapped by the error Ensure returns when a reclone
// would throw away uncommitted changes or local commits.
var ErrWouldDiscard = fmt.Errorf("the checkout has work of its own")

// checkDiscard refuses to reclone over work that exists only in dir.
func checkDiscard(ctx context.Context, dir string) error {
	c, err := Inspect(ctx, dir)
	if err != nil {
		return err
	}
	if !c.Dirty() {
		return nil
	}
	var what []string
	if n := len(c.Changed); n > 0 {
		files := strings.Join(c.Changed[:min(n, 3)], ", ")
		if n > 3 {
			files += fmt.Sprintf(" and %d more", n-3)
		}
		what = append(what, fmt.Sprintf("uncommitted changes in %s", files))
	}
	if c.LocalCommits > 0 {
		what = append(what, fmt.Sprintf("%d local commit(s) on no remote branch or tag", c.LocalCommits))
	}
	return fmt.Errorf("%w: %s; RECLONE would throw it away (commit and push it, or use --force)", ErrWouldDiscard, strings.Join(what, " and "))
}
