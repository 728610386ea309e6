package cli

import (
	"fmt"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/job"
	"github.com/stackplan/stackplan/compiler/localconf"
)

// isMultiNodeHCL says whether path names a stack.hcl with node blocks,
// which plan and export ansible treat as a job of several nodes.
func (c *Command) isMultiNodeHCL(path string, opts evaluator.Options) bool {
	if path == "-" || !(opts.Kind == "hcl" || opts.Kind == "" && hclconf.IsHCLFile(path)) {
		return false
	}
	_, data, tooBig, err := c.readInput(path)
	return err == nil && !tooBig && hclconf.HasNodes(path, data)
}

// compileHCLNodes compiles every node of a stack.hcl (or the one named)
// into the shape a Zuul job takes.
func (cp *compilation) compileHCLNodes(path, only string, opts evaluator.Options) (*job.Job, error) {
	name, data, tooBig, err := cp.c.readInput(path)
	if err != nil {
		return nil, err
	}
	if tooBig {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, localconf.MaxSize>>20)
	}
	return job.FromHCL(name, data, only, opts, cp.compileFunc(opts))
}

// planHCLNodes is `stackplan plan` of a stack.hcl with node blocks: one
// plan per node, shown as for a Zuul job.
func (c *Command) planHCLNodes(a *planArgs, path string, opts evaluator.Options) int {
	if a.out != "" {
		return c.usageFailure("plan", "--out is for one node; for a stack.hcl with node blocks use 'stackplan export ansible', which writes each node's local.conf and plan")
	}
	cp := c.newCompilation(&a.online, nil, a.config.dest != "")
	j, err := cp.compileHCLNodes(path, a.zuul.node, opts)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
		return ExitUsage
	}
	return c.printJob(a, j)
}
