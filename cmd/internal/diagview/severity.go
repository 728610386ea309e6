package diagview

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// Severity returns "warning" for a warning and "error" for everything else:
// a diagnostic of unknown severity is treated as an error so that it fails a
// run rather than slipping through.
func Severity(d *hcl.Diagnostic) string {
	if d != nil && d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// Counts returns how many diagnostics are errors and how many are warnings,
// as [Severity] classifies them. Nil entries are not counted.
func Counts(diags hcl.Diagnostics) (errors, warnings int) {
	for _, d := range diags {
		if d == nil {
			continue
		}
		if Severity(d) == "warning" {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}

// Summary says how many errors and warnings there are, such as
// "2 errors, 1 warning" or "0 errors, 0 warnings".
func Summary(diags hcl.Diagnostics) string {
	e, w := Counts(diags)
	return plural(e, "error") + ", " + plural(w, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Sort returns the diagnostics ordered by file, line, column, severity
// (errors first), rule and summary, with exact duplicates (same range,
// severity, rule and summary) removed; the first of equal diagnostics is
// kept. Diagnostics without a subject come first. Nil entries are dropped.
// The input slice is not modified.
func Sort(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		if d != nil {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, compare)
	return slices.CompactFunc(out, func(a, b *hcl.Diagnostic) bool {
		return subjectOf(a) == subjectOf(b) &&
			Severity(a) == Severity(b) &&
			schema.RuleOf(a) == schema.RuleOf(b) &&
			a.Summary == b.Summary
	})
}

// subjectOf returns the diagnostic's subject and whether it has one.
type subject struct {
	has bool
	rng hcl.Range
}

func subjectOf(d *hcl.Diagnostic) subject {
	if d.Subject == nil {
		return subject{}
	}
	return subject{has: true, rng: *d.Subject}
}

func severityRank(d *hcl.Diagnostic) int {
	if Severity(d) == "error" {
		return 0
	}
	return 1
}

func compare(a, b *hcl.Diagnostic) int {
	sa, sb := subjectOf(a), subjectOf(b)
	if sa.has != sb.has {
		if !sa.has {
			return -1
		}
		return 1
	}
	ra, rb := sa.rng, sb.rng
	if c := strings.Compare(ra.Filename, rb.Filename); c != 0 {
		return c
	}
	for _, c := range []int{
		cmp.Compare(ra.Start.Line, rb.Start.Line),
		cmp.Compare(ra.Start.Column, rb.Start.Column),
		cmp.Compare(severityRank(a), severityRank(b)),
		strings.Compare(schema.RuleOf(a), schema.RuleOf(b)),
		strings.Compare(a.Summary, b.Summary),
		// Only to make the order total, so that duplicates end up adjacent.
		cmp.Compare(ra.Start.Byte, rb.Start.Byte),
		cmp.Compare(ra.End.Line, rb.End.Line),
		cmp.Compare(ra.End.Column, rb.End.Column),
		cmp.Compare(ra.End.Byte, rb.End.Byte),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}
