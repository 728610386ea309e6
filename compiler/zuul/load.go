package zuul

import (
	"github.com/stackplan/stackplan/compiler/internal/srcpos"

	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// File is one Zuul configuration file.
type File struct {
	// Name is how diagnostics name the file (the path as the user gave it).
	Name  string
	Bytes []byte
}

// Set is the jobs and nodesets of a group of Zuul files, as Zuul would see
// them in one tenant: a job's parent may be defined in any of the files.
type Set struct {
	files    []*file
	jobs     map[string][]*job // every definition, in file order
	names    []string          // job names in order of first definition
	nodesets map[string]*node
}

// job is one definition of a job: its reference definition or a variant.
type job struct {
	name    string
	file    int
	def     *node // the job's mapping
	nameRng hcl.Range
	// branches is the job's branch matcher; nil matches every branch, as
	// a definition without branches: does on the branch it is read from.
	branches *branchMatcher
}

func (j *job) parent() (name string, rng hcl.Range, explicit bool) {
	p := j.def.pairOf("parent")
	if p == nil {
		return "base", j.nameRng, false
	}
	if p.val.isNull() {
		return "", p.val.rng, true
	}
	return p.val.str(), p.val.rng, true
}

// Load reads the files. Diagnostics are about the files themselves (invalid
// YAML, a job without a name); a file with errors contributes what could be
// read from it.
func Load(files []File) (*Set, hcl.Diagnostics) {
	s := &Set{jobs: map[string][]*job{}, nodesets: map[string]*node{}}
	var diags hcl.Diagnostics
	for i, in := range files {
		f := &file{name: in.Name, src: in.Bytes, pos: srcpos.New(in.Name, in.Bytes)}
		s.files = append(s.files, f)
		top, d := parseFile(f)
		diags = append(diags, d...)
		if top == nil {
			continue
		}
		if top.kind != sequenceKind {
			diags = append(diags, schema.RuleZuulYAML.Diag("a Zuul file is a list of items (- job:, - nodeset:, - project:, ...)",
				"Zuul refuses this file, so no job in it runs.", top.rng))
			continue
		}
		for _, item := range top.items {
			if item.kind != mappingKind || len(item.pairs) != 1 {
				diags = append(diags, schema.RuleZuulYAML.Diag("a Zuul configuration item is a mapping with one key, such as job: or nodeset:", "", item.rng))
				continue
			}
			p := item.pairs[0]
			switch p.key {
			case "job":
				diags = append(diags, s.addJob(i, p)...)
			case "nodeset":
				name := p.val.get("name").str()
				if name != "" && s.nodesets[name] == nil {
					s.nodesets[name] = p.val
				}
			}
		}
	}
	return s, diags
}

func (s *Set) addJob(fi int, p pair) hcl.Diagnostics {
	if p.val.kind != mappingKind {
		return hcl.Diagnostics{schema.RuleZuulYAML.Diag("a job is a mapping of attributes", "", p.val.rng)}
	}
	np := p.val.pairOf("name")
	if np == nil || np.val.str() == "" {
		return hcl.Diagnostics{schema.RuleZuulYAML.Diag("a job without a name", "Zuul refuses it.", p.keyRng)}
	}
	var diags hcl.Diagnostics
	for _, key := range []string{"vars", "host-vars", "group-vars", "extra-vars"} {
		if v := p.val.get(key); v != nil && !v.isNull() && v.kind != mappingKind {
			diags = append(diags, schema.RuleZuulYAML.Diag(fmt.Sprintf("the job's %s must be a mapping", key), "", v.rng))
		}
	}
	j := &job{name: np.val.str(), file: fi, def: p.val, nameRng: np.val.rng}
	if b := p.val.get("branches"); b != nil && !b.isNull() {
		m, d := parseBranches(b)
		diags = append(diags, d...)
		j.branches = m
	}
	if s.jobs[j.name] == nil {
		s.names = append(s.names, j.name)
	}
	s.jobs[j.name] = append(s.jobs[j.name], j)
	return diags
}

// Jobs lists the names of the jobs defined in the files, in the order of
// their first definitions.
func (s *Set) Jobs() []string { return slices.Clone(s.names) }

// Has reports whether a job of that name is defined.
func (s *Set) Has(name string) bool { return len(s.jobs[name]) > 0 }

// Suggest returns the defined job name closest to name, or "".
func (s *Set) Suggest(name string) string {
	best, bestScore := "", 0
	for _, n := range s.names {
		score := commonPrefix(n, name) + commonSuffix(n, name)
		if strings.Contains(n, name) {
			score += len(name)
		}
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	if bestScore < 3 {
		return ""
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// resolved is a job with its inheritance applied.
type resolved struct {
	name string
	// job is the job's first definition that applies to the branch.
	job *job
	// chain is every definition applied, the job's own first, then its
	// parent's, ... up to the root found; within one job, its variants in
	// reverse order of application.
	chain   []*job
	vars    *node
	host    *node // host-vars: node name -> variables
	group   *node // group-vars: group name -> variables
	extra   *node
	nodeset *node // the nodeset (a mapping with nodes and groups), or nil
	// nodesetRef is the nodeset attribute as written, for messages.
	nodesetRef *node
	projects   []string // required-projects, short names, in order
	diags      hcl.Diagnostics
}

// variants returns the definitions of a job that apply to the branch, in
// the order Zuul applies them: by file name, then by position in the file.
// Zuul reads a repository's files in lexical order, so this is its order
// for the files of one repository, and it never depends on the order the
// files were given in.
func (s *Set) variants(name, branch string) []*job {
	var out []*job
	for _, j := range s.jobs[name] {
		if j.branches.matches(branch) {
			out = append(out, j)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		fa, fb := s.files[out[a].file].name, s.files[out[b].file].name
		if fa != fb {
			return fa < fb
		}
		return out[a].nameRng.Start.Byte < out[b].nameRng.Start.Byte
	})
	return out
}

// parentOf is the parent Zuul takes for a job: that of the first variant
// that names one, else base.
func parentOf(defs []*job) (name string, rng hcl.Range, explicit bool) {
	for _, j := range defs {
		if name, rng, explicit = j.parent(); explicit {
			return name, rng, true
		}
	}
	return "base", defs[0].nameRng, false
}

// resolve applies inheritance for a branch: variables of the root
// ancestor first, each descendant's deep-merged on top, as Zuul does; a
// job's variants that match the branch are applied in order.
func (s *Set) resolve(name string, opts Options) *resolved {
	branch := opts.Branch
	if branch == "" {
		branch = DefaultBranch
	}
	r := &resolved{name: name}
	seen := map[string]bool{}
	cur := name
	var lastParent hcl.Range
	for cur != "" {
		defs := s.variants(cur, branch)
		if len(defs) == 0 {
			if len(s.jobs[cur]) > 0 && cur != name {
				r.diags = append(r.diags, schema.RuleZuulVariant.DiagSeverity(hcl.DiagError,
					fmt.Sprintf("parent job %s has no variant for branch %s", cur, branch),
					fmt.Sprintf("Each of its definitions has a branches: matcher that %s does not match, so Zuul cannot freeze the job. Plan another branch with --branch.", branch), lastParent))
			}
			break
		}
		if seen[cur] {
			r.diags = append(r.diags, schema.RuleZuulParent.DiagSeverity(hcl.DiagError,
				fmt.Sprintf("job %s is its own ancestor", cur), "Zuul refuses a parent cycle; stackplan stops following parents here.", lastParent))
			break
		}
		seen[cur] = true
		if r.job == nil {
			r.job = defs[0]
		}
		for i := len(defs) - 1; i >= 0; i-- {
			r.chain = append(r.chain, defs[i])
		}
		pname, rng, explicit := parentOf(defs)
		if pname != "" && len(s.jobs[pname]) == 0 && explicit {
			if d := missingParent(pname, rng, opts.BareParents); d != nil {
				r.diags = append(r.diags, d)
			}
		}
		lastParent = rng
		cur = pname
	}
	m := merger{index: map[*node]map[string]int{}}
	for i := len(r.chain) - 1; i >= 0; i-- {
		def := r.chain[i].def
		r.vars = m.merge(r.vars, def.get("vars"))
		r.host = m.merge(r.host, def.get("host-vars"))
		r.group = m.merge(r.group, def.get("group-vars"))
		r.extra = m.merge(r.extra, def.get("extra-vars"))
		if ns := def.get("nodeset"); ns != nil {
			r.nodesetRef = ns
		}
		if rp := def.get("required-projects"); rp != nil && rp.kind == sequenceKind {
			for _, it := range rp.items {
				p := it.str()
				if it.kind == mappingKind {
					p = it.get("name").str()
				}
				if short := path.Base(p); p != "" && !slices.Contains(r.projects, short) {
					r.projects = append(r.projects, short)
				}
			}
		}
	}
	m.compact()
	switch ns := r.nodesetRef; {
	case ns == nil:
	case ns.kind == mappingKind:
		r.nodeset = ns
		if alts := ns.get("alternatives"); alts != nil && alts.kind == sequenceKind && len(alts.items) > 0 {
			r.nodeset = s.nodesetOf(alts.items[0])
		}
	default:
		r.nodeset = s.nodesetOf(ns)
	}
	return r
}

func (s *Set) nodesetOf(n *node) *node {
	if n.kind == mappingKind {
		return n
	}
	ns := s.nodesets[n.str()]
	if ns != nil {
		if alts := ns.get("alternatives"); alts != nil && alts.kind == sequenceKind && len(alts.items) > 0 && alts.items[0].kind == scalarKind {
			if alt := s.nodesets[alts.items[0].str()]; alt != nil {
				return alt
			}
		}
	}
	return ns
}

// merger deep-merges job variables as current Zuul does: mappings merge
// key by key, anything else in the child replaces; the keys the child sets
// take the child's positions, after the parent's other keys (Zuul builds
// the merged dictionary from the parent's keys the child does not set,
// then the child's keys in its order). Order matters for
// devstack_services and devstack_local_conf, which the role writes in
// dictionary order.
//
// It never changes a mapping of the files: a parent mapping is copied,
// with an index of its keys, the first time a child merges into it, and
// the copy is changed in place afterwards; a key the child sets again
// leaves a hole (a pair with no value) where it was, removed by compact
// once every job is merged. So resolving a job takes time linear in the
// pairs of its chain, however deep the chain and however many variables
// each job sets (a scan per key, or a copy per job, made long chains
// quadratic).
type merger struct {
	index map[*node]map[string]int // the mappings the merger owns, by key
}

func (m *merger) merge(parent, child *node) *node {
	if child == nil || child.kind != mappingKind {
		return parent
	}
	if parent == nil || parent.kind != mappingKind {
		return child
	}
	out := parent
	index, owned := m.index[parent]
	if !owned {
		out = &node{kind: mappingKind, tag: parent.tag}
		out.pairs = make([]pair, 0, len(parent.pairs)+len(child.pairs))
		index = make(map[string]int, len(parent.pairs))
		for _, p := range parent.pairs {
			work.Add(1)
			if p.val == nil {
				continue
			}
			index[p.key] = len(out.pairs)
			out.pairs = append(out.pairs, p)
		}
		m.index[out] = index
	}
	out.rng = child.rng
	for _, cp := range child.pairs {
		work.Add(1)
		if i, ok := index[cp.key]; ok {
			if out.pairs[i].val.kind == mappingKind && cp.val.kind == mappingKind {
				cp = pair{key: cp.key, keyRng: cp.keyRng, val: m.merge(out.pairs[i].val, cp.val)}
			}
			out.pairs[i].val = nil // a hole: the key moves to the child's position
		}
		index[cp.key] = len(out.pairs)
		out.pairs = append(out.pairs, cp)
	}
	return out
}

// compact removes the holes merge left in the mappings it owns.
func (m *merger) compact() {
	for n := range m.index {
		n.pairs = slices.DeleteFunc(n.pairs, func(p pair) bool { return p.val == nil })
	}
}

// work counts the steps of merger.merge and nodes, for the tests that bound
// them by the size of the input.
var work atomic.Int64

// hostNode is one node of a job's nodeset.
type hostNode struct {
	name   string
	groups []string
}

// nodes lists the job's nodes, the controller first: the node named
// "controller" if there is one, else the first. A job without a nodeset
// found in the files has the one node "controller".
func (r *resolved) nodes() []hostNode {
	var out []hostNode
	at := map[string]int{} // node name -> index in out
	if r.nodeset != nil {
		if ns := r.nodeset.get("nodes"); ns != nil && ns.kind == sequenceKind {
			for _, it := range ns.items {
				work.Add(1)
				name := it.get("name")
				if name != nil && name.kind == sequenceKind && len(name.items) > 0 {
					name = name.items[0]
				}
				if n := name.str(); n != "" {
					if _, dup := at[n]; !dup {
						at[n] = len(out)
						out = append(out, hostNode{name: n})
					}
				}
			}
		}
		if gs := r.nodeset.get("groups"); gs != nil && gs.kind == sequenceKind {
			member := map[[2]string]bool{}
			for _, g := range gs.items {
				work.Add(1)
				gname := g.get("name").str()
				members := g.get("nodes")
				if gname == "" || members == nil || members.kind != sequenceKind {
					continue
				}
				for _, m := range members.items {
					work.Add(1)
					i, ok := at[m.str()]
					if ok && !member[[2]string{m.str(), gname}] {
						member[[2]string{m.str(), gname}] = true
						out[i].groups = append(out[i].groups, gname)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return []hostNode{{name: "controller"}}
	}
	if i, ok := at["controller"]; ok && i > 0 {
		c := out[i]
		out = append([]hostNode{c}, slices.Delete(out, i, i+1)...)
	}
	for i := range out {
		sort.Strings(out[i].groups)
	}
	return out
}

// varsFor resolves the variables of one node as Ansible does: a top-level
// variable comes from extra-vars, else host-vars, else group-vars (groups
// in name order, the later winning), else the job's vars.
func (r *resolved) varsFor(h hostNode) map[string]*pair {
	out := map[string]*pair{}
	take := func(m *node) {
		if m == nil || m.kind != mappingKind {
			return
		}
		for i := range m.pairs {
			out[m.pairs[i].key] = &m.pairs[i]
		}
	}
	take(r.vars)
	for _, g := range h.groups {
		take(r.group.get(g))
	}
	take(r.host.get(h.name))
	take(r.extra)
	return out
}
