package hclconf

import (
	"fmt"
	"math"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/stackplan/stackplan/schema"
)

// MaxValueSize bounds the work of one expression, in bytes: the strings
// and the elements (elementCost each) of the collections its function
// calls return, plus, for each element a for expression iterates over, the
// bytes of its source (what one iteration can copy without calling a
// function). Without it, a few bytes grow
// past any memory: replace(A, "", B) of two 1 MB literals is a terabyte,
// indent(999999999, X) a gigabyte per line, and range() or a long literal
// list inside a nested for runs a billion times.
const MaxValueSize = 1 << 20

// errBudget is the error of the call that would pass MaxValueSize; the
// decoder turns it into a limit diagnostic. Every later call of the same
// expression returns an unknown value at once, without an error: a for
// expression goes on with its elements after one fails, and a diagnostic
// for each would grow without bound in turn.
var errBudget = fmt.Errorf("the expression would build more than %d MiB of values", MaxValueSize>>20)

// iterateFunc is the name of the function every native for expression's
// collection is wrapped in (see countIterations): it counts the elements
// against the budget. The space keeps it out of what a file can call.
const iterateFunc = "stackplan iterate"

// budget is what the expression being evaluated may still build.
type budget struct {
	left     int64
	exceeded bool
	funcs    map[string]function.Function
}

// newBudget wraps every function of the language so that its calls are
// charged to one budget, which reset renews for each expression.
func newBudget() *budget {
	b := &budget{}
	b.funcs = make(map[string]function.Function, len(functions)+1)
	for name, f := range functions {
		b.funcs[name] = b.wrap(name, f)
	}
	b.funcs[iterateFunc] = function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "collection", Type: cty.DynamicPseudoType,
				AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true},
			{Name: "cost", Type: cty.Number},
		},
		Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, ret cty.Type) (cty.Value, error) {
			if b.exceeded {
				return cty.UnknownVal(ret), nil
			}
			v, _ := args[0].Unmark()
			if v.IsKnown() && !v.IsNull() && v.CanIterateElements() {
				cost, _ := args[1].AsBigFloat().Int64()
				if err := b.charge(sat(float64(v.LengthInt()) * float64(max(cost, elementCost)))); err != nil {
					return cty.NilVal, err
				}
			}
			return args[0], nil
		},
	})
	return b
}

func (b *budget) reset() { b.left, b.exceeded = MaxValueSize, false }

func (b *budget) charge(n int64) error {
	if n > b.left {
		b.left, b.exceeded = 0, true
		return errBudget
	}
	b.left -= n
	return nil
}

// wrap charges f's calls: first what its arguments say the result could
// grow to, for the functions whose result can be far larger than their
// arguments, then the result's actual size.
func (b *budget) wrap(name string, f function.Function) function.Function {
	spec := &function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			if b.exceeded {
				return cty.DynamicPseudoType, nil // Impl returns an unknown value
			}
			// jsondecode decodes in its type check already.
			if bound(name, args) == math.MaxInt64 {
				b.left, b.exceeded = 0, true
				return cty.DynamicPseudoType, errBudget
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, ret cty.Type) (cty.Value, error) {
			if b.exceeded {
				return cty.UnknownVal(ret), nil
			}
			if err := b.charge(bound(name, args)); err != nil {
				return cty.NilVal, err
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			return v, b.charge(size(v))
		},
	}
	return function.New(spec)
}

// bound is what a call of the function name with args could build beyond
// the size of its arguments, in bytes, before it returns.
func bound(name string, args []cty.Value) int64 {
	str := func(i int) string {
		if i >= len(args) {
			return ""
		}
		v, _ := args[i].Unmark()
		if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			return ""
		}
		return v.AsString()
	}
	switch name {
	case "indent":
		v, _ := args[0].Unmark()
		if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
			return 0
		}
		n, _ := v.AsBigFloat().Float64()
		return sat(n * float64(strings.Count(str(1), "\n")+1))
	case "replace", "regex_replace":
		s, sub, with := str(0), str(1), str(2)
		matches := len(s) + 1 // a pattern can match between every byte
		if name == "replace" && sub != "" {
			matches = strings.Count(s, sub)
		}
		return sat(float64(matches) * float64(len(with)))
	case "format", "formatlist":
		// Widths and precisions ("%999999999d") pad the result.
		var n float64
		digits := 0.0
		for _, c := range str(0) {
			if c >= '0' && c <= '9' {
				digits = digits*10 + float64(c-'0')
				continue
			}
			n += digits
			digits = 0
		}
		return sat(n + digits)
	case "jsondecode":
		// cty's decoder recurses once per level: refuse what would
		// overflow the stack before it starts.
		if jsonDepth(str(0)) > MaxNesting {
			return math.MaxInt64
		}
	}
	return 0
}

// sat converts n to int64, saturating.
func sat(n float64) int64 {
	if n >= math.MaxInt64 || n != n {
		return math.MaxInt64
	}
	return int64(n)
}

// jsonDepth is how deeply s nests brackets and braces outside strings.
func jsonDepth(s string) int {
	depth, deepest, inStr := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// elementCost is what an element of a collection is charged, in bytes:
// about what cty spends on one (a cty.Value, a big.Float for a number).
const elementCost = 64

// size is the bytes of v's strings plus elementCost per element, walked
// with an explicit stack: a value's depth is bounded by the
// source's nesting, but not its breadth.
func size(v cty.Value) int64 {
	var n int64
	stack := []cty.Value{v}
	for len(stack) > 0 {
		v, _ := stack[len(stack)-1].Unmark()
		stack = stack[:len(stack)-1]
		switch {
		case !v.IsKnown() || v.IsNull():
		case v.Type() == cty.String:
			n += int64(len(v.AsString()))
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				n += elementCost
				stack = append(stack, e)
			}
		}
	}
	return n
}

// limited tags the errors of an expression that ran out of budget as
// limit diagnostics, naming the limit.
func limited(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, dg := range diags {
		if dg.Severity == hcl.DiagError {
			dg.Summary = fmt.Sprintf("an expression building more than %d MiB of values", MaxValueSize>>20)
			dg.Detail = "Function results and for expressions count their strings' bytes and their elements; this one could grow without bound. " + dg.Detail
			dg.Extra = schema.RuleExtra{Rule: schema.RuleLimit.ID}
		}
	}
	return diags
}

// countIterations wraps the collection of every for expression of body
// in iterateFunc, so that what it iterates over is charged to the budget:
// its length times the bytes of the for expression's source. The charge
// comes before the first iteration, which matters: a for expression
// evaluates every element even after one failed.
func countIterations(body *hclsyntax.Body) {
	hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		if f, ok := n.(*hclsyntax.ForExpr); ok {
			r := f.CollExpr.Range()
			cost := max(1, f.SrcRange.End.Byte-f.SrcRange.Start.Byte)
			f.CollExpr = &hclsyntax.FunctionCallExpr{
				Name:            iterateFunc,
				Args:            []hclsyntax.Expression{f.CollExpr, &hclsyntax.LiteralValueExpr{Val: cty.NumberIntVal(int64(cost)), SrcRange: r}},
				NameRange:       r,
				OpenParenRange:  r,
				CloseParenRange: r,
			}
		}
		return nil
	})
}
