package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
		found, err := repoZuulFiles(a)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no zuul.yaml, zuul.d/, .zuul.yaml or .zuul.d/ with .yaml files in it", a)
		}
		out = append(out, found...)
	}
	return out, nil
}

// repoZuulFiles lists the files Zuul reads from a repository: the first of
// zuul.yaml, zuul.d/, .zuul.yaml and .zuul.d/ that exists, a directory
// read recursively, every file ending in .yaml in lexical order of its
// path. Symbolic links are not followed out of the repository.
func repoZuulFiles(repo string) ([]string, error) {
	for _, root := range []string{"zuul.yaml", "zuul.d", ".zuul.yaml", ".zuul.d"} {
		p := filepath.Join(repo, root)
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if st.Mode().IsRegular() {
			return []string{p}, nil
		}
		if !st.IsDir() {
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".yaml") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(found, func(a, b string) int { return strings.Compare(filepath.ToSlash(a), filepath.ToSlash(b)) })
		return found, nil
	}
	return nil, nil
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
	if err := checkIgnored(f.ignore); err != nil {
		return nil, err
	}
	set, loadDiags := zuul.Load(files)
	loadDiags = silence(loadDiags, f.ignore)
	nodes, err := set.Compile(f.job, zuul.Options{Dest: opts.Dest, Env: opts.Env, TopDir: opts.TopDir, Project: f.project,
		Branch: f.branch, BareParents: f.bare})
	if err != nil {
		if loadDiags.HasErrors() {
			// The job may be in what could not be read: say why first.
			fe := &findingsError{err: err, diags: loadDiags, files: map[string][]byte{}}
			for _, zf := range files {
				fe.files[zf.Name] = (*schema.Redactor)(nil).MaskSource(zf.Name, zf.Bytes)
			}
			return nil, fe
		}
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
		p.Diagnostics = silencePlan(p.Diagnostics, f.ignore)
		out.addNode(nodePlan{node: n, plan: p, diags: silence(diags, f.ignore)}, sources)
	}
	return out, nil
}

// findingsError is a job that could not be compiled because its files
// have errors (the job may be in what could not be read): the findings are
// shown, and the exit is 1.
type findingsError struct {
	err   error
	diags hcl.Diagnostics
	files map[string][]byte
}

func (e *findingsError) Error() string { return e.err.Error() }

// zuulFailure reports an error of compileZuul and returns the exit code.
func (c *Command) zuulFailure(command, color string, err error) int {
	code := ExitUsage
	if fe, ok := err.(*findingsError); ok {
		code = ExitFindings
		dopts := diagview.Options{Color: c.useColor(color, c.Stderr), ToolVersion: Version}
		if werr := diagview.Write(c.Stderr, diagview.Pretty, fe.diags, fe.files, dopts); werr != nil {
			code = ExitInternal
		}
	}
	fmt.Fprintf(c.Stderr, "stackplan %s: %v\n", command, err)
	return code
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

// shownDiagnostics are the findings as a person reads them (see grouped).
func (j *zuulJob) shownDiagnostics() hcl.Diagnostics {
	return grouped(j.diagnostics(), j.files)
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
		return c.zuulFailure("plan", a.color, err)
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
		if err := diagview.Write(c.Stderr, diagview.Pretty, job.shownDiagnostics(), job.files, dopts); err != nil {
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
