package zuul

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/compiler/deps"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/internal/shdepth"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// DefaultBaseDir is devstack_base_dir when a job does not set it.
const DefaultBaseDir = "/opt/stack"

// emitter writes the local.conf the role would write, as chunks mapped to
// the YAML that produced them.
type emitter struct {
	s      *Set
	v      *view
	chunks []evaluator.Chunk // the localrc text, ranges in virtual coordinates
	diags  hcl.Diagnostics
	// jinja holds the (real) ranges of values that are Jinja expressions.
	jinja []hcl.Range
	// sections are the config meta-sections, ranges real.
	sections []schema.MetaSection
	conf     strings.Builder // the [[phase|file]] blocks, for LocalConf
	// self is the node's name and nodes those of the job, to recognise
	// node addresses.
	self  string
	nodes []string
	// textLen is the length of the localrc text so far.
	textLen int
	// deploy are the values filled in at deploy time: offsets of shell ones
	// into the localrc text, of the others into conf.
	deploy []schema.DeployValue
}

func (e *emitter) add(c evaluator.Chunk) {
	e.chunks = append(e.chunks, c)
	e.textLen += len(c.Text)
}

// lit adds generated text attributed to the YAML at rng.
func (e *emitter) lit(text string, rng hcl.Range) {
	e.add(evaluator.Chunk{Text: text, Range: e.v.virtual(rng)})
}

// val adds text that stands for the scalar n; it is exact when n's file
// holds the same text where n starts.
func (e *emitter) val(text string, n *node) {
	rng := n.rng
	exact := e.s.fileOf(rng).exactAt(text, rng.Start.Byte)
	if exact {
		rng.End = e.s.fileOf(rng).pos.Pos(rng.Start.Byte + len(text))
	}
	e.add(evaluator.Chunk{Text: text, Range: e.v.virtual(rng), Exact: exact})
}

func (e *emitter) text() string {
	var b strings.Builder
	for _, c := range e.chunks {
		b.WriteString(c.Text)
	}
	return b.String()
}

// scalarText is what the role's str() writes for a scalar, as PyYAML
// reads it: numbers by the YAML 1.1 rules (0755 is 493, 1:30 is 90, 3.10
// is 3.1).
func scalarText(n *node) string {
	switch n.tag {
	case "!!null":
		return "None"
	case "!!bool":
		if yaml11Bools[n.text] {
			return "True"
		}
		return "False"
	case "!!int":
		return pythonInt(n.text)
	case "!!float":
		return pythonFloat(n.text)
	}
	return n.text
}

// numberNote reports a number the role writes otherwise than it is
// written, which the author probably meant as written. name is the
// variable or option: for a secret one, the message holds no value.
func (e *emitter) numberNote(n *node, what, name string) {
	if n.kind != scalarKind || (n.tag != "!!int" && n.tag != "!!float") {
		return
	}
	v := scalarText(n)
	if v == n.text {
		return
	}
	why := "Zuul reads its files as YAML 1.1 (a leading 0 is octal, 1:30 is base 60, a float loses its trailing zeros)"
	if schema.IsSecretName(name) {
		e.diags = append(e.diags, schema.RuleZuulValue.Diag(what+" is a number that Zuul reads otherwise than it is written",
			why+", and DevStack's role writes the number it reads, as stackplan does. Quote the value if you meant the text.", n.rng))
		return
	}
	e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("%s is written %s, which Zuul reads as the number %s", what, n.text, v),
		fmt.Sprintf("%s, and DevStack's role writes %s, as stackplan does. Quote the value ('%s') if you meant the text.", why, v, n.text), n.rng))
}

