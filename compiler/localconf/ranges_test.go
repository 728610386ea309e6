package localconf

import (
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// posProblem explains why p is not a position of src, or returns "".
// Columns count characters from 1, an invalid UTF-8 byte counting as one,
// as the package's position table does.
func posProblem(src []byte, p hcl.Pos) string {
	if p.Byte < 0 || p.Byte > len(src) {
		return fmt.Sprintf("byte %d outside [0,%d]", p.Byte, len(src))
	}
	line, start := 1, 0
	for i := 0; i < p.Byte; i++ {
		if src[i] == '\n' {
			line++
			start = i + 1
		}
	}
	col := utf8.RuneCount(src[start:p.Byte]) + 1
	if p.Line != line || p.Column != col {
		return fmt.Sprintf("byte %d is line %d column %d, not %d:%d", p.Byte, line, col, p.Line, p.Column)
	}
	return ""
}

func rangeProblem(filename string, src []byte, r hcl.Range) string {
	if r.Filename != filename {
		return fmt.Sprintf("file %q, want %q", r.Filename, filename)
	}
	if r.Start.Byte > r.End.Byte {
		return fmt.Sprintf("start %d after end %d", r.Start.Byte, r.End.Byte)
	}
	if s := posProblem(src, r.Start); s != "" {
		return "start: " + s
	}
	if s := posProblem(src, r.End); s != "" {
		return "end: " + s
	}
	return ""
}

// rangeProblems checks every range Parse returned: diagnostics' subjects
// and contexts, plugins and their values, assignments, localrc spans and
// meta-sections. An empty span (no text) may have the zero range.
func rangeProblems(filename string, src []byte, cfg *schema.Config, diags hcl.Diagnostics) []string {
	var out []string
	check := func(what string, r hcl.Range) {
		if s := rangeProblem(filename, src, r); s != "" {
			out = append(out, what+": "+s)
		}
	}
	for i, d := range diags {
		if d.Subject == nil {
			out = append(out, fmt.Sprintf("diag %d (%s) has no subject", i, d.Summary))
			continue
		}
		check(fmt.Sprintf("diag %d (%s) subject", i, d.Summary), *d.Subject)
		if d.Context != nil {
			check(fmt.Sprintf("diag %d context", i), *d.Context)
		}
	}
	if cfg == nil {
		return out
	}
	for i, p := range cfg.Plugins {
		check(fmt.Sprintf("plugin %d range", i), p.Range)
		for _, v := range []struct {
			n string
			v schema.Value
		}{{"name", p.Name}, {"url", p.URL}, {"ref", p.Ref}, {"dir", p.Dir}} {
			check(fmt.Sprintf("plugin %d %s", i, v.n), v.v.Range)
		}
		for j, v := range p.Extra {
			check(fmt.Sprintf("plugin %d extra %d", i, j), v.Range)
		}
		for j, v := range p.Requires {
			check(fmt.Sprintf("plugin %d requires %d", i, j), v.Range)
		}
	}
	for i, a := range cfg.Assignments {
		check(fmt.Sprintf("assignment %d (%s) range", i, a.Name), a.Range)
		check(fmt.Sprintf("assignment %d (%s) value", i, a.Name), a.Value.Range)
	}
	for i, s := range cfg.Localrc {
		if s.Text == "" && s.Range == (hcl.Range{}) {
			continue
		}
		check(fmt.Sprintf("localrc span %d", i), s.Range)
	}
	for i, s := range cfg.Sections {
		check(fmt.Sprintf("section %d header", i), s.Header)
		if s.Body.Text != "" || s.Body.Range != (hcl.Range{}) {
			check(fmt.Sprintf("section %d body", i), s.Body.Range)
		}
	}
	return out
}
