package zuul

import (
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/internal/srcpos"

	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// Options are what a job's configurations are evaluated against.
type Options struct {
	// Dest, Env and TopDir are as in evaluator.Options.
	Dest   string
	Env    map[string]string
	TopDir string
	// Requires gives, by plugin name, the plugins it requires (the
	// plugin_requires of its devstack/settings), to order enable_plugin
	// lines; without it plugins come in name order, as the role writes
	// plugins that declare nothing.
	Requires map[string][]string
	// Project is the short name of the project under test, which the role
	// adds to LIBS_FROM_GIT; stackplan cannot know it from the files.
	Project string
	// Branch is the branch the job is planned for: a definition whose
	// branches: matcher does not match it is left out (default
	// DefaultBranch).
	Branch string
	// BareParents are jobs the user says set no DevStack variables: when
	// one is a parent that is not in the files, that is no error.
	BareParents []string
}

// virtualName names the concatenation of every file, the one source text
// evaluator.EvalGenerated maps exact chunks into; every range it returns is
// mapped back to the real file.
const virtualName = "\x00zuul"

// view is the concatenation of the files a job is made of, the one source
// text evaluator.EvalGenerated maps exact chunks into.
type view struct {
	s      *Set
	files  []int // indices into s.files
	starts []int // offset of each in src
	src    []byte
}

func (s *Set) newView(files []int) *view {
	v := &view{s: s, files: files}
	for _, i := range files {
		v.starts = append(v.starts, len(v.src))
		v.src = append(v.src, s.files[i].src...)
		v.src = append(v.src, '\n')
	}
	return v
}

func (s *Set) fileIndex(name string) int {
	for i, f := range s.files {
		if f.name == name {
			return i
		}
	}
	return -1
}

func (s *Set) fileOf(rng hcl.Range) *file {
	if i := s.fileIndex(rng.Filename); i >= 0 {
		return s.files[i]
	}
	return &file{name: rng.Filename, pos: srcpos.New(rng.Filename, nil)}
}

// virtual moves a range of a real file into the concatenation.
func (v *view) virtual(rng hcl.Range) hcl.Range {
	i := slices.Index(v.files, v.s.fileIndex(rng.Filename))
	if i < 0 {
		return rng
	}
	rng.Filename = virtualName
	rng.Start.Byte += v.starts[i]
	rng.End.Byte += v.starts[i]
	return rng
}

// real maps a range of the concatenation back to its file.
func (v *view) real(rng hcl.Range) hcl.Range {
	if rng.Filename != virtualName || len(v.files) == 0 {
		return rng
	}
	i := max(0, sort.Search(len(v.starts), func(k int) bool { return v.starts[k] > rng.Start.Byte })-1)
	f := v.s.files[v.files[i]]
	start := min(max(rng.Start.Byte-v.starts[i], 0), len(f.src))
	end := min(max(rng.End.Byte-v.starts[i], start), len(f.src))
	return f.pos.Range(start, end)
}

// SetsDevStack reports whether the job, on any of its nodes, sets one of
// the variables DevStack's role reads.
func (s *Set) SetsDevStack(jobName string) bool {
	r := s.resolve(jobName, Options{})
	for _, h := range r.nodes() {
		all := r.varsFor(h)
		for _, v := range devstackVars {
			if all[v] != nil {
				return true
			}
		}
	}
	return false
}

// Compile resolves a job and builds the configuration of each of its
// nodes, the controller first. It fails only when the job is not defined.
func (s *Set) Compile(jobName string, opts Options) ([]schema.Node, error) {
	if !s.Has(jobName) {
		msg := fmt.Sprintf("no job %q in the given files", jobName)
		if sug := s.Suggest(jobName); sug != "" {
			msg += fmt.Sprintf("; did you mean %q?", sug)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	r := s.resolve(jobName, opts)
	if r.job == nil {
		branch := opts.Branch
		if branch == "" {
			branch = DefaultBranch
		}
		return nil, fmt.Errorf("job %q does not run on branch %s: each of its definitions has a branches: matcher that does not match it (plan another branch with --branch)", jobName, branch)
	}
	jobRng := r.job.nameRng
	var inputs []schema.Input
	var used []int
	for i := len(r.chain) - 1; i >= 0; i-- {
		fi := r.chain[i].file
		if !slices.Contains(used, fi) {
			used = append(used, fi)
			inputs = append(inputs, schema.Input{Path: s.files[fi].name, Kind: schema.KindZuul, Bytes: s.files[fi].src})
		}
	}
	vw := s.newView(used)
	hosts := r.nodes()
	var common hcl.Diagnostics
	common = append(common, r.diags...)
	if r.nodeset == nil && r.nodesetRef != nil && (len(r.group.pairsOrNil()) > 0 || len(r.host.pairsOrNil()) > 0) {
		common = append(common, schema.RuleZuulNodeset.Diag(fmt.Sprintf("nodeset %s is not in the given files", r.nodesetRef.str()),
			"Its nodes and groups are unknown, so only the controller is planned and group-vars are not used. Give the file that defines it too.", r.nodesetRef.rng))
	}
	out := make([]schema.Node, 0, len(hosts))
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.name
	}
	generated := 0
	for i, h := range hosts {
		if generated > maxGenerated {
			// Each node repeats the job's variables: a wide nodeset over
			// many variables (aliases make both cheap to write) would
			// otherwise generate their product.
			last := &out[len(out)-1]
			last.Diags = append(last.Diags, schema.RuleLimit.Diag(fmt.Sprintf("job %s generates too much: %d of its %d nodes are planned", jobName, len(out), len(hosts)),
				fmt.Sprintf("Its nodes' local.conf files hold more than %d pieces; the nodes from %s on are left out.", maxGenerated, h.name), jobRng))
			break
		}
		e := &emitter{s: s, v: vw, self: h.name, nodes: names}
		vars := varsOf(r.varsFor(h))
		e.generate(vars, r, jobRng, opts)
		generated += len(e.chunks)
		work.Add(int64(len(e.chunks)))
		text := e.text()
		cfg := &schema.Config{Inputs: slices.Clone(inputs)}
		lopts := evaluator.Options{Dest: opts.Dest, Env: opts.Env, TopDir: opts.TopDir}
		if lopts.Env == nil {
			lopts.Env = map[string]string{}
		}
		_, evalDiags := evaluator.EvalGenerated(cfg, vw.src, e.chunks, lopts)
		cfg.Localrc = []schema.Span{{Text: text, Range: jobRng}}
		cfg.Sections = e.sections
		diags := slices.Clone(common)
		diags = append(diags, e.diags...)
		diags = append(diags, evalDiags...)
		vw.realize(cfg, diags, e.jinja)
		const header = "[[local|localrc]]\n"
		nc := schema.Node{
			Name: h.name, Groups: h.groups, Controller: i == 0, Config: cfg, Diags: diags,
			LocalConf: header + text + "\n" + e.conf.String(),
		}
		for _, d := range e.deploy {
			if d.Shell {
				d.Offset += len(header)
			} else {
				d.Offset += len(header) + len(text) + 1
			}
			nc.DeployTime = append(nc.DeployTime, d)
		}
		out = append(out, nc)
	}
	return out, nil
}

// maxGenerated bounds the localrc pieces (values, names, newlines) one
// job generates over all its nodes: past it, the remaining nodes are left
// out with a limit diagnostic. A variable for the tests.
var maxGenerated = 1 << 20

func (n *node) pairsOrNil() []pair {
	if n == nil {
		return nil
	}
	return n.pairs
}

// realize maps every range localconf recorded back into the YAML files,
// and says why Jinja values are unknown.
func (v *view) realize(cfg *schema.Config, diags hcl.Diagnostics, jinja []hcl.Range) {
	fix := func(r *hcl.Range) { *r = v.real(*r) }
	fixVal := func(v *schema.Value) {
		fix(&v.Range)
		if !v.Known() && !v.Missing() && within(v.Range, jinja) {
			v.Why = "it is a Jinja expression, which Zuul renders only when the job runs"
		}
	}
	for i := range cfg.Plugins {
		p := &cfg.Plugins[i]
		fix(&p.Range)
		fixVal(&p.Name)
		fixVal(&p.URL)
		fixVal(&p.Ref)
		fixVal(&p.Dir)
		for k := range p.Extra {
			fixVal(&p.Extra[k])
		}
		for k := range p.Requires {
			fixVal(&p.Requires[k])
		}
	}
	for i := range cfg.Assignments {
		a := &cfg.Assignments[i]
		fix(&a.Range)
		fixVal(&a.Value)
	}
	for _, d := range diags {
		if d.Subject != nil {
			fix(d.Subject)
		}
		if d.Context != nil {
			fix(d.Context)
		}
		if d.Subject != nil && within(*d.Subject, jinja) && strings.Contains(d.Detail, "command substitution") {
			d.Detail = "It is a Jinja expression, which Zuul renders only when the job runs."
		}
	}
}

func within(r hcl.Range, set []hcl.Range) bool {
	for _, j := range set {
		if r.Filename == j.Filename && r.Start.Byte >= j.Start.Byte && r.Start.Byte <= j.End.Byte {
			return true
		}
	}
	return false
}
