package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// applier holds one Apply's state.
//
// The apply is driven by one goroutine (run and what it calls). Others
// run alongside it: the clone workers of the clone stage, the readers of
// the bash sessions' and DevStack's output, and the watch of DevStack's
// scripts. What they share is behind three mutexes, each guarding the
// fields listed under it and nothing else. jmu may be held while logMu is
// taken (writeJournal logs its own failure), never the reverse; curMu is
// never held while another lock is taken. Every other field is set before
// those goroutines start, or is touched by the driver alone (res,
// skipGroup, lock).
type applier struct {
	p      *plan.Plan
	opts   Options
	hooks  *syncHooks // serialises the calls into Hooks itself
	now    func() time.Time
	dest   string
	dirs   map[string]string // plugin name -> checkout directory
	state  string            // DEST/.stackplan
	digest string
	lock   *heldLock
	res    Result
	// skipGroup marks the meta-section groups whose merging stopped at a
	// file name that expanded to nothing, as DevStack's merge_config_group
	// warns and breaks out of the group's loop.
	skipGroup map[plan.Group]bool
	// red holds the secret values learnt while applying; it has a mutex of
	// its own, as output is masked on the readers' goroutines.
	red redactor

	// jmu guards the journal (clone workers and the script watch mark
	// steps done) and journalErr: see applyjournal.go.
	jmu     sync.Mutex
	journal *Journal
	// journalErr is the first failure to write the journal: the apply
	// stops, as its progress can no longer be recorded.
	journalErr error

	// logMu guards log, the apply's log file (see applylog.go), written by
	// the driver, the clone workers and the output readers.
	logMu sync.Mutex
	log   io.Writer

	// curMu guards the output buffers (see output.go): the step the output
	// belongs to, the incomplete line of each stream, and the output held
	// back while a step may define secrets. The driver sets them; the
	// output readers add to them.
	curMu   sync.Mutex
	curStep string
	pending map[string][]byte
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