func isJinja(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

// custom reports a tag Zuul gives meaning to, such as !encrypted/pkcs1-oaep.
func custom(n *node) bool { return n.tag != "" && !strings.HasPrefix(n.tag, "!!") }

// nameRE matches what bash assigns to: a name, or an element of an array
// such as DevStack's SYSTEMD_ENV_VARS["n-api"].
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\[[^]$` + "`" + `\\\n]*\])?$`)

// runTimeValue is the text that stands for a value known only when the
// job runs: a command substitution of the no-op ":" that keeps the
// expression visible and that bash reads as an empty string.
func runTimeValue(expr string) string {
	q, err := syntax.Quote(expr, syntax.LangBash)
	if err != nil {
		return "$(:)"
	}
	return "$(: " + q + ")"
}

// ShellWord quotes a value as the generated localrc does (see shellWord).
func ShellWord(v string) string { return shellWord(v) }

// shellWord quotes a value so that bash reads it back exactly, except that
// a value holding $, ` or \ is written in double quotes, as the role writes
// every value, so that the $VAR expansions Zuul jobs rely on still happen.
func shellWord(v string) string {
	if !strings.ContainsAny(v, "$`\\") {
		if q, err := syntax.Quote(v, syntax.LangBash); err == nil {
			return q
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	backslashes := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' {
			backslashes++
		} else {
			if c == '"' && backslashes%2 == 0 {
				b.WriteByte('\\')
			}
			backslashes = 0
		}
		b.WriteByte(c)
	}
	if backslashes%2 == 1 {
		b.WriteByte('\\')
	}
	b.WriteByte('"')
	return b.String()
}

// rawWord reports whether v, which starts with a double quote, is one
// complete shell word that the role may write as it is.
func rawWord(v string) bool {
	// A value nested too deeply to parse in bounded stack is quoted.
	if _, ok := shdepth.Source(v); !ok {
		return false
	}
	f, err := syntax.NewParser().Parse(strings.NewReader("X="+v+"\n"), "")
	if err != nil || len(f.Stmts) != 1 {
		return false
	}
	if _, ok := shdepth.Tree(f); !ok {
		return false
	}
	call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	return ok && len(call.Args) == 0 && len(call.Assigns) == 1 && f.Stmts[0].End().Offset() == uint(len("X="+v))
}

// value renders the scalar n as a shell word, reporting what the role
// would have done differently.
func (e *emitter) value(n *node, what string) {
	switch {
	case n.kind != scalarKind:
		e.diags = append(e.diags, schema.RuleZuulValue.Diag(what+" is a "+kindName(n)+", not a single value",
			"DevStack's Zuul role writes Python's representation of it; stackplan leaves it out.", n.rng))
		e.lit("''", n.rng)
	case custom(n):
		e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("%s is tagged %s: known only when the job runs", what, n.tag), "", n.rng))
		e.lit(runTimeValue(n.tag), n.rng)
	case isJinja(n.text):
		e.jinja = append(e.jinja, n.rng)
		e.diags = append(e.diags, schema.RuleZuulJinja.Diag(what+" is a Jinja expression, rendered only when the job runs",
			"Its value is unknown at plan time. The generated localrc has $(: 'EXPRESSION') in its place, which bash reads as empty: give the value itself to plan and apply it outside Zuul.", n.rng))
		text := runTimeValue(n.text)
		if parts, ok := addressParts(n.text, e.self, e.nodes); ok {
			e.deploy = append(e.deploy, schema.DeployValue{Offset: e.textLen, Len: len(text), Shell: true, Parts: parts, Range: n.rng})
		}
		e.lit(text, n.rng)
	default:
		e.numberNote(n, what, what)
		v := scalarText(n)
		if strings.HasPrefix(v, `"`) && n.tag == "!!str" {
			if rawWord(v) {
				e.val(v, n)
				return
			}
			e.diags = append(e.diags, schema.RuleZuulValue.Diag(what+" starts with a double quote but is not one quoted word",
				"DevStack's Zuul role writes such a value as it is, which corrupts localrc; stackplan quotes it.", n.rng))
		} else if strings.Contains(v, `"`) && !strings.HasPrefix(v, `"`) {
			e.diags = append(e.diags, schema.RuleZuulValue.Diag(what+" holds a double quote",
				"DevStack's Zuul role wraps values in double quotes without escaping, so this one ends its quote early and corrupts the rest of localrc; stackplan escapes it.", n.rng))
		}
		if w := shellWord(v); w == v {
			e.val(v, n)
		} else {
			e.lit(w, n.rng)
		}
	}
}

func kindName(n *node) string {
	switch n.kind {
	case mappingKind:
		return "mapping"
	case sequenceKind:
		return "list"
	}
	return "value"
}

// nodeVars are the DevStack variables of one node.
type nodeVars struct {
	localrc, plugins, services, baseServices, localConf, baseDir, tempestPlugins *pair
}

var devstackVars = []string{"devstack_localrc", "devstack_plugins", "devstack_services", "devstack_base_services", "devstack_local_conf", "tempest_plugins"}

