package executor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/plan"
)

// The clone stage: every clone step of the plan, plugins and DevStack's
// own repositories, run by a bounded pool of workers before any script.

// verifyKept checks that the checkouts of clone steps the journal says are
// done are still at the commit recorded then (they are not cloned again).
func (a *applier) verifyKept(ctx context.Context, selected []plan.Step, run map[string]bool) error {
	if a.opts.Force || a.opts.Reclone {
		return nil
	}
	c := a.cloner()
	for _, s := range selected {
		if s.Kind != plan.KindClone || run[s.ID] {
			continue
		}
		r := a.cloneTarget(s)
		want := a.journal.Commits[r.key]
		if want == "" {
			continue
		}
		head, err := c.Head(ctx, r.dir)
		if err != nil {
			return &StepError{StepID: s.ID, Plugin: s.Plugin, Err: fmt.Errorf("the checkout %s is gone or broken since the last apply: %w (use --force to clone it again)", r.dir, err)}
		}
		if head != want {
			return &StepError{StepID: s.ID, Plugin: s.Plugin, Err: fmt.Errorf("%w: the checkout %s moved from %s to %s since the last apply (use --force or --reclone)", ErrStale, r.dir, short(want), short(head))}
		}
	}
	return nil
}

// cloneRepo is what a clone step checks out: a plugin, or one of
// DevStack's own repositories (a project).
type cloneRepo struct {
	// key names the checkout in the journal: the plugin's name, or
	// "project:NAME".
	key                 string
	name, url, ref, dir string
	commit              string
	// fullHistory ignores GIT_DEPTH, as stack.sh does for requirements.
	fullHistory bool
}

