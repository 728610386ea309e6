package diagview

import (
	"fmt"

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

// Sort orders diagnostics and drops exact duplicates; see
// schema.SortDiagnostics, which the compiler uses too.
func Sort(diags hcl.Diagnostics) hcl.Diagnostics { return schema.SortDiagnostics(diags) }
