package cli

import (
	"fmt"

	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

// isMultiNodeHCL says whether path names a stack.hcl with node blocks,
// which plan and export ansible treat as a job of several nodes.
func (c *Command) isMultiNodeHCL(path string, opts localconf.Options) bool {
	if path == "-" || !(opts.Kind == "hcl" || opts.Kind == "" && hclconf.IsHCLFile(path)) {
		return false
	}
	_, data, tooBig, err := c.readInput(path)
	return err == nil && !tooBig && hclconf.HasNodes(path, data)
}

// compileHCLNodes compiles every node of a stack.hcl (or the one named)
// into the shape a Zuul job takes; each node's LocalConf is its
// configuration converted to local.conf, for export ansible.
func (c *Command) compileHCLNodes(path, only string, opts localconf.Options) (*zuulJob, error) {
	name, data, tooBig, err := c.readInput(path)
	if err != nil {
		return nil, err
	}
	if tooBig {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, localconf.MaxSize>>20)
	}
	opts.Kind = ""
	nodes, diags := hclconf.ParseNodes(name, data, opts)
	if only != "" {
		var names []string
		var keep []schema.Node
		for _, n := range nodes {
			names = append(names, n.Name)
			if n.Name == only {
				keep = append(keep, n)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("%s has no node %q; its nodes: %v", name, only, names)
		}
		nodes = keep
	}
	out := &zuulJob{job: name, fromHCL: true, loadDiags: diags, files: map[string][]byte{name: data}}
	for _, n := range nodes {
		p, pd, sources := c.compile(n.Config, n.Diags, opts)
		if !pd.HasErrors() {
			conf, cd := convert.ToLocalConf(n.Config)
			pd = append(pd, cd...)
			n.LocalConf = string(conf)
		}
		out.addNode(nodePlan{node: n, plan: p, diags: pd}, sources)
	}
	return out, nil
}

// planHCLNodes is `stackplan plan` of a stack.hcl with node blocks: one
// plan per node, shown as for a Zuul job.
func (c *Command) planHCLNodes(a *planArgs, path string, opts localconf.Options) int {
	if a.out != "" {
		return c.usageFailure("plan", "--out is for one node; for a stack.hcl with node blocks use 'stackplan export ansible', which writes each node's local.conf and plan")
	}
	a.online.use(c)
	c.inspectCheckouts = a.config.dest != ""
	job, err := c.compileHCLNodes(path, a.zuul.node, opts)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
		return ExitUsage
	}
	return c.printJob(a, job)
}
