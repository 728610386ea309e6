package executor

import (
	"errors"
	"fmt"
	"slices"

	"github.com/stackplan/stackplan/plan"
)

// Step selection: which of the plan's steps an apply runs (--only,
// --lifecycle, --step, --from, --to).

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

func isStateStep(k plan.Kind) bool {
	return k == plan.KindLocalrc || k == plan.KindOverrideDefaults || k == plan.KindSettings
}
