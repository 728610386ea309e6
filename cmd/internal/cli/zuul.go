package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/job"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/plan/planfile"
)

// zuulFlags select a Zuul job instead of a local.conf.
type zuulFlags struct {
	files   []string
	job     string
	node    string
	project string
	branch  string
	bare    []string
	ignore  []string
}

func (f *zuulFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.files, "zuul", nil, "a Zuul file (.zuul.yaml, zuul.d/*.yaml) or a repository directory holding them; repeatable, and further file arguments are Zuul files too")
	fs.StringVar(&f.job, "job", "", "the Zuul job to plan (with --zuul)")
	fs.StringVar(&f.node, "node", "", "plan only this node of the job's nodeset (with --zuul)")
	fs.StringVar(&f.project, "project", "", "short name of the project under test, which DevStack's Zuul role adds to LIBS_FROM_GIT")
	fs.StringVar(&f.branch, "branch", zuul.DefaultBranch, "the branch to plan the job for (with --zuul): job variants whose branches: matcher does not match it are left out")
	fs.StringSliceVar(&f.bare, "bare-parent", nil, "a parent job that sets no DevStack variables, so that it may be missing from the files (with --zuul; repeatable, or comma-separated)")
	fs.StringSliceVar(&f.ignore, "ignore", nil, "silence the warnings of a rule, such as zuul-jinja (with --zuul; repeatable, or comma-separated)")
}

func (f *zuulFlags) given() bool { return len(f.files) > 0 }

// compileZuul reads the Zuul files and compiles the job, every node or the
// one named. Unreadable files, an unknown job or node are usage errors; a
// *job.FilesError shows the findings that may explain a missing job.
func (cp *compilation) compileZuul(f zuulFlags, opts evaluator.Options) (*job.Job, error) {
	if f.job == "" {
		return nil, fmt.Errorf("--zuul needs --job NAME")
	}
	paths, err := zuul.ExpandPaths(f.files)
	if err != nil {
		return nil, err
	}
	var files []zuul.File
	for _, p := range paths {
		name, data, tooBig, err := cp.c.readInput(p)
		if err != nil {
			return nil, err
		}
		if tooBig {
			return nil, fmt.Errorf("%s is larger than %d MiB: not a Zuul file", p, localconf.MaxSize>>20)
		}
		files = append(files, zuul.File{Name: name, Bytes: data})
	}
	sel := job.Selection{Job: f.job, Node: f.node, Ignore: f.ignore}
	zopts := zuul.Options{Dest: opts.Dest, Env: opts.Env, TopDir: opts.TopDir, Project: f.project, Branch: f.branch, BareParents: f.bare}
	return job.FromZuul(files, sel, zopts, cp.compileFunc(opts))
}

// zuulFailure reports an error of compileZuul and returns the exit code:
// 1 when the job's files have errors, shown first, else 2.
func (c *Command) zuulFailure(command, color string, err error) int {
	code := ExitUsage
	if fe, ok := err.(*job.FilesError); ok {
		code = ExitFindings
		dopts := diagview.Options{Color: c.useColor(color, c.Stderr), ToolVersion: Version}
		if werr := diagview.Write(c.Stderr, diagview.Pretty, fe.Diags, fe.Files, dopts); werr != nil {
			code = ExitInternal
		}
	}
	fmt.Fprintf(c.Stderr, "stackplan %s: %v\n", command, err)
	return code
}

// zuulPlanJSON is `plan --zuul --json` without --node: one document with
// the plan of every node, the controller first.
type zuulPlanJSON struct {
	Job   string         `json:"job"`
	Nodes []zuulNodeJSON `json:"nodes"`
}

type zuulNodeJSON struct {
	Name       string          `json:"name"`
	Groups     []string        `json:"groups"`
	Controller bool            `json:"controller"`
	Plan       json.RawMessage `json:"plan"`
}

// planZuul is `stackplan plan --zuul`.
func (c *Command) planZuul(a *planArgs, extra []string) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan plan: "+format+"\n", args...)
		return code
	}
	if a.out != "" {
		return fail(ExitUsage, "--out is for a local.conf; for a Zuul job use 'stackplan export ansible', which writes each node's local.conf and plan")
	}
	a.zuul.files = append(a.zuul.files, extra...)
	opts, err := a.config.options(c)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	cp := c.newCompilation(&a.online, nil, a.config.dest != "")
	j, err := cp.compileZuul(a.zuul, opts)
	if err != nil {
		return c.zuulFailure("plan", a.color, err)
	}
	return c.printJob(a, j)
}

// printJob shows the plans of a job's nodes (a Zuul job, or a stack.hcl
// with node blocks).
func (c *Command) printJob(a *planArgs, j *job.Job) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan plan: "+format+"\n", args...)
		return code
	}
	var err error
	if a.json {
		var data []byte
		if a.zuul.node != "" {
			data, err = planfile.Marshal(j.Nodes[0].Plan)
		} else {
			doc := zuulPlanJSON{Job: j.Name, Nodes: []zuulNodeJSON{}}
			for _, n := range j.Nodes {
				pj, err := planfile.Marshal(n.Plan)
				if err != nil {
					return fail(ExitInternal, "%v", err)
				}
				doc.Nodes = append(doc.Nodes, zuulNodeJSON{Name: n.Name, Groups: append([]string{}, n.Groups...), Controller: n.Controller, Plan: pj})
			}
			data, err = json.MarshalIndent(doc, "", "  ")
			data = append(data, '\n')
		}
		if err != nil {
			return fail(ExitInternal, "%v", err)
		}
		c.Stdout.Write(data)
	} else {
		dopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
		if err := diagview.Write(c.Stderr, diagview.Pretty, j.Shown(), j.Files, dopts); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		for i, n := range j.Nodes {
			if i > 0 {
				fmt.Fprintln(c.Stdout)
			}
			role := "subnode"
			if n.Controller {
				role = "controller"
			}
			fmt.Fprintf(c.Stdout, "Node %s (%s", n.Name, role)
			if len(n.Groups) > 0 {
				fmt.Fprintf(c.Stdout, "; groups %v", n.Groups)
			}
			fmt.Fprintln(c.Stdout, "):")
			writePlanText(c.Stdout, n.Plan, a.verbose)
		}
	}
	if j.HasErrors() {
		return ExitFindings
	}
	return ExitOK
}
