package hclconf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/schema"
)

// ControllerNode is the name of the node the top level alone describes
// when no node block names it.
const ControllerNode = "controller"

// HasNodes reports whether a stack.hcl declares node blocks (a file that
// does not parse has none).
func HasNodes(filename string, src []byte) bool {
	_, blocks, _ := nodeBlocks(filename, src)
	return len(blocks) > 0
}

func nodeBlocks(filename string, src []byte) (hcl.Body, []*hcl.Block, hcl.Diagnostics) {
	file, diags := parseFile(filename, src)
	if diags.HasErrors() || file == nil || file.Body == nil {
		return nil, nil, diags
	}
	content, _ := file.Body.Content(fileSchema)
	var out []*hcl.Block
	for _, b := range content.Blocks {
		if b.Type == blockNode {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b *hcl.Block) int { return a.DefRange.Start.Byte - b.DefRange.Start.Byte })
	return file.Body, out, nil
}

// ParseNodes reads a stack.hcl into one configuration per node. Each node
// block's configuration is the top-level blocks followed by the blocks of
// its body; the controller comes first: node "controller" when a block
// names it, else the top level alone. A file without node blocks is one
// node, the controller. Per-node diagnostics repeat those of the top
// level; the first return's diagnostics are about the node blocks
// themselves (names, groups).
func ParseNodes(filename string, src []byte, opts evaluator.Options) ([]schema.Node, hcl.Diagnostics) {
	_, blocks, _ := nodeBlocks(filename, src)
	var diags hcl.Diagnostics
	type decl struct {
		name   string
		groups []string
	}
	decls := []decl{{name: ControllerNode}}
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		if prev, dup := seen[name]; dup {
			diags = append(diags, schema.RuleHCLSchema.Diag(fmt.Sprintf("node %q is declared twice", name),
				fmt.Sprintf("The first node %q block, at line %d, is the one used; merge the two.", name, prev.Start.Line), b.LabelRanges[0]))
			continue
		}
		seen[name] = b.LabelRanges[0]
		if name == "" || strings.ContainsAny(name, "/\\ \t\n\r") || name == "." || name == ".." {
			diags = append(diags, schema.RuleHCLValue.Diag(fmt.Sprintf("node name %q cannot be used", name),
				"A node name is a host name: non-empty, without whitespace or slashes.", b.LabelRanges[0]))
			continue
		}
		var groups []string
		part, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "groups"}}})
		if a, ok := part.Attributes["groups"]; ok {
			v, vd := a.Expr.Value(nil)
			if !vd.HasErrors() {
				v, vd = convertList(v, a.Expr.Range())
			}
			if vd.HasErrors() {
				for _, d := range vd {
					d.Extra = schema.RuleExtra{Rule: schema.RuleHCLValue.ID}
				}
				diags = append(diags, vd...)
			} else {
				for _, g := range v.AsValueSlice() {
					if !slices.Contains(groups, g.AsString()) {
						groups = append(groups, g.AsString())
					}
				}
				slices.Sort(groups)
			}
		}
		if name == ControllerNode {
			decls[0].groups = groups
			continue
		}
		decls = append(decls, decl{name: name, groups: groups})
	}
	var out []schema.Node
	for i, dc := range decls {
		cfg, nd := parse(filename, src, opts, dc.name)
		out = append(out, schema.Node{Name: dc.name, Groups: dc.groups, Controller: i == 0, Config: cfg, Diags: nd})
	}
	return out, diags
}

func convertList(v cty.Value, rng hcl.Range) (cty.Value, hcl.Diagnostics) {
	if v.IsKnown() && !v.IsNull() {
		if l, err := convert.Convert(v, cty.List(cty.String)); err == nil && l.IsWhollyKnown() {
			ok := true
			for _, e := range l.AsValueSlice() {
				ok = ok && !e.IsNull()
			}
			if ok {
				return l, nil
			}
		}
	}
	return v, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "groups must be a list of strings",
		Detail: `A node's groups are written groups = ["subnode"].`, Subject: rng.Ptr()}}
}