func (a *applier) cloneTarget(s plan.Step) cloneRepo {
	if s.Project == "" {
		pl, _ := a.p.Plugin(s.Plugin)
		return cloneRepo{key: pl.Name, name: pl.Name, url: pl.URL, ref: pl.Ref, dir: a.dirs[pl.Name], commit: pl.Commit}
	}
	pr, _ := a.p.Project(s.Project)
	dir := pr.Dir
	if a.opts.Dest != "" {
		dir = filepath.Join(a.dest, pr.Name)
	}
	return cloneRepo{key: "project:" + pr.Name, name: pr.Name, url: pr.URL, ref: pr.Ref, dir: dir, fullHistory: pr.FullHistory}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func (a *applier) cloner() git.Cloner {
	if a.opts.Cloner == nil {
		// apply may use the credential helpers of the user's git configuration.
		sys := &git.SystemGit{Credentials: true}
		if a.opts.CacheDir != "" {
			sys.Cache = &git.Cache{Dir: a.opts.CacheDir}
		}
		a.opts.Cloner = &git.Auto{Git: sys}
	}
	return a.opts.Cloner
}

// cloneStage runs the clone steps with a bounded pool of workers. Every
// clone runs to its end even when another fails, so the next apply has
// less to do; the errors are joined.
func (a *applier) cloneStage(ctx context.Context, steps []plan.Step, total int, index *int) error {
	if len(steps) == 0 {
		return nil
	}
	workers := a.opts.Parallel
	if workers <= 0 {
		workers = 4
	}
	c := a.cloner()
	ctx = git.WithInherited(ctx, a.lock.f)
	results := make([]*CloneResult, len(steps))
	errs := make([]error, len(steps))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, s := range steps {
		*index++
		idx := *index
		repo := a.cloneTarget(s)
		dir := repo.dir
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = &git.Error{Plugin: repo.name, Op: "clone", Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			start := a.now()
			a.hooks.StepStart(StepEvent{Step: s, Index: idx, Total: total, Start: start})
			a.hooks.CloneProgress(CloneEvent{StepID: s.ID, Plugin: repo.name, Dir: dir, Stage: CloneStart, Time: start})
			a.logf("%s: git clone %s %s (ref %s)", s.ID, repo.url, dir, repo.ref)
			req := git.Request{Name: repo.name, URL: repo.url, Ref: repo.ref, Depth: a.opts.GitDepth}
			if repo.fullHistory {
				req.Depth = 0
			}
			if a.opts.CloneProgress {
				req.Progress = func(line string) {
					a.hooks.CloneProgress(CloneEvent{StepID: s.ID, Plugin: repo.name, Dir: dir, Stage: CloneProgress, Message: line, Time: a.now()})
				}
			}
			out, err := git.Ensure(ctx, c, req, dir, git.Policy{Reclone: a.opts.Reclone, Offline: a.opts.Offline, ErrorOnClone: a.opts.ErrorOnClone, Force: a.opts.Force})
			if err == nil && !a.opts.Force {
				a.jmu.Lock()
				prev := a.journal.Commits[repo.key]
				a.jmu.Unlock()
				switch {
				case repo.commit != "" && out.Commit != repo.commit:
					err = &git.Error{Plugin: repo.name, Op: "check", Err: fmt.Errorf("%w: the plan was made for commit %s but the checkout is at %s (make the plan again, or use --force)", ErrStale, short(repo.commit), short(out.Commit))}
				case (out.Action == git.Kept || out.Action == git.OfflineK) && prev != "" && prev != out.Commit:
					err = &git.Error{Plugin: repo.name, Op: "check", Err: fmt.Errorf("%w: the checkout moved from %s to %s since the last apply (use --force or --reclone)", ErrStale, short(prev), short(out.Commit))}
				}
			}
			end := a.now()
			if err != nil {
				errs[i] = err
				a.logf("%s: failed: %v", s.ID, err)
				a.hooks.CloneProgress(CloneEvent{StepID: s.ID, Plugin: repo.name, Dir: dir, Stage: CloneFailed, Err: err, Time: end})
				a.hooks.StepFailed(StepEvent{Step: s, Index: idx, Total: total, Start: start, End: end, ExitCode: -1, Err: err})
				return
			}
			r := &CloneResult{StepID: s.ID, Plugin: repo.name, Dir: dir, URL: repo.url, Ref: repo.ref, Commit: out.Commit, Action: out.Action, Cloner: out.Cloner, History: out.History, Notes: out.Notes, Start: start, End: end}
			if auto, ok := c.(*git.Auto); ok && out.Cloner == "auto" {
				r.Cloner = auto.Chosen(repo.url)
			}
			results[i] = r
			a.logf("%s: %s at %s%s", s.ID, out.Action, out.Commit, historyNote(r))
			a.jmu.Lock()
			a.journal.Commits[repo.key] = out.Commit
			a.jmu.Unlock()
			if err := a.markDone(s.ID, 0, ""); err != nil {
				errs[i] = err
				a.hooks.StepFailed(StepEvent{Step: s, Index: idx, Total: total, Start: start, End: end, ExitCode: -1, Err: err})
				return
			}
			a.hooks.CloneProgress(CloneEvent{StepID: s.ID, Plugin: repo.name, Dir: dir, Stage: CloneDone, Result: r, Time: end})
			a.hooks.StepComplete(StepEvent{Step: s, Index: idx, Total: total, Start: start, End: end})
		}()
	}
	wg.Wait()
	var failed []error
	for i, s := range steps {
		if r := results[i]; r != nil {
			a.res.Clones = append(a.res.Clones, *r)
			a.res.Steps = append(a.res.Steps, StepResult{ID: s.ID, Status: StatusDone, Start: r.Start, End: r.End})
			continue
		}
		a.res.Steps = append(a.res.Steps, StepResult{ID: s.ID, Status: StatusFailed, ExitCode: -1, Err: errs[i].Error()})
		failed = append(failed, errs[i])
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("clone stage interrupted: %w", err)
	}
	return errors.Join(failed...)
}

// historyNote says, for the log, how much history a clone fetched and why.
func historyNote(r *CloneResult) string {
	if r.History == "" {
		return ""
	}
	s := fmt.Sprintf(" (%s clone by %s", r.History, r.Cloner)
	for _, n := range r.Notes {
		s += "; " + n
	}
	return s + ")"
}
