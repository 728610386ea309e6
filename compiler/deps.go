package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/deps"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Origins of a requirement edge.
const (
	OriginConfig   = "config"   // "# stackplan: requires=" or an HCL requires attribute
	OriginSettings = "settings" // plugin_requires in a plugin's devstack/settings
)

// DepGraph is the plugin requirement graph of a configuration: the plugins
// (each name once, at its first enable_plugin, in the user's order), the
// requirements between them, and what [deps.Analyze] makes of them.
type DepGraph struct {
	Plugins []schema.Plugin
	Edges   []DepEdge
	// Missing are the requirements of enabled plugins on plugins that are
	// not enabled.
	Missing []MissingRequirement
	Result  deps.Result
	// Sorted reports whether the plan uses Result.Order (plan --sort) rather
	// than the user's order.
	Sorted bool

	reqNames [][]string
}

// DepEdge is one requirement: Plugins[From] requires Plugins[To].
type DepEdge struct {
	deps.Edge
	Origin string // OriginConfig or OriginSettings
}

// MissingRequirement is a requirement on a plugin that is not enabled.
type MissingRequirement struct {
	Plugin   int // index into DepGraph.Plugins
	Requires string
	Source   hcl.Range
	Origin   string
}

// Order returns the plugin indices in the order the plan uses.
func (g *DepGraph) Order() []int {
	if g.Sorted {
		return g.Result.Order
	}
	out := make([]int, len(g.Plugins))
	for i := range out {
		out[i] = i
	}
	return out
}

// Violated reports, for each edge, whether the plan's order enables the
// required plugin after the one that requires it.
func (g *DepGraph) Violated() []bool {
	pos := make([]int, len(g.Plugins))
	for i, v := range g.Order() {
		pos[v] = i
	}
	out := make([]bool, len(g.Edges))
	for i, e := range g.Edges {
		out[i] = pos[e.To] > pos[e.From]
	}
	return out
}

// Dependencies builds and checks the requirement graph of cfg from the
// requirements declared in the configuration and opts.Settings.
func Dependencies(cfg *schema.Config, opts Options) (*DepGraph, hcl.Diagnostics) {
	g := &DepGraph{Sorted: opts.Sort}
	var diags hcl.Diagnostics
	index := map[string]int{}
	unknownNames := false
	for _, p := range cfg.Plugins {
		if !p.Name.Known() || p.Name.String() == "" {
			unknownNames = unknownNames || !p.Name.Known()
			continue
		}
		if _, dup := index[p.Name.String()]; !dup {
			index[p.Name.String()] = len(g.Plugins)
			g.Plugins = append(g.Plugins, p)
		}
	}

	// The Zuul role files requirements under the name each settings file
	// defines, and looks them up by the enable_plugin name.
	byDefined := map[string]*pluginsettings.Declarations{}
	for _, p := range g.Plugins {
		d := opts.Settings[p.Name.String()]
		if d == nil {
			continue
		}
		diags = append(diags, d.Diags...)
		if d.Name == "" {
			continue
		}
		byDefined[d.Name] = d
		if d.Name != p.Name.String() {
			diags = append(diags, schema.RuleSettingsDeclaration.Diag(
				fmt.Sprintf("the settings of plugin %s define plugin %s", p.Name.String(), d.Name),
				fmt.Sprintf("The Zuul role looks requirements up by the enable_plugin name, so %s gets none of those declared in this file (%s would, if it were enabled). Use the same name in define_plugin and enable_plugin.", p.Name.String(), d.Name),
				d.NameRange))
		}
	}

	g.reqNames = make([][]string, len(g.Plugins))
	add := func(from int, name string, src hcl.Range, origin string) {
		if !slices.Contains(g.reqNames[from], name) && name != g.name(from) {
			g.reqNames[from] = append(g.reqNames[from], name)
		}
		if to, ok := index[name]; ok {
			g.Edges = append(g.Edges, DepEdge{Edge: deps.Edge{From: from, To: to, Source: src}, Origin: origin})
			return
		}
		g.Missing = append(g.Missing, MissingRequirement{Plugin: from, Requires: name, Source: src, Origin: origin})
	}
	for i, p := range g.Plugins {
		for _, r := range p.Requires {
			if r.Known() && r.String() != "" {
				add(i, r.String(), r.Range, OriginConfig)
			}
		}
		if d := byDefined[p.Name.String()]; d != nil {
			for _, r := range d.Requires {
				add(i, r.Name, r.Range, OriginSettings)
			}
		}
	}
	edges := make([]deps.Edge, len(g.Edges))
	for i, e := range g.Edges {
		edges[i] = e.Edge
	}
	g.Result = deps.Analyze(len(g.Plugins), edges)
	diags = append(diags, g.diagnostics(unknownNames)...)
	return g, diags
}

