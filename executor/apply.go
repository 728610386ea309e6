package executor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// applier holds one Apply's state.
type applier struct {
	p       *plan.Plan
	opts    Options
	hooks   *syncHooks
	now     func() time.Time
	dest    string
	dirs    map[string]string // plugin name -> checkout directory
	state   string            // DEST/.stackplan
	digest  string
	journal *Journal
	jmu     sync.Mutex
	// journalErr is the first failure to write the journal: the apply
	// stops, as its progress can no longer be recorded.
	journalErr error
	lock       *heldLock
	log        io.Writer
	logMu      sync.Mutex
	red        redactor
	res        Result
	curStep    string
	curMu      sync.Mutex
	pending    map[string][]byte
	// skipGroup marks the meta-section groups whose merging stopped at a
	// file name that expanded to nothing, as DevStack's merge_config_group
	// warns and breaks out of the group's loop.
	skipGroup map[plan.Group]bool
	// holding keeps the output of a step that may define secrets
	// (localrc, override-defaults, settings) in held until the secrets it
	// defined are known: they are masked from the moment they exist.
	holding bool
	held    []heldOutput
}

// Apply carries out p (docs/devstack.md §4, §5): the clone stage, then
// one bash session per selected lifecycle. It re-validates the plan, takes
// the destination's lock, resumes from the journal, and reports through
// hooks (nil means none). On cancellation the bash process group is
// killed, temporary clones are removed and the journal is written; the
// error then wraps ctx.Err(). A failed step gives a *StepError, a failed
// clone a *git.Error (both name the plugin).
func Apply(ctx context.Context, p *plan.Plan, opts Options, hooks Hooks) (*Result, error) {
	if hooks == nil {
		hooks = NopHooks{}
	}
	a := &applier{p: p, opts: opts, hooks: &syncHooks{h: hooks}, pending: map[string][]byte{}}
	a.now = opts.Now
	if a.now == nil {
		a.now = time.Now
	}
	start := a.now()
	err := a.run(ctx)
	var bad *OptionsError
	if errors.As(err, &bad) {
		return &a.res, err
	}
	sum := Summary{Start: start, End: a.now(), Steps: a.res.Steps, Clones: a.res.Clones, Scripts: a.res.Scripts, LogFile: a.res.LogFile, DryRun: opts.DryRun, Err: err}
	if errors.Is(err, ErrAlreadyApplied) {
		sum.NoChanges, sum.Err = true, nil
	}
	a.hooks.Summary(sum)
	return &a.res, err
}

