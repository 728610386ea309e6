package diagview

import (
	"bytes"
	"encoding/json"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	File  string  `json:"file"`
	Start jsonPos `json:"start"`
	End   jsonPos `json:"end"`
}

type jsonDiag struct {
	Severity string     `json:"severity"`
	Rule     string     `json:"rule"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *jsonRange `json:"range"`
}

func writeJSON(buf *bytes.Buffer, diags hcl.Diagnostics) error {
	out := make([]jsonDiag, 0, len(diags))
	for _, d := range diags {
		jd := jsonDiag{
			Severity: Severity(d),
			Rule:     schema.RuleOf(d),
			Summary:  d.Summary,
			Detail:   d.Detail,
		}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{
				File:  r.Filename,
				Start: jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:   jsonPos{r.End.Line, r.End.Column, r.End.Byte},
			}
		}
		out = append(out, jd)
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