func (g *DepGraph) name(i int) string { return g.Plugins[i].Name.String() }

func (g *DepGraph) diagnostics(unknownNames bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seenMissing := map[[2]string]bool{}
	for _, m := range g.Missing {
		p := g.Plugins[m.Plugin]
		key := [2]string{p.Name.String(), m.Requires}
		if seenMissing[key] {
			continue
		}
		seenMissing[key] = true
		sev := schema.RuleRequiresMissing.Severity
		detail := fmt.Sprintf("The requirement is declared at %s. Enable %s with an enable_plugin line above line %d. DevStack does not check plugin requirements (its Zuul role stops with KeyError: '%s').",
			where(m.Source), m.Requires, p.Range.Start.Line, m.Requires)
		if unknownNames {
			sev = hcl.DiagWarning
			detail += " Some plugin names are known only when localrc runs; one of them may be it."
		}
		diags = append(diags, schema.RuleRequiresMissing.DiagSeverity(sev,
			fmt.Sprintf("plugin %s requires %s, which is not enabled", p.Name.String(), m.Requires), detail, p.Range))
	}
	for _, ei := range g.Result.Violations {
		e := g.Edges[ei]
		dep, req := g.Plugins[e.From], g.Plugins[e.To]
		sev := schema.RuleRequiresOrder.Severity
		detail := fmt.Sprintf("Move line %d (enable_plugin %s) above line %d (enable_plugin %s): plugins are set up in the order they are enabled. The requirement is declared at %s. `stackplan lint --fix` moves the lines for you.",
			req.Range.Start.Line, req.Name.String(), dep.Range.Start.Line, dep.Name.String(), where(e.Source))
		if g.Sorted {
			sev = hcl.DiagWarning
			detail += " This plan uses the sorted order (--sort); DevStack reading the file itself would not."
		}
		diags = append(diags, schema.RuleRequiresOrder.DiagSeverity(sev,
			fmt.Sprintf("plugin %s requires %s, which is enabled after it", dep.Name.String(), req.Name.String()),
			detail, req.Range))
	}
	for _, c := range g.Result.Cycles {
		var names, lines []string
		for _, ei := range c.Edges {
			e := g.Edges[ei]
			names = append(names, g.name(e.From))
			lines = append(lines, fmt.Sprintf("%s requires %s (%s)", g.name(e.From), g.name(e.To), where(e.Source)))
		}
		names = append(names, names[0])
		detail := strings.Join(lines, "; ") + ". No order satisfies all of them: drop one of these requirements."
		if len(c.Members) > len(c.Edges) {
			var all []string
			for _, m := range c.Members {
				all = append(all, g.name(m))
			}
			detail += " Plugins " + strings.Join(all, ", ") + " all depend on each other through this cycle."
		}
		diags = append(diags, schema.RuleRequiresCycle.Diag(
			"plugin requirements form a cycle: "+strings.Join(names, " → "),
			detail, g.Plugins[c.Members[0]].Range))
	}
	return diags
}

// where is a declaration's position for messages: file:line.
func where(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// Requirements returns the names plugin i requires, in declaration order
// (configuration first, then settings), enabled or not.
func (g *DepGraph) Requirements(i int) []string { return g.reqNames[i] }

// planPlugins gives the plan's plugins (planned[i] is cfg[i]) their
// requirements, and puts them in the plan's order: the user's, or with
// Sorted the requirement order, followed by the registrations that are not
// graph nodes (unknown or repeated names) in the user's order.
func (g *DepGraph) planPlugins(cfg []schema.Plugin, planned []plan.Plugin) []plan.Plugin {
	node := map[string]int{}
	for i, p := range g.Plugins {
		node[p.Name.String()] = i
	}
	first := make([]int, len(g.Plugins)) // node -> index in cfg
	isFirst := make([]bool, len(cfg))
	for i, p := range cfg {
		if n, ok := node[p.Name.String()]; ok && p.Name.Known() && g.Plugins[n].Range == p.Range {
			first[n] = i
			isFirst[i] = true
			if reqs := g.Requirements(n); len(reqs) > 0 {
				planned[i].Requires = slices.Clone(reqs)
			}
		}
	}
	if !g.Sorted {
		return planned
	}
	out := make([]plan.Plugin, 0, len(planned))
	for _, n := range g.Result.Order {
		out = append(out, planned[first[n]])
	}
	for i, p := range planned {
		if !isFirst[i] {
			out = append(out, p)
		}
	}
	return out
}
