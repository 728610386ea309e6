package schema

import (
	"cmp"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// SortDiagnostics orders diagnostics by file, position, severity (errors
// first), rule and summary, and drops exact duplicates, so every output is
// stable whatever order the checks ran in.
func SortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := slices.Clone(diags)
	key := func(d *hcl.Diagnostic) (string, int, int) {
		if d.Subject == nil {
			return "", 0, 0
		}
		return d.Subject.Filename, d.Subject.Start.Byte, d.Subject.End.Byte
	}
	compare := func(a, b *hcl.Diagnostic) int {
		af, as, ae := key(a)
		bf, bs, be := key(b)
		return cmp.Or(
			cmp.Compare(af, bf), cmp.Compare(as, bs), cmp.Compare(ae, be),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(RuleOf(a), RuleOf(b)),
			cmp.Compare(a.Summary, b.Summary),
			cmp.Compare(a.Detail, b.Detail),
		)
	}
	slices.SortStableFunc(out, compare)
	return slices.CompactFunc(out, func(a, b *hcl.Diagnostic) bool { return compare(a, b) == 0 })
}
