package localconf

import (
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// posTable turns byte offsets of one input file into hcl positions. Columns
// count characters, as HCL's own positions do; an invalid UTF-8 byte counts
// as one.
type posTable struct {
	filename   string
	src        []byte
	lineStarts []int
	// The last column computed, so that positions visited left to right on
	// one long line cost the distance from the previous one, not from the
	// line start (a 1 MB line of 250,000 statements was quadratic).
	lastOff, lastCol int
}

func newPosTable(filename string, src []byte) *posTable {
	t := &posTable{filename: filename, src: src, lineStarts: []int{0}}
	for i, b := range src {
		if b == '\n' {
			t.lineStarts = append(t.lineStarts, i+1)
		}
	}
	return t
}

func (t *posTable) pos(off int) hcl.Pos {
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
func (t *posTable) lineEnd(line int) int {
	if line+1 < len(t.lineStarts) {
		return t.lineStarts[line+1] - 1
	}
	return len(t.src)
}

func (t *posTable) rng(start, end int) hcl.Range {
	return hcl.Range{Filename: t.filename, Start: t.pos(start), End: t.pos(max(start, end))}
}

// lineRange is the range of a whole line, without its line terminator.
func (t *posTable) lineRange(l line) hcl.Range {
	return t.rng(l.start, l.start+len(l.text))
}

// concatMap maps offsets in the concatenated localrc text (what DevStack
// writes to .localrc.auto) back to offsets in the input file.
type concatMap struct {
	concatStarts []int // start of each concatenated line, ascending
	fileStarts   []int // where that line starts in the input file
	lineLens     []int
}

// concat joins the lines as awk's print does (each followed by "\n") and
// remembers where each came from.
func concat(lines []line) (string, *concatMap) {
	m := &concatMap{}
	n := 0
	for _, l := range lines {
		n += len(l.text) + 1
	}
	buf := make([]byte, 0, n)
	for _, l := range lines {
		m.concatStarts = append(m.concatStarts, len(buf))
		m.fileStarts = append(m.fileStarts, l.start)
		m.lineLens = append(m.lineLens, len(l.text))
		buf = append(buf, l.text...)
		buf = append(buf, '\n')
	}
	return string(buf), m
}

// fileOffset maps an offset of the concatenated text to the input file. The
// newline awk added after a line maps to the end of that line.
func (m *concatMap) fileOffset(off int) int {
	if len(m.concatStarts) == 0 {
		return 0
	}
	i := sort.Search(len(m.concatStarts), func(i int) bool { return m.concatStarts[i] > off }) - 1
	i = max(i, 0)
	return m.fileStarts[i] + min(off-m.concatStarts[i], m.lineLens[i])
}