func (a *applier) run(ctx context.Context) error {
	p, opts := a.p, a.opts
	if p == nil {
		return errors.New("no plan")
	}
	if p.HasErrors() {
		return errors.New("the plan has errors and cannot be applied")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("invalid plan: %w", err)
	}
	if err := p.Unresolved(); err != nil {
		return fmt.Errorf("invalid plan: %w (apply resolves such values with ResolveLocalrc first)", err)
	}
	for _, kv := range opts.Env {
		k, _, _ := strings.Cut(kv, "=")
		if err := schema.CheckEnvName(k); err != nil {
			return fmt.Errorf("the environment of the bash sessions: %w", err)
		}
	}
	if opts.Only != "" && opts.Only != "clone" {
		return &OptionsError{fmt.Errorf("--only %s: unknown stage (only \"clone\" can be run alone)", opts.Only)}
	}
	a.dest = p.Dest
	if opts.Dest != "" {
		a.dest = filepath.Clean(opts.Dest)
	}
	if !filepath.IsAbs(a.dest) {
		return fmt.Errorf("destination %q is not an absolute path", a.dest)
	}
	if err := schema.CheckDest(a.dest); err != nil {
		return err
	}
	a.dirs = map[string]string{}
	for _, pl := range p.Plugins {
		d := pl.Dir
		if opts.Dest != "" {
			d = filepath.Join(a.dest, pl.Name)
		}
		a.dirs[pl.Name] = d
	}
	a.state = filepath.Join(a.dest, StateDirName)
	var err error
	if a.digest, err = planDigest(p); err != nil {
		return err
	}
	lcs := opts.Lifecycles
	if len(lcs) == 0 {
		lcs = []plan.Lifecycle{plan.Stack}
	}
	for _, lc := range lcs {
		if !slices.Contains(plan.Lifecycles, lc) {
			return fmt.Errorf("unknown lifecycle %q", lc)
		}
	}
	if opts.DevstackDir != "" {
		if err := a.checkDevstack(lcs); err != nil {
			return err
		}
	}
	selected, explicit, err := a.selectSteps(lcs)
	if err != nil {
		return &OptionsError{err}
	}

	if opts.DryRun {
		j := ReadJournal(a.state)
		for i, s := range selected {
			reason := "dry run"
			if _, done := j.Done[s.ID]; done && j.PlanDigest == a.digest && !explicit && !opts.Force {
				reason = "dry run: done in the journal"
			}
			a.hooks.StepSkipped(StepEvent{Step: s, Index: i + 1, Total: len(selected), Reason: reason})
			a.res.Steps = append(a.res.Steps, StepResult{ID: s.ID, Status: StatusDryRun, Reason: reason})
		}
		return nil
	}

	if err := makeStateDir(a.state); err != nil {
		return err
	}
	if a.lock, err = takeLock(a.state, a.now()); err != nil {
		return err
	}
	defer a.lock.Unlock()

	a.journal, err = readJournal(a.state)
	if err != nil && !opts.Force {
		return err
	}
	if err != nil || a.journal.PlanDigest != a.digest || opts.Force {
		a.journal = newJournal()
		a.journal.PlanDigest = a.digest
		a.journal.Started = a.now()
	}
	run := map[string]bool{}
	for _, s := range selected {
		// RECLONE refreshes the checkouts on every run, as in DevStack.
		recloning := opts.Reclone && s.Kind == plan.KindClone
		if _, done := a.journal.Done[s.ID]; done && !explicit && !recloning {
			continue
		}
		run[s.ID] = true
	}
	if len(run) == 0 && len(selected) > 0 {
		a.res.Finished = true
		return ErrAlreadyApplied
	}

	if err := a.openLog(); err != nil {
		return err
	}
	defer a.closeLog() // last: the deferred flush and journal still log
	defer a.flushOutput()
	defer a.writeJournal()

	total := len(run)
	index := 0
	// Clone stage.
	var clones []plan.Step
	for _, s := range selected {
		if s.Kind == plan.KindClone {
			if run[s.ID] {
				clones = append(clones, s)
			} else {
				a.skip(s, "done in the journal", total)
			}
		}
	}
	if err := a.verifyKept(ctx, selected, run); err != nil {
		return err
	}
	if err := a.cloneStage(ctx, clones, total, &index); err != nil {
		return err
	}
	if err := a.journalError(); err != nil {
		return err
	}
	if opts.Only == "clone" {
		a.res.Finished = a.finished(selected)
		return nil
	}
	if opts.DevstackDir != "" {
		if err := a.runScripts(ctx, lcs, run, total, &index); err != nil {
			return err
		}
		a.res.Finished = a.finished(selected)
		return nil
	}
	for _, lc := range plan.Lifecycles {
		if !slices.Contains(lcs, lc) {
			continue
		}
		if err := a.runLifecycle(ctx, lc, run, total, &index); err != nil {
			return err
		}
	}
	a.res.Finished = a.finished(selected)
	return a.journalError()
}

// journalError is the first failure to write the journal, as an error
// that says what it means for the next apply.
func (a *applier) journalError() error {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	if a.journalErr == nil {
		return nil
	}
	return fmt.Errorf("%w: writing the journal in %s failed: %v; the progress of this apply is not recorded, and the next apply would run its steps again", ErrJournal, a.state, a.journalErr)
}

