package cli

import (
	"bytes"
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/executor"
	"github.com/stackplan/stackplan/plan"
)

// resolveAtApply completes a plan whose values are known only when localrc
// runs (docs/devstack.md §10): it sources localrc as DevStack would (in
// DevStack itself with --devstack, else in apply's session environment),
// reports what it resolved, and compiles the configuration again with
// those values, so that every rule of the plan checks them before
// anything is cloned. It returns the plan to apply, or a non-zero exit
// code after saying why the values cannot be applied.
func (c *Command) resolveAtApply(ctx context.Context, res *compiled, opts localconf.Options, eopts executor.Options, color string) (*plan.Plan, int) {
	p := res.plan
	if !compiler.NeedsResolution(p) {
		return p, ExitOK
	}
	var localrc string
	for _, s := range p.Steps {
		if s.Kind == plan.KindLocalrc {
			localrc = s.Script
			break
		}
	}
	red := eopts.Redactor
	if red == nil {
		red = compiler.RedactorFor(res.cfg)
	}
	where := "in apply's session environment"
	if eopts.DevstackDir != "" {
		where = "with DevStack's functions and stackrc from " + eopts.DevstackDir
	}
	fmt.Fprintf(c.Stderr, "stackplan apply: the plan has values known only at apply; sourcing localrc %s to resolve them\n", where)
	var output bytes.Buffer
	regs, err := executor.ResolveLocalrc(ctx, localrc, executor.ResolveOptions{Env: eopts.Env, Dest: p.Dest, DevstackDir: eopts.DevstackDir, Output: &output})
	if err != nil {
		c.Stderr.Write([]byte(red.Redact(output.String())))
		fmt.Fprintf(c.Stderr, "stackplan apply: %s; nothing was cloned or run\n", red.Redact(err.Error()))
		return nil, ExitFindings
	}
	var got []compiler.Registration
	for _, r := range regs {
		got = append(got, compiler.Registration{Name: r.Name, URL: r.URL, Ref: r.Ref, Dir: r.Dir, Line: r.Line})
	}
	cfg, report, err := compiler.WithRegistrations(res.cfg, got)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan apply: %s; nothing was cloned or run\n", red.Redact(err.Error()))
		return nil, ExitFindings
	}
	for _, line := range report {
		fmt.Fprintf(c.Stderr, "stackplan apply: resolved: %s\n", red.Redact(line))
	}
	resolved, diags, sources := c.newCompilation(nil, nil, false).compile(cfg, nil, opts)
	if diags.HasErrors() {
		var errs hcl.Diagnostics
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				errs = append(errs, d)
			}
		}
		vopts := diagview.Options{Color: c.useColor(color, c.Stderr), ToolVersion: Version}
		if err := diagview.Write(c.Stderr, diagview.Pretty, errs, sources, vopts); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan apply: %v\n", err)
		}
		fmt.Fprintln(c.Stderr, "stackplan apply: the values localrc gave at apply break the plan's rules (above); nothing was cloned or run")
		return nil, ExitFindings
	}
	// Commits resolved when the plan was made (plan --online) still hold.
	commits := map[string]string{}
	for _, pl := range p.Plugins {
		if len(pl.KnownAtApply) == 0 {
			commits[pl.Name] = pl.Commit
		}
	}
	for i := range resolved.Plugins {
		resolved.Plugins[i].Commit = commits[resolved.Plugins[i].Name]
	}
	resolved.Inputs = p.Inputs
	return resolved, ExitOK
}
