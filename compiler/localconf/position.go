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
	return hcl.Pos{Line: line + 1, Column: utf8.RuneCount(t.src[start:off]) + 1, Byte: off}
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
