package diagview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// FuzzWrite renders one diagnostic with an arbitrary range over arbitrary
// file bytes, next to a well-formed one, in every format. The property:
// Write never panics or fails, the JSON formats are valid JSON, and the
// line formats give one line per diagnostic.
func FuzzWrite(f *testing.F) {
	f.Add([]byte("[[local|localrc]]\nenable_plugin foo https://x\n"), "local.conf", "summary", "detail",
		2, 15, 32, 2, 18, 35, false)
	f.Add([]byte{}, "", "", "", 0, 0, 0, 0, 0, 0, true)
	f.Add([]byte("a\r\nb\r\n"), "crlf", "s\nt", "%,:", 2, 1, 3, 1, 1, 0, false)
	f.Fuzz(func(t *testing.T, src []byte, name, summary, detail string,
		startLine, startCol, startByte, endLine, endCol, endByte int, warning bool) {
		sev := hcl.DiagError
		if warning {
			sev = hcl.DiagWarning
		}
		diags := hcl.Diagnostics{
			diag(sev, "fuzz", summary, detail, &hcl.Range{
				Filename: name,
				Start:    hcl.Pos{Line: startLine, Column: startCol, Byte: startByte},
				End:      hcl.Pos{Line: endLine, Column: endCol, Byte: endByte},
			}),
			diag(hcl.DiagWarning, "", "fixed", "", &hcl.Range{
				Filename: name,
				Start:    hcl.Pos{Line: 1, Column: 1, Byte: 0},
				End:      hcl.Pos{Line: 1, Column: 1, Byte: 0},
			}),
		}
		files := map[string][]byte{name: src}
		n := len(Sort(diags))
		for _, format := range Formats() {
			for _, opts := range []Options{{}, {Color: true, Width: 10}} {
				var buf bytes.Buffer
				if err := render(&buf, format, diags, files, opts); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				out := buf.Bytes()
				switch format {
				case JSON, SARIF:
					if !json.Valid(out) {
						t.Fatalf("%s: invalid JSON:\n%s", format, out)
					}
				case Compact, GitHub:
					if got := strings.Count(string(out), "\n"); got != n {
						t.Fatalf("%s: %d lines for %d diagnostics:\n%q", format, got, n, out)
					}
				}
			}
		}
	})
}