func (a *applier) finished(selected []plan.Step) bool {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	for _, s := range selected {
		if _, ok := a.journal.Done[s.ID]; !ok {
			return false
		}
	}
	return true
}

// selectSteps returns the steps the options select, in plan order, and
// whether the selection was explicit (--step, --from, --to).
func (a *applier) selectSteps(lcs []plan.Lifecycle) ([]plan.Step, bool, error) {
	var all []plan.Step
	for _, s := range a.p.Steps {
		switch {
		case a.opts.Only == "clone":
			if s.Kind != plan.KindClone {
				continue
			}
		case s.Kind == plan.KindClone:
			if !slices.Contains(lcs, plan.Stack) && !slices.Contains(lcs, s.Lifecycle) {
				continue
			}
		case !slices.Contains(lcs, s.Lifecycle):
			continue
		}
		all = append(all, s)
	}
	find := func(id, flag string) (int, error) {
		for i, s := range all {
			if s.ID == id {
				return i, nil
			}
		}
		for _, s := range a.p.Steps {
			if s.ID == id {
				return -1, fmt.Errorf("%s %s: the step is not in the selected lifecycles or stage", flag, id)
			}
		}
		return -1, fmt.Errorf("%s %s: no such step in the plan", flag, id)
	}
	o := a.opts
	if o.Step != "" {
		if o.From != "" || o.To != "" {
			return nil, false, errors.New("--step cannot be combined with --from or --to")
		}
		i, err := find(o.Step, "--step")
		if err != nil {
			return nil, false, err
		}
		return all[i : i+1], true, nil
	}
	lo, hi := 0, len(all)-1
	if o.From != "" {
		i, err := find(o.From, "--from")
		if err != nil {
			return nil, false, err
		}
		lo = i
	}
	if o.To != "" {
		i, err := find(o.To, "--to")
		if err != nil {
			return nil, false, err
		}
		hi = i
	}
	if lo > hi {
		return nil, false, fmt.Errorf("--from %s comes after --to %s", o.From, o.To)
	}
	return all[lo : hi+1], o.From != "" || o.To != "", nil
}

func (a *applier) skip(s plan.Step, reason string, total int) {
	a.hooks.StepSkipped(StepEvent{Step: s, Total: total, Reason: reason})
	a.res.Steps = append(a.res.Steps, StepResult{ID: s.ID, Status: StatusSkipped, Reason: reason})
}

func (a *applier) openLog() error {
	pattern := "apply-" + a.now().UTC().Format("20060102T150405") + "-*.log"
	if dir := a.opts.LogDir; dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return err
		}
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return err
		}
		a.log, a.res.LogFile = f, f.Name()
		return nil
	}
	// DEST/.stackplan/logs: never through a symbolic link.
	root, err := openStateDir(a.state)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Mkdir(logsName, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if st, err := root.Lstat(logsName); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory (a symbolic link?); stackplan writes its logs only under DEST", filepath.Join(a.state, logsName))
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	name := filepath.Join(logsName, strings.Replace(pattern, "*", hex.EncodeToString(suffix[:]), 1))
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	a.log, a.res.LogFile = f, filepath.Join(a.state, name)
	return nil
}

// closeLog closes the apply's log file; an apply that returned holds no
// file open under the destination.
func (a *applier) closeLog() {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	if f, ok := a.log.(*os.File); ok {
		f.Close()
	}
	a.log = nil
}

func (a *applier) logf(format string, args ...any) {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	if a.log != nil {
		fmt.Fprintf(a.log, "[stackplan %s] "+format+"\n", append([]any{a.now().UTC().Format(time.RFC3339)}, args...)...)
	}
}

