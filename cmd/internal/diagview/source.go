package diagview

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// source is one file's bytes with the offset of each line's start, so that
// ranges can be placed on lines without trusting them.
type source struct {
	src        []byte
	lineStarts []int // lineStarts[i] is the byte offset where line i+1 starts
}

func newSource(src []byte) *source {
	starts := []int{0}
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &source{src: src, lineStarts: starts}
}

// bounds returns the byte offsets of line n's text, without its "\n" or
// "\r\n" terminator. n must be between 1 and len(lineStarts).
func (s *source) bounds(n int) (start, end int) {
	start = s.lineStarts[n-1]
	end = len(s.src)
	if n < len(s.lineStarts) {
		end = s.lineStarts[n] - 1
	}
	if end > start && s.src[end-1] == '\r' {
		end--
	}
	return start, end
}

// lineOf returns the line number holding byte offset off (0 <= off <= len(src)).
func (s *source) lineOf(off int) int {
	return sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > off })
}

// span is where a range falls on one line of a source.
type span struct {
	line       int // 1-based line number
	start, end int // the line's text, as byte offsets into the source
	from, to   int // the underlined part, start <= from <= to <= end
}

// locate places r's start on a line of s and says which part of that line
// the range covers (up to the line's end when the range goes on past it).
// It prefers the byte offsets and falls back to line and column when the
// offsets do not agree with the line; ok is false when neither fits.
func (s *source) locate(r hcl.Range) (sp span, ok bool) {
	n := r.Start.Line
	if n < 1 || n > len(s.lineStarts) {
		return span{}, false
	}
	sp.line = n
	sp.start, sp.end = s.bounds(n)
	byBytes := r.Start.Byte >= 0 && r.Start.Byte <= len(s.src) && s.lineOf(r.Start.Byte) == n
	if byBytes {
		sp.from = clamp(r.Start.Byte, sp.start, sp.end)
		switch {
		case r.End.Byte < sp.from || r.End.Byte > len(s.src):
			// An end before the start or past the file: show a caret only,
			// unless the end line says the range goes on.
			sp.to = sp.from
			if r.End.Line > n {
				sp.to = sp.end
			}
		default:
			sp.to = clamp(r.End.Byte, sp.from, sp.end)
		}
		return sp, true
	}
	sp.from = s.columnOffset(sp.start, sp.end, r.Start.Column)
	switch {
	case r.End.Line > n:
		sp.to = sp.end
	case r.End.Line == n:
		sp.to = max(sp.from, s.columnOffset(sp.start, sp.end, r.End.Column))
	default:
		sp.to = sp.from
	}
	return sp, true
}

// columnOffset returns the byte offset of the character at 1-based column
// col of the line text src[start:end], clamped to the line.
func (s *source) columnOffset(start, end, col int) int {
	off := start
	for c := 1; c < col && off < end; c++ {
		_, size := decodeRune(s.src[off:end])
		off += size
	}
	return off
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// sources builds the source of each file once per Write.
type sources struct {
	files map[string][]byte
	cache map[string]*source
}

func (ss *sources) get(name string) *source {
	if s, ok := ss.cache[name]; ok {
		return s
	}
	var s *source
	if b, ok := ss.files[name]; ok {
		s = newSource(b)
	}
	if ss.cache == nil {
		ss.cache = map[string]*source{}
	}
	ss.cache[name] = s
	return s
}
