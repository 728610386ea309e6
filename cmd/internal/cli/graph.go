package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

type graphArgs struct {
	config configFlags
	deps   depsFlags
	format string
	files  []string
	// write draws the graph in the --format asked for.
	write func(io.Writer, *graphView) error
}

const graphHelp = "Usage: stackplan graph [flags] [FILE]\n\nPrints the plugin dependency graph of FILE (default: ./local.conf): an\narrow from each plugin to each plugin it requires, every plugin numbered by\nits place in the plan's order, violated requirements in red."

func (a *graphArgs) flags(fs *pflag.FlagSet) {
	a.config.register(fs)
	a.deps.register(fs, true, false)
	fs.StringVarP(&a.format, "format", "f", "dot", "output format: dot, mermaid or json")
}

func (a *graphArgs) check(operands []string) error {
	switch a.format {
	case "dot":
		a.write = writeDOT
	case "mermaid":
		a.write = writeMermaid
	case "json":
		a.write = writeGraphJSON
	default:
		return usagef("--format %q: expected dot, mermaid or json", a.format)
	}
	if len(operands) > 1 {
		return usagef("one configuration file at a time")
	}
	a.files = operands
	return nil
}

func (c *Command) runGraph(a *graphArgs) int {
	files, opts, err := c.configuration(a.files, a.config, "")
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan graph: %v\n", err)
		return ExitUsage
	}
	cp := c.newCompilation(nil, &a.deps, false)
	res, err := cp.compileFile(files[0], opts)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan graph: %v\n", err)
		return ExitUsage
	}
	g, _ := compiler.Dependencies(res.cfg, compiler.Options{Settings: cp.settingsFor(res.cfg), Sort: a.deps.sort})
	if err := a.write(c.Stdout, viewOf(g)); err != nil {
		fmt.Fprintf(c.Stderr, "stackplan graph: %v\n", err)
		return ExitInternal
	}
	// The graph draws the requirement findings; any other error means the
	// configuration is broken and the graph may lack plugins: say why.
	var broken hcl.Diagnostics
	for _, d := range res.diags {
		if d.Severity == hcl.DiagError && !drawnInGraph[schema.RuleOf(d)] {
			broken = append(broken, d)
		}
	}
	if len(broken) > 0 {
		vopts := diagview.Options{Color: c.useColor("auto", c.Stderr), ToolVersion: Version}
		if err := diagview.Write(c.Stderr, diagview.Pretty, broken, res.sources, vopts); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan graph: %v\n", err)
			return ExitInternal
		}
		fmt.Fprintf(c.Stderr, "stackplan graph: %s has errors; the graph shows what compiled\n", files[0])
		return ExitFindings
	}
	return ExitOK
}

// drawnInGraph are the rules whose findings the graph itself shows in red.
var drawnInGraph = map[string]bool{
	schema.RuleRequiresMissing.ID: true,
	schema.RuleRequiresOrder.ID:   true,
	schema.RuleRequiresCycle.ID:   true,
}

// graphView is the graph as every format shows it; it is also the JSON.
type graphView struct {
	// Sorted says whether the order is the requirement order (--sort) or
	// the order the plugins are enabled in.
	Sorted bool `json:"sorted"`
	// Order lists the plugin names in the order the plan uses.
	Order   []string       `json:"order"`
	Plugins []graphPlugin  `json:"plugins"`
	Edges   []graphEdge    `json:"edges"`
	Missing []graphMissing `json:"missing"`
	Cycles  [][]string     `json:"cycles"`
}

type graphPlugin struct {
	Name string `json:"name"`
	// Position is the plugin's place in the plan's order, from 1.
	Position int        `json:"position"`
	Source   plan.Range `json:"source"`
}

type graphEdge struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	Origin string     `json:"origin"`
	Source plan.Range `json:"source"`
	// Violated is set when the plan's order enables To after From.
	Violated bool `json:"violated"`
	Cycle    bool `json:"cycle"`
}

type graphMissing struct {
	From     string     `json:"from"`
	Requires string     `json:"requires"`
	Origin   string     `json:"origin"`
	Source   plan.Range `json:"source"`
}