func varsOf(all map[string]*pair) nodeVars {
	return nodeVars{
		localrc: all["devstack_localrc"], plugins: all["devstack_plugins"], services: all["devstack_services"],
		baseServices: all["devstack_base_services"], localConf: all["devstack_local_conf"],
		baseDir: all["devstack_base_dir"], tempestPlugins: all["tempest_plugins"],
	}
}

// mapping returns the mapping a variable holds, reporting another shape.
func (e *emitter) mapping(p *pair) *node {
	if p == nil || p.val.isNull() {
		return nil
	}
	if p.val.kind != mappingKind {
		e.diags = append(e.diags, schema.RuleZuulYAML.Diag(p.key+" must be a mapping", "DevStack's Zuul role fails on it.", p.val.rng))
		return nil
	}
	return p.val
}

// generate writes the localrc lines and config sections, in the role's
// layout (docs/devstack.md §7.1).
func (e *emitter) generate(v nodeVars, r *resolved, job hcl.Range, opts Options) {
	localrc := e.mapping(v.localrc)
	services := e.mapping(v.services)
	var base []*node
	if v.baseServices != nil && !v.baseServices.val.isNull() {
		if v.baseServices.val.kind == sequenceKind {
			base = v.baseServices.val.items
		} else {
			e.diags = append(e.diags, schema.RuleZuulYAML.Diag("devstack_base_services must be a list", "", v.baseServices.val.rng))
		}
	}

	// 1. Services.
	if services != nil && len(services.pairs) > 0 || len(base) > 0 {
		enableBase := true
		baseRng := job
		rest := services
		if services != nil {
			if bp := services.pairOf("base"); bp != nil {
				enableBase = scalarText(bp.val) == "True"
				baseRng = bp.keyRng
			} else {
				baseRng = v.services.keyRng
			}
			rest = &node{kind: mappingKind, pairs: slices.DeleteFunc(slices.Clone(services.pairs), func(p pair) bool { return p.key == "base" })}
		}
		if enableBase && len(base) > 0 {
			e.lit("ENABLED_SERVICES=", v.baseServices.keyRng)
			names := make([]string, 0, len(base))
			for _, b := range base {
				names = append(names, scalarText(b))
			}
			e.lit(shellWord(strings.Join(names, ","))+"\n", v.baseServices.val.rng)
		} else {
			e.lit("disable_all_services\n", baseRng)
		}
		if rest != nil {
			for _, p := range rest.pairs {
				switch scalarText(p.val) {
				case "False":
					e.lit("disable_service ", p.keyRng)
				case "True":
					e.lit("enable_service ", p.keyRng)
				default:
					e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("service %s is neither true nor false", p.key),
						"DevStack's Zuul role ignores it.", p.val.rng))
					continue
				}
				e.word(p.key, p.keyRng)
				e.lit("\n", p.keyRng)
			}
		}
	}

	// 2. Variables, each after those its value refers to.
	has := map[string]bool{}
	if localrc != nil {
		for _, i := range e.varOrder(localrc) {
			p := localrc.pairs[i]
			has[p.key] = true
			if !nameRE.MatchString(p.key) {
				e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("%q is not a shell variable name", p.key),
					"DevStack's Zuul role writes it as a command, which fails when localrc is sourced; stackplan leaves it out.", p.keyRng))
				continue
			}
			e.lit(p.key+"=", p.keyRng)
			e.value(p.val, p.key)
			e.lit("\n", p.val.rng)
		}
	}

	// 3. LIBS_FROM_GIT from the required projects.
	if !has["LIBS_FROM_GIT"] {
		projects := slices.Clone(r.projects)
		if opts.Project != "" && !slices.Contains(projects, opts.Project) {
			projects = append(projects, opts.Project)
		}
		if len(projects) > 0 {
			e.lit("LIBS_FROM_GIT="+shellWord(strings.Join(projects, ","))+"\n", job)
		}
	}

	// 4. TEMPEST_PLUGINS.
	if tp := v.tempestPlugins; tp != nil && tp.val.kind == sequenceKind && len(tp.val.items) > 0 && !has["TEMPEST_PLUGINS"] {
		baseDir := DefaultBaseDir
		if v.baseDir != nil && v.baseDir.val.kind == scalarKind && !v.baseDir.val.isNull() {
			baseDir = scalarText(v.baseDir.val)
		}
		var dirs []string
		for _, it := range tp.val.items {
			dirs = append(dirs, strings.TrimSuffix(baseDir, "/")+"/"+scalarText(it))
		}
		e.lit("TEMPEST_PLUGINS="+shellWord(strings.Join(dirs, " "))+"\n", tp.keyRng)
	}

	// 5. Plugins last.
	if plugins := e.mapping(v.plugins); plugins != nil {
		for _, i := range pluginOrder(plugins, opts.Requires) {
			p := plugins.pairs[i]
			if p.val.kind == scalarKind && !p.val.isNull() && p.val.text == "" {
				continue // the role skips an empty URL: a child job's way to drop a plugin
			}
			if p.val.kind == scalarKind && (p.val.tag == "!!null" || p.val.tag == "!!bool") {
				e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("plugin %s has the URL %s", p.key, scalarText(p.val)),
					fmt.Sprintf("DevStack's Zuul role writes enable_plugin %s %s. An empty string ('') removes a plugin a parent job enabled.", p.key, scalarText(p.val)), p.val.rng))
			}
			e.lit("enable_plugin ", p.keyRng)
			e.word(p.key, p.keyRng)
			e.lit(" ", p.keyRng)
			e.value(p.val, "the URL of plugin "+p.key)
			e.lit("\n", p.val.rng)
		}
	}

	// 6. Config sections.
	if lc := e.mapping(v.localConf); lc != nil {
		e.localConf(lc)
	}
}

