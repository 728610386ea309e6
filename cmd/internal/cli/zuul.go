package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema"
)

// zuulFlags select a Zuul job instead of a local.conf.
type zuulFlags struct {
	files   []string
	job     string
	node    string
	project string
}

func (f *zuulFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.files, "zuul", nil, "a Zuul file (.zuul.yaml, zuul.d/*.yaml) or a repository directory holding them; repeatable, and further file arguments are Zuul files too")
	fs.StringVar(&f.job, "job", "", "the Zuul job to plan (with --zuul)")
	fs.StringVar(&f.node, "node", "", "plan only this node of the job's nodeset (with --zuul)")
	fs.StringVar(&f.project, "project", "", "short name of the project under test, which DevStack's Zuul role adds to LIBS_FROM_GIT")
}

func (f *zuulFlags) given() bool { return len(f.files) > 0 }

// zuulFiles expands the arguments: a directory stands for the Zuul files
// Zuul reads from a repository.
func zuulFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		for _, pat := range []string{"zuul.yaml", ".zuul.yaml", "zuul.d/*.yaml", ".zuul.d/*.yaml"} {
			m, _ := filepath.Glob(filepath.Join(a, pat))
			sort.Strings(m)
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .zuul.yaml, zuul.yaml, zuul.d/ or .zuul.d/ in it", a)
		}
		out = append(out, found...)
	}
	return out, nil
}

// nodePlan is one node of a Zuul job, compiled.
type nodePlan struct {
	node  schema.Node
	plan  *plan.Plan
	diags hcl.Diagnostics
}

// zuulJob is a Zuul job compiled for every node of it.
type zuulJob struct {
	job string
	// fromHCL is set when the nodes are a stack.hcl's node blocks (job is
	// then the file's name).
	fromHCL bool
	nodes   []nodePlan
	// loadDiags are about the files themselves.
	loadDiags hcl.Diagnostics
	// files maps each file name to its bytes, secrets masked, for snippets.
	files map[string][]byte
}

// title names where the nodes come from, for messages and file headers.
func (j *zuulJob) title() string {
	if j.fromHCL {
		return "the node blocks of " + j.job
	}
	return "Zuul job " + j.job
}

func (j *zuulJob) hasErrors() bool {
	if j.loadDiags.HasErrors() {
		return true
	}
	for _, n := range j.nodes {
		if n.diags.HasErrors() {
			return true
		}
	}
	return false
}

// compileZuul reads the Zuul files and compiles the job, every node or the
// one named. Unreadable files, an unknown job or node are usage errors.
func (c *Command) compileZuul(f zuulFlags, opts localconf.Options) (*zuulJob, error) {
	if f.job == "" {
		return nil, fmt.Errorf("--zuul needs --job NAME")
	}
	paths, err := zuulFiles(f.files)
	if err != nil {
		return nil, err
	}
	var files []zuul.File
	for _, p := range paths {
		name, data, tooBig, err := c.readInput(p)
		if err != nil {
			return nil, err
		}
		if tooBig {
			return nil, fmt.Errorf("%s is larger than %d MiB: not a Zuul file", p, localconf.MaxSize>>20)
		}
		files = append(files, zuul.File{Name: name, Bytes: data})
	}
	set, loadDiags := zuul.Load(files)
	nodes, err := set.Compile(f.job, zuul.Options{Dest: opts.Dest, Env: opts.Env, TopDir: opts.TopDir, Project: f.project})
	if err != nil {
		return nil, err
	}
	if f.node != "" {
		i := slices.IndexFunc(nodes, func(n schema.Node) bool { return n.Name == f.node })
		if i < 0 {
			var names []string
			for _, n := range nodes {
				names = append(names, n.Name)
			}
			return nil, fmt.Errorf("job %s has no node %q; its nodes: %v", f.job, f.node, names)
		}
		nodes = nodes[i : i+1]
	}
	out := &zuulJob{job: f.job, loadDiags: loadDiags, files: map[string][]byte{}}
	for _, zf := range files {
		out.files[zf.Name] = zf.Bytes
	}
	for _, n := range nodes {
		p, diags, sources := c.compile(n.Config, n.Diags, opts)
		out.addNode(nodePlan{node: n, plan: p, diags: diags}, sources)
	}
	return out, nil
}

// addNode adds a compiled node, and the sources compile gave with it: the
// job's files masked with this node's secrets too, and its settings files.
func (j *zuulJob) addNode(n nodePlan, sources map[string][]byte) {
	red := compiler.RedactorFor(n.node.Config)
	for name, data := range j.files {
		j.files[name] = red.MaskSource(name, data)
	}
	for name, data := range sources {
		if _, ok := j.files[name]; !ok {
			j.files[name] = data
		}
	}
	j.nodes = append(j.nodes, n)
}

// diagnostics are the job's findings: about its files, then each node's,
// a finding several nodes share once.
func (j *zuulJob) diagnostics() hcl.Diagnostics {
	all := slices.Clone(j.loadDiags)
	for _, n := range j.nodes {
		all = append(all, n.diags...)
	}
	return dedupe(all)
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
	a.online.use(c)
	c.inspectCheckouts = a.config.dest != ""
	job, err := c.compileZuul(a.zuul, opts)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	return c.printJob(a, job)
}

// printJob shows the plans of a job's nodes (a Zuul job, or a stack.hcl
// with node blocks).
func (c *Command) printJob(a *planArgs, job *zuulJob) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan plan: "+format+"\n", args...)
		return code
	}
	var err error
	if a.json {
		var data []byte
		if a.zuul.node != "" {
			data, err = planfile.Marshal(job.nodes[0].plan)
		} else {
			doc := zuulPlanJSON{Job: job.job, Nodes: []zuulNodeJSON{}}
			for _, n := range job.nodes {
				pj, err := planfile.Marshal(n.plan)
				if err != nil {
					return fail(ExitInternal, "%v", err)
				}
				doc.Nodes = append(doc.Nodes, zuulNodeJSON{Name: n.node.Name, Groups: append([]string{}, n.node.Groups...), Controller: n.node.Controller, Plan: pj})
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
		if err := diagview.Write(c.Stderr, diagview.Pretty, job.diagnostics(), job.files, dopts); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		for i, n := range job.nodes {
			if i > 0 {
				fmt.Fprintln(c.Stdout)
			}
			role := "subnode"
			if n.node.Controller {
				role = "controller"
			}
			fmt.Fprintf(c.Stdout, "Node %s (%s", n.node.Name, role)
			if len(n.node.Groups) > 0 {
				fmt.Fprintf(c.Stdout, "; groups %v", n.node.Groups)
			}
			fmt.Fprintln(c.Stdout, "):")
			writePlanText(c.Stdout, n.plan, a.verbose)
		}
	}
	if job.hasErrors() {
		return ExitFindings
	}
	return ExitOK
}

// dedupe drops diagnostics repeated across nodes (a job-level finding is
// found once per node).
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		key := fmt.Sprintf("%d|%s|%s|%v", d.Severity, d.Summary, d.Detail, d.Subject)
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}
