// Package srcpos turns byte offsets of an input file into hcl positions,
// for the front-ends that read files HCL does not parse (local.conf, Zuul
// YAML).
package srcpos

import (
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Table turns byte offsets of one input file into hcl positions. Columns
// count characters, as HCL's own positions do; an invalid UTF-8 byte counts
// as one.
type Table struct {
	filename   string
	src        []byte
	lineStarts []int
	// The last column computed, so that positions visited left to right on
	// one long line cost the distance from the previous one, not from the
	// line start (a 1 MB line of 250,000 statements was quadratic).
	lastOff, lastCol int
}

// New indexes the lines of src.
func New(filename string, src []byte) *Table {
	t := &Table{filename: filename, src: src, lineStarts: []int{0}}
	for i, b := range src {
		if b == '\n' {
			t.lineStarts = append(t.lineStarts, i+1)
		}
	}
	return t
}

// Pos is the position of byte offset off, clamped to the file.
func (t *Table) Pos(off int) hcl.Pos {
	off = max(0, min(off, len(t.src)))
	line := sort.Search(len(t.lineStarts), func(i int) bool { return t.lineStarts[i] > off }) - 1
	start := t.lineStarts[line]
	var col int
	// RuneCount is additive over a split at a rune start byte (no sequence
	// spans one), so the column can be counted from lastOff, forwards or
	// backwards, when both offsets are on this line at rune starts.
	if t.lastOff > start && t.lastOff < len(t.src) && utf8.RuneStart(t.src[t.lastOff]) &&
		(off == len(t.src) || utf8.RuneStart(t.src[off])) && t.lastOff <= t.lineEnd(line) {
		if off >= t.lastOff {
			col = t.lastCol + utf8.RuneCount(t.src[t.lastOff:off])
		} else {
			col = t.lastCol - utf8.RuneCount(t.src[off:t.lastOff])
		}
	} else {
		col = utf8.RuneCount(t.src[start:off]) + 1
	}
	t.lastOff, t.lastCol = off, col
	return hcl.Pos{Line: line + 1, Column: col, Byte: off}
}

// lineEnd is the offset of the newline ending line (0-based), or len(src).
func (t *Table) lineEnd(line int) int {
	if line+1 < len(t.lineStarts) {
		return t.lineStarts[line+1] - 1
	}
	return len(t.src)
}

// Range is the range from start to end (end clamped to at least start).
func (t *Table) Range(start, end int) hcl.Range {
	return hcl.Range{Filename: t.filename, Start: t.Pos(start), End: t.Pos(max(start, end))}
}

// LineStart is the offset of a 1-based line, clamped to the file.
func (t *Table) LineStart(line int) int {
	if line < 1 {
		return 0
	}
	if line > len(t.lineStarts) {
		return len(t.src)
	}
	return t.lineStarts[line-1]
}

// LineEndOf is the offset of the newline ending the line holding off.
func (t *Table) LineEndOf(off int) int {
	off = max(0, min(off, len(t.src)))
	for i := off; i < len(t.src); i++ {
		if t.src[i] == '\n' {
			return i
		}
	}
	return len(t.src)
}

// OffsetOf converts a 1-based line and character column to a byte offset.
func (t *Table) OffsetOf(line, col int) int {
	off := t.LineStart(line)
	for c := 1; c < col && off < len(t.src) && t.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(t.src[off:])
		off += size
	}
	return off
}
