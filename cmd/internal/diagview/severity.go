package diagview

import (
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

// Sort orders diagnostics and drops exact duplicates; see
// schema.SortDiagnostics, which the compiler uses too.
func Sort(diags hcl.Diagnostics) hcl.Diagnostics { return schema.SortDiagnostics(diags) }
