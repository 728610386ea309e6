package evaluator

import (
	"github.com/stackplan/stackplan/compiler/internal/srcpos"

	"sort"

	"github.com/hashicorp/hcl/v2"
)

// locator maps byte offsets of the localrc text being evaluated to ranges
// of the input the text came from.
type locator interface {
	rng(start, end int) hcl.Range
}

// fileLocator maps the concatenated [[local|localrc]] sections of a
// local.conf back to the file.
type fileLocator struct {
	pos  *srcpos.Table
	cmap *concatMap
}

func (l fileLocator) rng(start, end int) hcl.Range {
	return l.pos.Range(l.cmap.fileOffset(start), l.cmap.fileOffset(end))
}

// fragmentLocator maps the localrc text of several fragments, joined in
// order, back to the fragment each offset came from.
type fragmentLocator struct {
	starts []int // offset of each fragment's text, ascending
	parts  []fileLocator
}

func (l *fragmentLocator) rng(start, end int) hcl.Range {
	if len(l.parts) == 0 {
		return hcl.Range{Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 1}}
	}
	// The last fragment that starts at or before start; an empty fragment
	// shares its offset with the next one, which then wins.
	i := max(0, sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > start })-1)
	base, limit := l.starts[i], end
	if i+1 < len(l.starts) {
		limit = min(end, l.starts[i+1]) // a range never spans two files
	}
	return l.parts[i].rng(start-base, max(limit, start)-base)
}

// chunkLocator maps localrc text generated from another format (see
// [Chunk]) to the source ranges that produced each chunk.
type chunkLocator struct {
	starts []int // offset of each chunk in the text, ascending
	chunks []Chunk
	pos    *srcpos.Table // of the source file, for exact chunks
}

func (l *chunkLocator) index(off int) int {
	return max(0, sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off })-1)
}

func (l *chunkLocator) at(off int, end bool) hcl.Pos {
	if len(l.chunks) == 0 {
		return hcl.Pos{Line: 1, Column: 1}
	}
	i := l.index(off)
	if end && off > 0 {
		i = l.index(off - 1) // an end offset belongs to the chunk before it
	}
	c := l.chunks[i]
	if c.Exact && l.pos != nil {
		return l.pos.Pos(c.Range.Start.Byte + max(0, min(off-l.starts[i], len(c.Text))))
	}
	if end {
		return c.Range.End
	}
	return c.Range.Start
}

func (l *chunkLocator) rng(start, end int) hcl.Range {
	if len(l.chunks) == 0 {
		return hcl.Range{Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 1}}
	}
	s := l.at(start, false)
	e := s
	if end > start {
		e = l.at(end, true)
	}
	if e.Byte < s.Byte {
		e = s
	}
	return hcl.Range{Filename: l.chunks[0].Range.Filename, Start: s, End: e}
}