// writeJournal writes the journal; the first failure is kept, and stops
// the apply (journalError).
func (a *applier) writeJournal() {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	a.journal.Updated = a.now()
	if err := a.journal.write(a.state); err != nil {
		a.logf("writing the journal: %v", err)
		if a.journalErr == nil {
			a.journalErr = err
		}
	}
}

func (a *applier) markDone(id string, code int, running string) error {
	a.jmu.Lock()
	if id != "" {
		a.journal.Done[id] = JournalStep{Finished: a.now(), ExitCode: code}
	}
	a.journal.Running = running
	a.jmu.Unlock()
	a.writeJournal()
	return a.journalError()
}

func (a *applier) setRunning(id string) error {
	a.jmu.Lock()
	a.journal.Running = id
	a.jmu.Unlock()
	a.writeJournal()
	return a.journalError()
}

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

func isStateStep(k plan.Kind) bool {
	return k == plan.KindLocalrc || k == plan.KindOverrideDefaults || k == plan.KindSettings
}

// runLifecycle drives one bash session through a lifecycle's steps.
func (a *applier) runLifecycle(ctx context.Context, lc plan.Lifecycle, run map[string]bool, total int, index *int) error {
	var steps []plan.Step
	for _, s := range a.p.StepsOf(lc) {
		if s.Kind != plan.KindClone {
			steps = append(steps, s)
		}
	}
	last := -1
	for i, s := range steps {
		if run[s.ID] {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	a.startLifecycle(lc)
	cwd := a.dest
	if st, err := os.Stat(cwd); err != nil || !st.IsDir() {
		cwd = ""
	}
	// One bash session per script, as DevStack has one process per script:
	// the unstack.sh that clean.sh runs first (Step.Nested) gets its own,
	// and clean.sh's session carries on after it.
	sessions := map[string]*session{}
	defer func() {
		for _, sess := range sessions {
			sess.close()
		}
	}()
	sessionFor := func(s plan.Step) (*session, error) {
		if sess := sessions[s.Nested]; sess != nil {
			return sess, nil
		}
		sess, err := startSession(ctx, sessionEnv(a.opts.Env), cwd, a.output, a.lock.f)
		if err != nil {
			return nil, err
		}
		sessions[s.Nested] = sess
		id := plan.StepID(lc, s.Nested, "prelude")
		a.setCurrent(id)
		if code, err := sess.sourceText(ctx, prelude(a.dest, a.dirs)); err != nil || code != 0 {
			if err == nil {
				err = fmt.Errorf("exit status %d", code)
			}
			return nil, &StepError{StepID: id, Err: fmt.Errorf("setting up the bash session: %w", err)}
		}
		// stack.sh sets errexit after stackrc has sourced localrc.
		if lc == plan.Stack && !slices.ContainsFunc(steps, func(s plan.Step) bool { return s.Kind == plan.KindLocalrc }) {
			if err := sess.errexit(ctx); err != nil {
				return nil, err
			}
		}
		return sess, nil
	}
	for i, s := range steps {
		if i > last {
			break
		}
		replay := false
		switch {
		case run[s.ID]:
		case isStateStep(s.Kind):
			replay = true
		default:
			a.skip(s, "done in the journal or not selected", total)
			continue
		}
		ev := StepEvent{Step: s, Total: total, Replay: replay, Start: a.now()}
		if !replay {
			*index++
			ev.Index = *index
			if err := a.setRunning(s.ID); err != nil {
				return err
			}
		}
		sess, err := sessionFor(s)
		if err != nil {
			return err
		}
		a.setCurrent(s.ID)
		a.hooks.StepStart(ev)
		a.logf("%s: start%s", s.ID, map[bool]string{true: " (replay)"}[replay])
		a.holdOutput(isStateStep(s.Kind))
		code, target, err := a.execStep(ctx, sess, s)
		a.flushOutput()
		ev.End, ev.ExitCode, ev.Target = a.now(), code, target
		if err == nil && s.Kind == plan.KindLocalrc {
			err = a.afterLocalrc(ctx, sess, lc)
		}
		if isStateStep(s.Kind) && s.Kind != plan.KindLocalrc {
			if lerr := a.learnSecrets(ctx, sess); err == nil {
				err = lerr
			}
		}
		a.holdOutput(false)
		var shellEnded *errShellExited
		ended := errors.As(err, &shellEnded)
		stops := err != nil && (lc == plan.Stack || ended || ctx.Err() != nil || s.Kind == plan.KindLocalrc || s.Kind == plan.KindMerge)
		if err == nil && code != 0 && lc == plan.Stack && s.Kind != plan.KindLocalrc {
			err = fmt.Errorf("exit status %d", code)
			stops = true
		}
		if stops {
			if ctx.Err() != nil {
				err = fmt.Errorf("interrupted: %w", ctx.Err())
			}
			serr := &StepError{StepID: s.ID, Plugin: s.Plugin, ExitCode: code, Err: err}
			if shellEnded != nil {
				serr.ExitCode = shellEnded.code
			}
			ev.Err, ev.ExitCode = serr, serr.ExitCode
			a.hooks.StepFailed(ev)
			a.logf("%s: failed: %v", s.ID, serr)
			a.res.Steps = append(a.res.Steps, StepResult{ID: s.ID, Status: StatusFailed, Start: ev.Start, End: ev.End, ExitCode: serr.ExitCode, Target: target, Err: serr.Error()})
			return serr
		}
		status := StatusDone
		if replay {
			status = StatusReplayed
		} else if err != nil || code != 0 {
			status = StatusIgnored
			if err != nil {
				ev.Err = err
			}
		}
		a.hooks.StepComplete(ev)
		a.logf("%s: %s (status %d)", s.ID, status, code)
		sr := StepResult{ID: s.ID, Status: status, Start: ev.Start, End: ev.End, ExitCode: code, Target: target}
		if ev.Err != nil {
			sr.Err = ev.Err.Error()
		}
		a.res.Steps = append(a.res.Steps, sr)
		if !replay {
			if err := a.markDone(s.ID, code, ""); err != nil {
				return &StepError{StepID: s.ID, Plugin: s.Plugin, ExitCode: code, Err: err}
			}
		}
		if s.Kind == plan.KindLocalrc && lc == plan.Stack {
			if err := sess.errexit(ctx); err != nil {
				return &StepError{StepID: s.ID, Err: err}
			}
		}
	}
	a.setCurrent("")
	return nil
}

// sessionEnv is the environment of a bash session: env, or when nil this
// process's without the variables that change how bash starts.
func sessionEnv(env []string) []string {
	if env != nil {
		return env
	}
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return schema.IsBashStartupVar(k)
	})
}

