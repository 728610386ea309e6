package job

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/schema"
)

// Selection says which Zuul job, and which of its nodes, to compile.
type Selection struct {
	Job string
	// Node keeps only the node of that name ("" keeps every node).
	Node string
	// Ignore names rules whose warnings are silenced (--ignore).
	Ignore []string
}

// FilesError is a job that could not be compiled because its files have
// errors (the job may be in what could not be read): the findings say why.
type FilesError struct {
	Err   error
	Diags hcl.Diagnostics
	// Files are the sources the findings point into, secrets masked.
	Files map[string][]byte
}

func (e *FilesError) Error() string { return e.Err.Error() }
func (e *FilesError) Unwrap() error { return e.Err }

// FromZuul loads the Zuul files and compiles the selected job, every node
// or the one named. An unknown rule, job or node is an error; so is a job
// that is not found when the files have errors (a *FilesError).
func FromZuul(files []zuul.File, sel Selection, opts zuul.Options, compile CompileFunc) (*Job, error) {
	if err := CheckIgnored(sel.Ignore); err != nil {
		return nil, err
	}
	set, loadDiags := zuul.Load(files)
	loadDiags = Silence(loadDiags, sel.Ignore)
	nodes, err := set.Compile(sel.Job, opts)
	if err != nil {
		if loadDiags.HasErrors() {
			fe := &FilesError{Err: err, Diags: loadDiags, Files: map[string][]byte{}}
			for _, zf := range files {
				fe.Files[zf.Name] = (*schema.Redactor)(nil).MaskSource(zf.Name, zf.Bytes)
			}
			return nil, fe
		}
		return nil, err
	}
	if nodes, err = selectNode(nodes, sel.Node, "job "+sel.Job); err != nil {
		return nil, err
	}
	j := &Job{Name: sel.Job, LoadDiags: loadDiags, Files: map[string][]byte{}}
	for _, zf := range files {
		j.Files[zf.Name] = zf.Bytes
	}
	for _, n := range nodes {
		p, diags, sources := compile(n.Config, n.Diags)
		p.Diagnostics = SilencePlan(p.Diagnostics, sel.Ignore)
		j.add(Node{Node: n, Plan: p, Diags: Silence(diags, sel.Ignore)}, sources)
	}
	return j, nil
}

// FromHCL compiles every node block of a stack.hcl (or the one named
// only) into a job; each node's LocalConf is its configuration converted
// to local.conf, for export ansible.
func FromHCL(name string, data []byte, only string, opts evaluator.Options, compile CompileFunc) (*Job, error) {
	opts.Kind = ""
	nodes, diags := hclconf.ParseNodes(name, data, opts)
	nodes, err := selectNode(nodes, only, name)
	if err != nil {
		return nil, err
	}
	j := &Job{Name: name, FromHCL: true, LoadDiags: diags, Files: map[string][]byte{name: data}}
	for _, n := range nodes {
		p, pd, sources := compile(n.Config, n.Diags)
		if !pd.HasErrors() {
			conf, cd := convert.ToLocalConf(n.Config)
			pd = append(pd, cd...)
			n.LocalConf = string(conf)
		}
		j.add(Node{Node: n, Plan: p, Diags: pd}, sources)
	}
	return j, nil
}