func viewOf(g *compiler.DepGraph) *graphView {
	v := &graphView{Sorted: g.Sorted, Order: []string{}, Plugins: []graphPlugin{}, Edges: []graphEdge{}, Missing: []graphMissing{}, Cycles: [][]string{}}
	pos := make([]int, len(g.Plugins))
	for i, n := range g.Order() {
		pos[n] = i + 1
		v.Order = append(v.Order, g.Plugins[n].Name.String())
	}
	for i, p := range g.Plugins {
		v.Plugins = append(v.Plugins, graphPlugin{Name: p.Name.String(), Position: pos[i], Source: plan.RangeOf(p.Range)})
	}
	onCycle := map[int]bool{}
	for _, c := range g.Result.Cycles {
		var names []string
		for _, e := range c.Edges {
			onCycle[e] = true
			names = append(names, g.Plugins[g.Edges[e].From].Name.String())
		}
		v.Cycles = append(v.Cycles, names)
	}
	ignored := map[int]bool{}
	for _, i := range g.Result.Ignored {
		ignored[i] = true
	}
	violated := g.Violated()
	for i, e := range g.Edges {
		if ignored[i] {
			continue
		}
		v.Edges = append(v.Edges, graphEdge{
			From: g.Plugins[e.From].Name.String(), To: g.Plugins[e.To].Name.String(), Origin: e.Origin,
			Source: plan.RangeOf(e.Source), Violated: violated[i], Cycle: onCycle[i],
		})
	}
	for _, m := range g.Missing {
		v.Missing = append(v.Missing, graphMissing{From: g.Plugins[m.Plugin].Name.String(), Requires: m.Requires, Origin: m.Origin, Source: plan.RangeOf(m.Source)})
	}
	return v
}

func writeGraphJSON(w io.Writer, v *graphView) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func orderNote(v *graphView) string {
	if v.Sorted {
		return "numbers: the order plan --sort uses"
	}
	return "numbers: the order the plugins are enabled in, which the plan uses"
}

// writeDOT prints Graphviz: render with `dot -Tsvg`.
func writeDOT(w io.Writer, v *graphView) error {
	var b strings.Builder
	fmt.Fprintf(&b, "// stackplan plugin dependency graph: an arrow from each plugin to each plugin it requires;\n// %s; red: a requirement enabled after its dependent.\n", orderNote(v))
	b.WriteString("digraph plugins {\n  rankdir=BT;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, p := range v.Plugins {
		fmt.Fprintf(&b, "  %s [label=%s];\n", strconv.Quote(p.Name), strconv.Quote(fmt.Sprintf("%d. %s", p.Position, p.Name)))
	}
	for _, m := range v.Missing {
		fmt.Fprintf(&b, "  %s [label=%s, style=\"rounded,dashed\", color=red, fontcolor=red];\n", strconv.Quote("missing:"+m.Requires), strconv.Quote(m.Requires+" (not enabled)"))
	}
	for _, e := range v.Edges {
		attrs := fmt.Sprintf("tooltip=%s", strconv.Quote(e.Source.String()))
		switch {
		case e.Cycle:
			attrs += ", color=red, penwidth=2, label=\"cycle\", fontcolor=red"
		case e.Violated:
			attrs += ", color=red, penwidth=2, label=\"enabled after\", fontcolor=red"
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", strconv.Quote(e.From), strconv.Quote(e.To), attrs)
	}
	for _, m := range v.Missing {
		fmt.Fprintf(&b, "  %s -> %s [color=red, style=dashed, label=\"not enabled\", fontcolor=red];\n", strconv.Quote(m.From), strconv.Quote("missing:"+m.Requires))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMermaid prints a Mermaid flowchart (GitHub renders it in Markdown).
func writeMermaid(w io.Writer, v *graphView) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%%%% stackplan plugin dependency graph; %s; red: violated\nflowchart BT\n", orderNote(v))
	id := map[string]string{}
	for i, p := range v.Plugins {
		id[p.Name] = fmt.Sprintf("p%d", i)
		fmt.Fprintf(&b, "  p%d[\"%d. %s\"]\n", i, p.Position, p.Name)
	}
	for i, m := range v.Missing {
		key := "missing:" + m.Requires
		if _, ok := id[key]; !ok {
			id[key] = fmt.Sprintf("m%d", i)
			fmt.Fprintf(&b, "  m%d[\"%s (not enabled)\"]:::missing\n", i, m.Requires)
		}
	}
	var red []int
	link := 0
	for _, e := range v.Edges {
		switch {
		case e.Cycle:
			fmt.Fprintf(&b, "  %s -->|cycle| %s\n", id[e.From], id[e.To])
			red = append(red, link)
		case e.Violated:
			fmt.Fprintf(&b, "  %s -->|enabled after| %s\n", id[e.From], id[e.To])
			red = append(red, link)
		default:
			fmt.Fprintf(&b, "  %s --> %s\n", id[e.From], id[e.To])
		}
		link++
	}
	for _, m := range v.Missing {
		fmt.Fprintf(&b, "  %s -.->|not enabled| %s\n", id[m.From], id["missing:"+m.Requires])
		red = append(red, link)
		link++
	}
	if len(v.Missing) > 0 {
		b.WriteString("  classDef missing stroke:#d00,stroke-dasharray:4,color:#d00\n")
	}
	if len(red) > 0 {
		var ids []string
		for _, r := range red {
			ids = append(ids, strconv.Itoa(r))
		}
		fmt.Fprintf(&b, "  linkStyle %s stroke:#d00,stroke-width:2px,color:#d00\n", strings.Join(ids, ","))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
