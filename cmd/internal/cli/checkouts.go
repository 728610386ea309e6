package cli

import (
	"os"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/schema"
)

// checkoutsFor inspects the checkouts already at cfg's plugin directories
// (plan --dest), so the plan can say what apply would do with each. It
// only reads: git status and rev-parse, under stackplan's git restrictions.
func (c *Command) checkoutsFor(cfg *schema.Config) map[string]compiler.CheckoutState {
	if !c.inspectCheckouts {
		return nil
	}
	out := map[string]compiler.CheckoutState{}
	for _, p := range cfg.Plugins {
		if !p.Dir.Known() || schema.CheckName(p.Name.String()) != nil {
			continue
		}
		dir := p.Dir.String()
		if _, err := os.Lstat(dir); err != nil {
			continue // nothing there: apply clones
		}
		st, err := git.Inspect(c.ctx(), dir)
		if err != nil {
			out[dir] = compiler.CheckoutState{Err: err}
			continue
		}
		out[dir] = compiler.CheckoutState{URL: st.URL, Commit: st.Commit, Branch: st.Branch, Changed: len(st.Changed), LocalCommits: st.LocalCommits}
	}
	return out
}