// afterLocalrc refuses plugins localrc enabled outside the plan or from
// another URL, and learns the secret values to mask in output.
func (a *applier) afterLocalrc(ctx context.Context, sess *session, lc plan.Lifecycle) error {
	names := []string{"__sp_unplanned"}
	var plugins []plan.Plugin
	for _, pl := range a.p.Plugins {
		plugins = append(plugins, pl)
		names = append(names, "GITREPO["+pl.Name+"]", "GITBRANCH["+pl.Name+"]")
	}
	vals, err := sess.vars(ctx, names)
	if err != nil {
		return err
	}
	if vals[0] != "" {
		return fmt.Errorf("localrc enabled plugins that are not in the plan: %s; make the plan again", strings.TrimPrefix(vals[0], ","))
	}
	for i, pl := range plugins {
		url, ref := vals[1+2*i], vals[2+2*i]
		if url != "" && url != pl.URL {
			return fmt.Errorf("%w: localrc now enables plugin %s from %s, the plan says %s; make the plan again", ErrStale, pl.Name, url, pl.URL)
		}
		if ref != "" && ref != pl.Ref {
			return fmt.Errorf("%w: localrc now enables plugin %s at %s, the plan says %s; make the plan again", ErrStale, pl.Name, ref, pl.Ref)
		}
	}
	for _, kv := range a.opts.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && schema.IsSecretName(k) {
			a.red.add(v)
		}
	}
	return a.learnSecrets(ctx, sess)
}