// word writes a name as one shell word, pointing at its YAML key.
func (e *emitter) word(s string, rng hcl.Range) {
	w := shellWord(s)
	if w == s && e.s.fileOf(rng).exactAt(s, rng.Start.Byte) {
		e.add(evaluator.Chunk{Text: s, Range: e.v.virtual(rng), Exact: true})
		return
	}
	e.lit(w, rng)
}

var refRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// varOrder orders the variables as the role means to: sorted by name, each
// after every variable its value refers to, transitively (the role's
// pre-order walk gets chains of three wrong, docs/devstack.md §7.2).
func (e *emitter) varOrder(m *node) []int {
	idx := make([]int, len(m.pairs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return m.pairs[idx[a]].key < m.pairs[idx[b]].key })
	pos := map[string]int{}
	for p, i := range idx {
		pos[m.pairs[i].key] = p
	}
	var edges []deps.Edge
	for p, i := range idx {
		v := m.pairs[i].val
		if v.kind != scalarKind {
			continue
		}
		for _, ref := range refRE.FindAllStringSubmatch(v.text, -1) {
			if to, ok := pos[ref[1]]; ok && to != p {
				edges = append(edges, deps.Edge{From: p, To: to, Source: v.rng})
			}
		}
	}
	res := deps.Analyze(len(idx), edges)
	for _, c := range res.Cycles {
		var names []string
		for _, mem := range c.Members {
			names = append(names, m.pairs[idx[mem]].key)
		}
		first := m.pairs[idx[c.Members[0]]]
		e.diags = append(e.diags, schema.RuleZuulCycle.Diag("devstack_localrc variables refer to each other in a cycle: "+strings.Join(names, ", "),
			"DevStack's Zuul role stops with \"Dependency cycle detected\". stackplan writes them in name order, so the first reads the others before they are set.", first.keyRng))
	}
	out := make([]int, len(res.Order))
	for k, p := range res.Order {
		out[k] = idx[p]
	}
	return out
}

// pluginOrder orders plugins as the role means to: sorted by name, each
// after the plugins it requires.
func pluginOrder(m *node, requires map[string][]string) []int {
	idx := make([]int, len(m.pairs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return m.pairs[idx[a]].key < m.pairs[idx[b]].key })
	if len(requires) == 0 {
		return idx
	}
	pos := map[string]int{}
	for p, i := range idx {
		pos[m.pairs[i].key] = p
	}
	var edges []deps.Edge
	for p, i := range idx {
		for _, req := range requires[m.pairs[i].key] {
			if to, ok := pos[req]; ok {
				edges = append(edges, deps.Edge{From: p, To: to})
			}
		}
	}
	res := deps.Analyze(len(idx), edges)
	out := make([]int, len(res.Order))
	for k, p := range res.Order {
		out[k] = idx[p]
	}
	return out
}

