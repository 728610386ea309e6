package schema

import (
	"cmp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// SortDiagnostics returns diags ordered by file, line, column, severity
// (errors first), rule and summary, with exact duplicates (same range,
// severity, rule and summary) removed, keeping the first. Diagnostics
// without a subject come first; nil entries are dropped; the input is not
// modified. Every output is stable whatever order the checks ran in.
func SortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		if d != nil {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, compareDiagnostics)
	return slices.CompactFunc(out, func(a, b *hcl.Diagnostic) bool { return findingOf(a) == findingOf(b) })
}

// finding is what makes two diagnostics one finding: the same place,
// severity, rule and summary (a detail may differ, as when two checks
// explain one mistake).
type finding struct {
	subject
	warning       bool
	rule, summary string
}

func findingOf(d *hcl.Diagnostic) finding {
	return finding{subjectOf(d), isWarning(d), RuleOf(d), d.Summary}
}

// DedupeDiagnostics drops every diagnostic that repeats an earlier finding,
// keeping the order (a finding about a job's shared files is found once
// per node). It is SortDiagnostics' de-duplication without the sort.
func DedupeDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[finding]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		if d == nil || seen[findingOf(d)] {
			continue
		}
		seen[findingOf(d)] = true
		out = append(out, d)
	}
	return out
}

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

// isWarning: anything that is not a warning, DiagInvalid included, counts
// as an error so that it fails a run.
func isWarning(d *hcl.Diagnostic) bool { return d.Severity == hcl.DiagWarning }

func compareDiagnostics(a, b *hcl.Diagnostic) int {
	sa, sb := subjectOf(a), subjectOf(b)
	if sa.has != sb.has {
		if !sa.has {
			return -1
		}
		return 1
	}
	ra, rb := sa.rng, sb.rng
	severity := func(d *hcl.Diagnostic) int {
		if isWarning(d) {
			return 1
		}
		return 0
	}
	return cmp.Or(
		strings.Compare(ra.Filename, rb.Filename),
		cmp.Compare(ra.Start.Line, rb.Start.Line),
		cmp.Compare(ra.Start.Column, rb.Start.Column),
		cmp.Compare(severity(a), severity(b)),
		strings.Compare(RuleOf(a), RuleOf(b)),
		strings.Compare(a.Summary, b.Summary),
		// Only to make the order total, so that duplicates end up adjacent.
		cmp.Compare(ra.Start.Byte, rb.Start.Byte),
		cmp.Compare(ra.End.Line, rb.End.Line),
		cmp.Compare(ra.End.Column, rb.End.Column),
		cmp.Compare(ra.End.Byte, rb.End.Byte),
	)
}