// learnSecrets adds the values of the session's secret-named variables
// (those localrc and the plugins' settings define) to what is masked.
func (a *applier) learnSecrets(ctx context.Context, sess *session) error {
	all, err := sess.names(ctx)
	if err != nil {
		return err
	}
	var secret []string
	for _, n := range all {
		if schema.IsSecretName(n) && !strings.HasPrefix(n, "__sp_") {
			secret = append(secret, n)
		}
	}
	if len(secret) == 0 {
		return nil
	}
	vals, err := sess.vars(ctx, secret)
	if err != nil {
		return err
	}
	for _, v := range vals {
		a.red.add(v)
	}
	return nil
}

// heldOutput is output kept back while a step may still define secrets.
type heldOutput struct {
	id, stream string
	data       []byte
}

// holdOutput starts keeping output back, or stops and emits what was kept,
// masked with the secrets known by then.
func (a *applier) holdOutput(on bool) {
	a.curMu.Lock()
	a.holding = on
	held := a.held
	a.held = nil
	a.curMu.Unlock()
	for _, h := range held {
		a.emit(h.id, h.stream, h.data)
	}
}

// execStep runs one step in the session. It returns the step's exit status.
func (a *applier) execStep(ctx context.Context, sess *session, s plan.Step) (int, string, error) {
	switch s.Kind {
	case plan.KindLocalrc:
		// The localrc text may hold passwords: it goes to bash over a pipe
		// and never to the log or the hooks.
		code, err := sess.sourceText(ctx, s.Script)
		return code, "", err
	case plan.KindMerge:
		return a.merge(ctx, sess, s)
	}
	rel := hookFile(s.Kind)
	var args []string
	switch s.Kind {
	case plan.KindOverrideDefaults, plan.KindSettings:
	case plan.KindPhase:
		args = []string{string(s.Mode)}
		if s.Phase != "" {
			args = append(args, string(s.Phase))
		}
	default:
		return -1, "", fmt.Errorf("unknown step kind %q", s.Kind)
	}
	dir, ok := a.dirs[s.Plugin]
	if !ok {
		return -1, "", fmt.Errorf("unknown plugin %q", s.Plugin)
	}
	path, found, err := pluginFile(dir, rel)
	if err != nil || !found {
		return 0, "", err // DevStack skips a missing file silently
	}
	a.logf("%s: source %s %s", s.ID, path, strings.Join(args, " "))
	code, err := sess.sourceFile(ctx, path, args...)
	return code, "", err
}

// hookFile is the file of a plugin's checkout that a step of this kind
// sources, or "".
func hookFile(k plan.Kind) string {
	switch k {
	case plan.KindOverrideDefaults:
		return "devstack/override-defaults"
	case plan.KindSettings:
		return "devstack/settings"
	case plan.KindPhase:
		return "devstack/plugin.sh"
	}
	return ""
}

// PluginFile resolves dir/rel, a file of a plugin's checkout, without
// following a symbolic link out of dir: what apply sources, and what
// lint --fetch and plan read.
func PluginFile(dir, rel string) (string, bool, error) { return pluginFile(dir, rel) }

// pluginFile resolves dir/rel without following a symlink out of dir.
// A missing file is not an error (DevStack tests each with -f).
func pluginFile(dir, rel string) (string, bool, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", false, nil
		}
		return "", false, err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, rel))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", false, nil
		}
		return "", false, err
	}
	if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", false, fmt.Errorf("%s is a symbolic link out of the checkout %s; refusing to source it", filepath.Join(dir, rel), dir)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", false, err
	}
	if !st.Mode().IsRegular() {
		return "", false, nil
	}
	return real, true, nil
}

