package diagview

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// escapeData escapes a workflow command's message the way the Actions
// runner unescapes it.
var escapeData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")

// escapeProperty escapes a workflow command's property value, which also
// may not hold the ":" and "," that delimit properties.
var escapeProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")

// writeGitHub writes one "::error" or "::warning" workflow command per
// diagnostic:
//
//	::error file=F,line=L,col=C,endLine=EL,endColumn=EC,title=RULE::summary%0A%0Adetail
//
// Properties the subject does not give are left out. GitHub's columns are
// inclusive, so endColumn is the last character's column, and it is given
// only when the range starts and ends on one line (GitHub ignores columns
// otherwise).
func writeGitHub(buf *bytes.Buffer, diags hcl.Diagnostics) {
	for _, d := range diags {
		var props []string
		add := func(k, v string) { props = append(props, k+"="+escapeProperty.Replace(v)) }
		if r := d.Subject; r != nil && r.Filename != "" {
			add("file", r.Filename)
			if r.Start.Line >= 1 {
				add("line", strconv.Itoa(r.Start.Line))
				col := max(r.Start.Column, 1)
				add("col", strconv.Itoa(col))
				switch {
				case r.End.Line == r.Start.Line:
					add("endLine", strconv.Itoa(r.End.Line))
					add("endColumn", strconv.Itoa(max(r.End.Column-1, col)))
				case r.End.Line > r.Start.Line:
					add("endLine", strconv.Itoa(r.End.Line))
				}
			}
		}
		if rule := schema.RuleOf(d); rule != "" {
			add("title", rule)
		}
		buf.WriteString("::" + Severity(d))
		if len(props) > 0 {
			buf.WriteString(" " + strings.Join(props, ","))
		}
		buf.WriteString("::" + escapeData.Replace(message(d)) + "\n")
	}
}
