package hclconf

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/stackplan/stackplan/schema"
)

// MaxNesting is the deepest nesting of brackets, braces, parentheses and
// template interpolations a stack.hcl (native or JSON) may have. HCL's
// parsers recurse once per level: a few hundred thousand levels, well
// under the size limit, exhaust the stack.
const MaxNesting = 100

// MaxForNesting is how deep for expressions may nest. Each iterates over
// up to 1024 elements of range() (cty's bound) or over any list, so values
// grow as the product: three levels of range(1000) are a billion elements.
const MaxForNesting = 2

// MaxJSONForNesting is how deep for expressions and %{for} directives may
// nest in HCL's JSON syntax. Its templates are parsed inside the JSON
// decoder, out of countIterations' reach, so their iterations are not
// charged to the expression's budget: one level is linear in the input.
const MaxJSONForNesting = 1

// MaxJSONForSource is the most bytes of source a for expression or %{for}
// directive may span in HCL's JSON syntax: with MaxElements and the
// expression budget for its collection, what it builds stays within tens
// of megabytes.
const MaxJSONForSource = 4096

// MaxElements is the most elements a list, object or block written out in
// a stack.hcl may have (counted as its commas and equals signs). HCL's
// parsers and cty spend tens of microseconds and about a kilobyte on each:
// a million of them, two megabytes of source, take a minute and a
// gigabyte, and the 16 MiB input limit would allow eight times that.
const MaxElements = 10000

// checkNesting reports, as a limit diagnostic, the first place where src
// nests deeper than MaxNesting, holds more than MaxElements elements in one
// bracket, or (in JSON) nests for expressions or %{for} directives deeper
// than MaxJSONForNesting. It scans without parsing, before HCL's parsers
// run: quoted strings are skipped, except for the ${ and %{
// interpolations they open.
func checkNesting(filename string, src []byte, isJSON bool) hcl.Diagnostics {
	const (
		expr = iota
		str
		forExpr // an expression bracket that opens a for expression
	)
	type frame struct {
		kind     byte
		elements int
		opened   int // offset of the opening character
	}
	stack := []frame{{kind: expr}}
	depth, forDepth, forStart := 0, 0, 0
	limit := func(at int, summary, detail string) hcl.Diagnostics {
		p := posAt(src, at)
		return hcl.Diagnostics{schema.RuleLimit.Diag(summary, detail+" Nothing in this file is used.",
			hcl.Range{Filename: filename, Start: p, End: p})}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := &stack[len(stack)-1]
		opened := false
		switch {
		case top.kind == str:
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if c == '%' && isJSON {
					switch word := directive(src[i+2:]); word {
					case "for":
						forDepth++
						forStart = i
						if forDepth > MaxJSONForNesting {
							return limit(i, fmt.Sprintf("for directives nested deeper than %d level in JSON", MaxJSONForNesting),
								"In HCL's JSON syntax a for may not hold another: each level multiplies the size of the value.")
						}
					case "endfor":
						forDepth--
						if i-forStart > MaxJSONForSource {
							return limit(forStart, fmt.Sprintf("a for directive longer than %d bytes in JSON", MaxJSONForSource),
								"Each iteration copies it: write a shorter one.")
						}
					}
				}
				i++
				stack = append(stack, frame{kind: expr, opened: i})
				opened = true
			}
		case c == '"':
			stack = append(stack, frame{kind: str, opened: i})
		case !isJSON && c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '(' || c == '[' || c == '{':
			kind := byte(expr)
			if isJSON && len(stack) > 1 && c != '(' && directive(src[i+1:]) == "for" {
				kind = forExpr
				forDepth++
				if forDepth > MaxJSONForNesting {
					return limit(i, fmt.Sprintf("for expressions nested deeper than %d level in JSON", MaxJSONForNesting),
						"In HCL's JSON syntax a for may not hold another: each level multiplies the size of the value.")
				}
			}
			stack = append(stack, frame{kind: kind, opened: i})
			opened = true
		case c == ')' || c == ']' || c == '}':
			if len(stack) > 1 {
				if top.kind == forExpr {
					forDepth--
					if i-top.opened > MaxJSONForSource {
						return limit(top.opened, fmt.Sprintf("a for expression longer than %d bytes in JSON", MaxJSONForSource),
							"Each iteration copies it: write a shorter one.")
					}
				}
				stack = stack[:len(stack)-1]
				depth--
			}
		case c == ',' || c == '=':
			top.elements++
			if top.elements > MaxElements {
				return limit(top.opened, fmt.Sprintf("more than %d elements in one list, object or block", MaxElements),
					"Each element costs HCL time and memory out of proportion to its size.")
			}
		}
		if opened {
			depth++
			if depth > MaxNesting {
				return limit(i, fmt.Sprintf("nesting deeper than %d levels", MaxNesting),
					"Brackets, braces, parentheses and interpolations nest this deep here.")
			}
		}
	}
	return nil
}

// directive returns the keyword that src starts with after blanks and a
// strip marker (~): "for" in "%{ for x in y }", "endfor" in "%{~endfor}".
func directive(src []byte) string {
	i := 0
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '~' || src[i] == '\n' || src[i] == '\r') {
		i++
	}
	j := i
	for j < len(src) && (src[j] >= 'a' && src[j] <= 'z') {
		j++
	}
	if j < len(src) && (src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '-') {
		return "" // an identifier such as "format" or "forward"
	}
	return string(src[i:j])
}

// checkForNesting reports, as a limit diagnostic, a for expression nested
// in more than MaxForNesting others.
func checkForNesting(body hcl.Body) hcl.Diagnostics {
	syn, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	w := &forDepth{}
	hclsyntax.Walk(syn, w)
	return w.diags
}

// forDepth walks an HCL syntax tree counting nested for expressions.
type forDepth struct {
	depth int
	diags hcl.Diagnostics
}

func (w *forDepth) Enter(n hclsyntax.Node) hcl.Diagnostics {
	if f, ok := n.(*hclsyntax.ForExpr); ok {
		w.depth++
		if w.depth > MaxForNesting && len(w.diags) == 0 {
			w.diags = append(w.diags, schema.RuleLimit.Diag(
				fmt.Sprintf("for expressions nested deeper than %d levels", MaxForNesting),
				"Each level multiplies the size of the value; this one could grow without bound.",
				f.SrcRange))
		}
	}
	return nil
}

func (w *forDepth) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.depth--
	}
	return nil
}
