package evaluator

import (
	"sort"
)

// concatMap maps offsets in the concatenated localrc text (what DevStack
// writes to .localrc.auto) back to offsets in the input file.
type concatMap struct {
	concatStarts []int // start of each concatenated line, ascending
	fileStarts   []int // where that line starts in the input file
	lineLens     []int
}

// concat joins the lines as awk's print does (each followed by "\n") and
// remembers where each came from.
func concat(lines []Line) (string, *concatMap) {
	m := &concatMap{}
	n := 0
	for _, l := range lines {
		n += len(l.Text) + 1
	}
	buf := make([]byte, 0, n)
	for _, l := range lines {
		m.concatStarts = append(m.concatStarts, len(buf))
		m.fileStarts = append(m.fileStarts, l.Start)
		m.lineLens = append(m.lineLens, len(l.Text))
		buf = append(buf, l.Text...)
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
