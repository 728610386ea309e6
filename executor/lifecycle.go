package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// The lifecycle driver of plugin-development mode: one bash session per
// script, each step sourced in plan order, the journal kept as it goes.

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

// isSecretVariable is the secret-name rule for the variables of a bash
// session or a DevStack script, less stackplan's own.
func isSecretVariable(name string) bool {
	return schema.IsSecretName(name) && !strings.HasPrefix(name, "__sp_")
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
		if isSecretVariable(n) {
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
