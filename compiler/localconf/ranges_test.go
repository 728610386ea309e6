package localconf

import (
	"github.com/stackplan/stackplan/compiler/internal/srcpos"

	"bytes"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// posIndex knows the line and column of every byte offset of one input,
// computed once in a single pass (checking each position from its line
// start would be quadratic on the long-line inputs of the hostile tests).
// Columns count characters from 1, an invalid UTF-8 byte counting as one,
// as RuneCount does from the line start.
type posIndex struct {
	src       []byte
	line, col []int // at each rune start byte, and at len(src)
	runeStart []int // the last rune start at or before each offset
}

func newPosIndex(src []byte) *posIndex {
	n := len(src) + 1
	x := &posIndex{src: src, line: make([]int, n), col: make([]int, n), runeStart: make([]int, n)}
	line, col, rs := 1, 1, 0
	for i := range n {
		// Segments start at rune start bytes, and at every line start.
		if i == 0 || i == len(src) || utf8.RuneStart(src[i]) || src[i-1] == '\n' {
			if i > rs {
				// RuneCount is additive over splits at rune start bytes.
				col += utf8.RuneCount(src[rs:i])
				if src[rs] == '\n' {
					line, col = line+1, 1
				}
			}
			rs = i
			x.line[i], x.col[i] = line, col
		}
		x.runeStart[i] = rs
	}
	return x
}

// posProblem explains why p is not a position of the input, or returns "".
func (x *posIndex) posProblem(p hcl.Pos) string {
	if p.Byte < 0 || p.Byte > len(x.src) {
		return fmt.Sprintf("byte %d outside [0,%d]", p.Byte, len(x.src))
	}
	rs := x.runeStart[p.Byte]
	line, col := x.line[rs], x.col[rs]+utf8.RuneCount(x.src[rs:p.Byte])
	if p.Line != line || p.Column != col {
		return fmt.Sprintf("byte %d is line %d column %d, not %d:%d", p.Byte, line, col, p.Line, p.Column)
	}
	return ""
}

func rangeProblem(filename string, x *posIndex, r hcl.Range) string {
	if r.Filename != filename {
		return fmt.Sprintf("file %q, want %q", r.Filename, filename)
	}
	if r.Start.Byte > r.End.Byte {
		return fmt.Sprintf("start %d after end %d", r.Start.Byte, r.End.Byte)
	}
	if s := x.posProblem(r.Start); s != "" {
		return "start: " + s
	}
	if s := x.posProblem(r.End); s != "" {
		return "end: " + s
	}
	return ""
}

// rangeProblems checks every range Parse returned: diagnostics' subjects
// and contexts, plugins and their values, assignments, localrc spans and
// meta-sections. An empty span (no text) may have the zero range.
func rangeProblems(filename string, src []byte, cfg *schema.Config, diags hcl.Diagnostics) []string {
	var out []string
	x := newPosIndex(src)
	check := func(what string, r hcl.Range) {
		if s := rangeProblem(filename, x, r); s != "" {
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

// TestPosIndex checks the test's own position oracle against the plain
// definition, and the package's position table against both.
func TestPosIndex(t *testing.T) {
	src := []byte("\x80ab\né\xffx\xc3\n\x80\n\xe2\x82z\n\xa9")
	x := newPosIndex(src)
	table := srcpos.New("f", src)
	for off := 0; off <= len(src); off++ {
		start := bytes.LastIndexByte(src[:off], '\n') + 1
		want := hcl.Pos{Line: bytes.Count(src[:off], []byte("\n")) + 1, Column: utf8.RuneCount(src[start:off]) + 1, Byte: off}
		if s := x.posProblem(want); s != "" {
			t.Errorf("oracle at %d: %s", off, s)
		}
		if got := table.Pos(off); got != want {
			t.Errorf("srcpos.Table.Pos(%d) = %+v, want %+v", off, got, want)
		}
	}
	// Backwards and forwards on one line, through the column cache.
	for _, off := range []int{13, 5, 10, 4, 14, 0, 8, 6, 1} {
		start := bytes.LastIndexByte(src[:off], '\n') + 1
		if got := table.Pos(off).Column; got != utf8.RuneCount(src[start:off])+1 {
			t.Errorf("pos(%d).Column = %d after other positions", off, got)
		}
	}
}
