package cli

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/job"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

// convertZuul is `stackplan convert --from zuul`: each node's generated
// local.conf, as it is or converted to stack.hcl. Several nodes go to
// standard output one after the other, each under a "# node: NAME"
// comment line; -o writes one file, so it needs one node (--node, or a
// job of one node). A stack.hcl with node blocks converts to local.conf
// the same way.
func (c *Command) convertZuul(a *convertArgs) int {
	opts, err := a.config.options(c)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
		return ExitUsage
	}
	j, err := c.newCompilation(nil, nil, false).compileZuul(a.zuul, opts)
	if err != nil {
		return c.zuulFailure("convert", a.color, err)
	}
	return c.convertNodes(a, j, opts)
}

// convertNodes writes the nodes of a Zuul job or of a stack.hcl's node
// blocks: each node's local.conf, or that converted to stack.hcl.
func (c *Command) convertNodes(a *convertArgs, j *job.Job, opts evaluator.Options) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan convert: "+format+"\n", args...)
		return code
	}
	if a.out != "" && len(j.Nodes) > 1 {
		var names []string
		for _, n := range j.Nodes {
			names = append(names, n.Name)
		}
		return fail(ExitUsage, "-o writes one node's configuration: name it with --node (%s has nodes %v)", j.Title(), names)
	}
	all := slices.Clone(j.LoadDiags)
	for _, n := range j.Nodes {
		all = append(all, n.Diags...)
	}
	var out bytes.Buffer
	failed := false
	for i, n := range j.Nodes {
		text := []byte(n.LocalConf)
		if a.to == "hcl" {
			lopts := opts
			lopts.Kind = ""
			cfg, front := localconf.Parse("local.conf", text, lopts)
			var diags hcl.Diagnostics
			text, diags = convert.ToHCL(cfg, text)
			for _, d := range append(front, diags...) {
				if d.Severity == hcl.DiagError {
					// The generated text is stackplan's own: an error in
					// it is about the job, already reported at its YAML.
					failed = true
				}
			}
		}
		if len(j.Nodes) > 1 {
			if i > 0 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(&out, "# node: %s\n", n.Name)
		}
		out.Write(text)
	}
	dopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
	if err := diagview.Write(c.Stderr, diagview.Pretty, job.Grouped(job.Silence(schema.DedupeDiagnostics(all), a.zuul.ignore), j.Files), j.Files, dopts); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	if all.HasErrors() || failed {
		return fail(ExitFindings, "%s has errors; nothing converted", j.Title())
	}
	return c.writeConverted(a.out, out.Bytes())
}
