package diagview

import (
	"bytes"
	"encoding/json"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/plan"
)

// lintDiagnostic is plan.Diagnostic as lint --format json writes it:
// every key present ("rule": "" and "range": null when there is none),
// so that scripts can index them; plan --json omits empty keys, as its
// schema says.
type lintDiagnostic struct {
	Severity string      `json:"severity"`
	Rule     string      `json:"rule"`
	Summary  string      `json:"summary"`
	Detail   string      `json:"detail"`
	Range    *plan.Range `json:"range"`
}

func writeJSON(buf *bytes.Buffer, diags hcl.Diagnostics) error {
	out := make([]lintDiagnostic, 0, len(diags))
	for _, d := range diags {
		out = append(out, lintDiagnostic(plan.DiagnosticOf(d)))
	}
	return encodeJSON(buf, out)
}

// encodeJSON writes v indented by two spaces, without HTML escaping, ending
// in a newline. Invalid UTF-8 in strings becomes U+FFFD.
func encodeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
