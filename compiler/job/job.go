// Package job is the model of a configuration of several nodes: a Zuul
// job's nodeset, or a stack.hcl's node blocks. Each node is compiled to a
// plan of its own; the job keeps the findings about its files, each
// node's findings, and the sources the findings point into. plan, lint,
// convert and export ansible all read a job through this one model.
package job

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// CompileFunc compiles one node's configuration, with its front-end
// diagnostics, to a plan. It also returns the source of every file the
// diagnostics may be about, secrets masked. The caller decides what the
// compilation knows (remotes, checkouts, plugin settings).
type CompileFunc func(cfg *schema.Config, front hcl.Diagnostics) (*plan.Plan, hcl.Diagnostics, map[string][]byte)

// Node is one node of a job, compiled.
type Node struct {
	schema.Node
	Plan  *plan.Plan
	Diags hcl.Diagnostics
}

// Job is a job compiled for every node of it (or the one asked for).
type Job struct {
	// Name is the Zuul job's name, or the stack.hcl's file name.
	Name string
	// FromHCL is set when the nodes are a stack.hcl's node blocks.
	FromHCL bool
	Nodes   []Node
	// LoadDiags are about the files themselves.
	LoadDiags hcl.Diagnostics
	// Files maps each file name to its bytes, secrets masked, for snippets.
	Files map[string][]byte
}

// Title names where the nodes come from, for messages and file headers.
func (j *Job) Title() string {
	if j.FromHCL {
		return "the node blocks of " + j.Name
	}
	return "Zuul job " + j.Name
}

// HasErrors reports whether the files or any node have an error.
func (j *Job) HasErrors() bool {
	if j.LoadDiags.HasErrors() {
		return true
	}
	for _, n := range j.Nodes {
		if n.Diags.HasErrors() {
			return true
		}
	}
	return false
}

// Has reports whether the job has a node of that name.
func (j *Job) Has(node string) bool {
	return slices.ContainsFunc(j.Nodes, func(n Node) bool { return n.Name == node })
}

// add adds a compiled node, and the sources its compilation gave: the
// job's files masked with this node's secrets too, and its settings files.
func (j *Job) add(n Node, sources map[string][]byte) {
	red := compiler.RedactorFor(n.Config)
	for name, data := range j.Files {
		j.Files[name] = red.MaskSource(name, data)
	}
	for name, data := range sources {
		if _, ok := j.Files[name]; !ok {
			j.Files[name] = data
		}
	}
	j.Nodes = append(j.Nodes, n)
}

// Diagnostics are the job's findings: about its files, then each node's,
// a finding several nodes share once.
func (j *Job) Diagnostics() hcl.Diagnostics {
	all := slices.Clone(j.LoadDiags)
	for _, n := range j.Nodes {
		all = append(all, n.Diags...)
	}
	return schema.DedupeDiagnostics(all)
}

// Shown are the findings as a person reads them (see Grouped).
func (j *Job) Shown() hcl.Diagnostics {
	return Grouped(j.Diagnostics(), j.Files)
}

// selectNode keeps the node named only ("" keeps every node); it is an
// error when there is none, naming the nodes there are.
func selectNode(nodes []schema.Node, only, where string) ([]schema.Node, error) {
	if only == "" {
		return nodes, nil
	}
	i := slices.IndexFunc(nodes, func(n schema.Node) bool { return n.Name == only })
	if i < 0 {
		var names []string
		for _, n := range nodes {
			names = append(names, n.Name)
		}
		return nil, fmt.Errorf("%s has no node %q; its nodes: %v", where, only, names)
	}
	return nodes[i : i+1], nil
}