// localConf writes the [[phase|file]] blocks as the role does and records
// each as a meta-section.
func (e *emitter) localConf(lc *node) {
	for _, phase := range lc.pairs {
		if !plan.IsGroup(phase.key) {
			e.diags = append(e.diags, schema.RuleUnknownSection.Diag(fmt.Sprintf("DevStack has no %q phase for config files", phase.key),
				"DevStack merges config files at post-config, extra, post-extra and test-config; it ignores this group.", phase.keyRng))
		}
		files := phase.val
		if files.kind != mappingKind {
			if !files.isNull() {
				e.diags = append(e.diags, schema.RuleZuulYAML.Diag(fmt.Sprintf("devstack_local_conf.%s must map file names to sections", phase.key), "", files.rng))
			}
			continue
		}
		for _, fp := range files.pairs {
			fmt.Fprintf(&e.conf, "[[%s|%s]]\n", phase.key, fp.key)
			known := plan.IsGroup(phase.key)
			if fp.val.kind != mappingKind {
				if !fp.val.isNull() {
					e.diags = append(e.diags, schema.RuleZuulYAML.Diag(fmt.Sprintf("config file %s must map section names to options", fp.key), "", fp.val.rng))
				}
				if known {
					e.sections = append(e.sections, schema.MetaSection{Group: phase.key, File: fp.key, Header: fp.keyRng,
						Body: schema.Span{Range: hcl.Range{Filename: fp.keyRng.Filename, Start: fp.keyRng.End, End: fp.keyRng.End}}})
				}
				continue
			}
			// One meta-section per INI section, its body starting at the
			// section's key: each line of it is then at the YAML line it
			// comes from (one option a line, as jobs write them).
			for _, sec := range fp.val.pairs {
				var body strings.Builder
				fmt.Fprintf(&body, "[%s]\n", sec.key)
				if sec.val.kind == mappingKind {
					for _, kv := range sec.val.pairs {
						fmt.Fprintf(&body, "%s = ", kv.key)
						e.iniValue(kv, e.conf.Len()+body.Len(), &body)
						body.WriteString("\n")
					}
				} else if !sec.val.isNull() {
					e.diags = append(e.diags, schema.RuleZuulYAML.Diag(fmt.Sprintf("section [%s] must map option names to values", sec.key), "", sec.val.rng))
				}
				e.conf.WriteString(body.String())
				e.conf.WriteString("\n")
				if known {
					end := sec.val.rng.End
					if sec.val.kind == mappingKind && len(sec.val.pairs) > 0 {
						end = sec.val.pairs[len(sec.val.pairs)-1].val.rng.End
					}
					e.sections = append(e.sections, schema.MetaSection{
						Group: phase.key, File: fp.key, Header: fp.keyRng,
						Body: schema.Span{Text: strings.TrimSuffix(body.String(), "\n"), Range: hcl.Range{Filename: sec.keyRng.Filename, Start: sec.keyRng.Start, End: end}},
					})
				}
			}
		}
	}
}

// iniValue writes an option's value as the role writes it; at is where it
// starts in conf.
func (e *emitter) iniValue(kv pair, at int, w *strings.Builder) {
	n := kv.val
	switch {
	case n.kind != scalarKind:
		e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("option %s is a %s, not a single value", kv.key, kindName(n)),
			"DevStack's Zuul role writes Python's representation of it; stackplan writes it empty.", n.rng))
		return
	case isJinja(n.text):
		e.jinja = append(e.jinja, n.rng)
		e.diags = append(e.diags, schema.RuleZuulJinja.Diag(fmt.Sprintf("option %s is a Jinja expression, rendered only when the job runs", kv.key),
			"The config fragment keeps the expression as it is written; outside Zuul nothing renders it.", n.rng))
		if parts, ok := addressParts(n.text, e.self, e.nodes); ok {
			e.deploy = append(e.deploy, schema.DeployValue{Offset: at, Len: len(n.text), Parts: parts, Range: n.rng})
		}
	case strings.Contains(n.text, "\n"):
		e.diags = append(e.diags, schema.RuleZuulValue.Diag(fmt.Sprintf("option %s spans several lines", kv.key),
			"DevStack's config merge reads one line per option and drops indented lines, so only the first line is kept.", n.rng))
	default:
		e.numberNote(n, "option "+kv.key, kv.key)
	}
	w.WriteString(scalarText(n))
}
