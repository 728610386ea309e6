package zuul

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// DefaultBranch is the branch a job is planned for when Options.Branch is
// empty.
const DefaultBranch = "master"

// branchMatcher is a job's branches: attribute. Zuul applies a definition
// of a job when any of its regular expressions matches the branch at its
// start (RE2's match, as Zuul's re2 does), or, for one marked negate: true,
// when it does not.
type branchMatcher struct {
	res    []*regexp.Regexp
	negate []bool
}

func (m *branchMatcher) matches(branch string) bool {
	if m == nil {
		return true
	}
	for i, re := range m.res {
		if re.MatchString(branch) != m.negate[i] {
			return true
		}
	}
	return false
}

// parseBranches reads a branches: attribute: a regular expression, a list
// of them, or either given as a mapping {regex: R, negate: BOOL}. An
// expression RE2 refuses (Zuul refuses it too, for example a look-ahead)
// matches nothing, with a zuul-variant warning.
func parseBranches(n *node) (*branchMatcher, hcl.Diagnostics) {
	m := &branchMatcher{}
	var diags hcl.Diagnostics
	items := []*node{n}
	if n.kind == sequenceKind {
		items = n.items
	}
	for _, it := range items {
		expr, negate := it, false
		if it.kind == mappingKind {
			expr = it.get("regex")
			negate = isTrue(it.get("negate"))
		}
		if expr == nil || expr.kind != scalarKind || expr.isNull() {
			diags = append(diags, schema.RuleZuulYAML.Diag("a branch matcher is a regular expression, or a mapping with regex: and negate:", "", it.rng))
			continue
		}
		re, err := regexp.Compile(`^(?:` + expr.text + `)`)
		if err != nil {
			diags = append(diags, schema.RuleZuulVariant.Diag(fmt.Sprintf("branch matcher %q is not a regular expression Zuul accepts", expr.text),
				fmt.Sprintf("Zuul reads branch matchers with RE2, which refuses it (%v); stackplan treats it as matching no branch.", err), expr.rng))
			continue
		}
		m.res = append(m.res, re)
		m.negate = append(m.negate, negate)
	}
	return m, diags
}