// merge expands the file name in the session and merges the fragment.
func (a *applier) merge(ctx context.Context, sess *session, s plan.Step) (int, string, error) {
	where := s.File
	if s.Source != nil {
		where = fmt.Sprintf("[[%s|%s]] at %s", s.Group, s.File, s.Source)
	}
	target, err := expandName(s.File, func(names []string) ([]string, error) { return sess.vars(ctx, names) })
	if err != nil {
		return -1, "", fmt.Errorf("%s: %w", where, err)
	}
	if a.skipGroup[s.Group] {
		a.logf("%s: skipped: an earlier [[%s|...]] file name was undefined, and DevStack merges no more files of that group", s.ID, s.Group)
		return 0, "", nil
	}
	if target == "" {
		if a.skipGroup == nil {
			a.skipGroup = map[plan.Group]bool{}
		}
		a.skipGroup[s.Group] = true
		a.logf("%s: warning: unknown config file specification: %s is undefined; as DevStack does, this and the later files of the %s group are not merged", where, s.File, s.Group)
		return 0, "", nil
	}
	if !filepath.IsAbs(target) {
		pwd, err := sess.vars(ctx, []string{"PWD"})
		if err != nil {
			return -1, "", err
		}
		target = filepath.Join(pwd[0], target)
	}
	a.logf("%s: merge %d lines into %s", s.ID, len(s.Fragment), target)
	if err := mergeFile(target, s.File, s.Fragment); err != nil {
		return -1, target, fmt.Errorf("%s: %w", where, err)
	}
	return 0, target, nil
}

func (a *applier) setCurrent(id string) {
	a.curMu.Lock()
	a.curStep = id
	a.curMu.Unlock()
}

// output receives the session's stdout and stderr: complete lines go, with
// secrets masked, to the log and the hooks.
func (a *applier) output(stream string, data []byte) {
	a.curMu.Lock()
	ready := a.completeLines(stream, data)
	id := a.curStep
	if a.holding && len(ready) > 0 {
		a.held = append(a.held, heldOutput{id, stream, ready})
		ready = nil
	}
	a.curMu.Unlock()
	if len(ready) > 0 {
		a.emit(id, stream, ready)
	}
}

// completeLines adds data to what a stream has pending and returns the
// complete lines, keeping the rest: a secret is masked only when whole.
// curMu must be held.
func (a *applier) completeLines(stream string, data []byte) []byte {
	buf := append(a.pending[stream], data...)
	cut := bytes.LastIndexByte(buf, '\n') + 1
	a.pending[stream] = append([]byte(nil), buf[cut:]...)
	return buf[:cut]
}

func (a *applier) flushOutput() {
	a.curMu.Lock()
	id := a.curStep
	var out [][2]string
	for _, stream := range []string{"stdout", "stderr"} {
		if b := a.pending[stream]; len(b) > 0 {
			if a.holding {
				a.held = append(a.held, heldOutput{id, stream, b})
			} else {
				out = append(out, [2]string{stream, string(b)})
			}
			a.pending[stream] = nil
		}
	}
	a.curMu.Unlock()
	for _, o := range out {
		a.emit(id, o[0], []byte(o[1]))
	}
}

func (a *applier) emit(id, stream string, data []byte) {
	masked := []byte(a.mask(string(data)))
	a.logMu.Lock()
	if a.log != nil {
		a.log.Write(masked)
	}
	a.logMu.Unlock()
	a.hooks.StepOutput(OutputEvent{StepID: id, Stream: stream, Data: masked})
}

// mask hides the configuration's secrets and those apply learnt.
func (a *applier) mask(s string) string {
	return a.opts.Redactor.Redact(a.red.redact(s))
}

// redactor masks secret values.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

func (r *redactor) add(v string) {
	if len(v) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.secrets, v) {
		return
	}
	r.secrets = append(r.secrets, v)
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	return s
}
