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

// checkNesting reports, as a limit diagnostic, the first place where src
// nests deeper than MaxNesting. It scans without parsing: quoted strings
// are skipped, except for the ${ and %{ interpolations they open.
func checkNesting(filename string, src []byte, isJSON bool) hcl.Diagnostics {
	const (
		expr = iota
		str
	)
	stack := []byte{expr}
	depth := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := stack[len(stack)-1]
		opened := false
		switch {
		case top == str:
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				i++
				stack = append(stack, expr)
				opened = true
			}
		case c == '"':
			stack = append(stack, str)
		case !isJSON && c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, expr)
			opened = true
		case c == ')' || c == ']' || c == '}':
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
				depth--
			}
		}
		if opened {
			depth++
			if depth > MaxNesting {
				p := posAt(src, i)
				return hcl.Diagnostics{schema.RuleLimit.Diag(
					fmt.Sprintf("nesting deeper than %d levels", MaxNesting),
					"Brackets, braces, parentheses and interpolations nest this deep here. Nothing in this file is used.",
					hcl.Range{Filename: filename, Start: p, End: p})}
			}
		}
	}
	return nil
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
