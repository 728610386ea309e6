package localconf

import (
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/internal/srcpos"
)

// line is one line of the input as awk sees it (see evaluator.Line).
type line = evaluator.Line

// splitLines cuts src into lines as awk does (see evaluator.SplitLines).
func splitLines(src []byte) []line { return evaluator.SplitLines(src) }

// isHeader reports whether DevStack's awk takes text for a meta-section
// header: the extended regex ^\[\[.+\|.*\]\] anywhere on the line. It needs
// "[[" at column 1, at least one character, a "|" and a later "]]"; the end
// is not anchored, so text may follow.
func isHeader(text string) bool {
	if !strings.HasPrefix(text, "[[") {
		return false
	}
	// The leftmost "|" after at least one character leaves the most room
	// for a "]]" after it.
	if len(text) < 4 {
		return false
	}
	bar := strings.IndexByte(text[3:], '|')
	if bar < 0 {
		return false
	}
	return strings.Contains(text[3+bar+1:], "]]")
}

var stripBrackets = strings.NewReplacer("[", "", "]", "")

// headerFields derives group and file from a header line as awk does: take
// the first whitespace-delimited word ($1), delete every "[" and "]", split
// on "|"; fields after the second are ignored.
func headerFields(text string) (group, file string) {
	word := text
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		word = text[:i]
	}
	word = stripBrackets.Replace(word)
	parts := strings.Split(word, "|")
	group = parts[0]
	if len(parts) > 1 {
		file = parts[1]
	}
	return group, file
}

// section is one meta-section: its header line and the lines up to the
// next header.
type section struct {
	group, file string
	header      line
	body        []line
}

// document is a local.conf split into meta-sections.
type document struct {
	lines    []line
	preamble []line // lines before the first header, which DevStack ignores
	sections []section
}

func split(src []byte) *document {
	doc := &document{lines: splitLines(src)}
	var cur *section
	for _, l := range doc.lines {
		if isHeader(l.Text) {
			g, f := headerFields(l.Text)
			doc.sections = append(doc.sections, section{group: g, file: f, header: l})
			cur = &doc.sections[len(doc.sections)-1]
			continue
		}
		if cur == nil {
			doc.preamble = append(doc.preamble, l)
		} else {
			cur.body = append(cur.body, l)
		}
	}
	return doc
}

// isLocalrc reports whether DevStack extracts this section into .localrc.auto.
func (s *section) isLocalrc() bool { return s.group == "local" && s.file == "localrc" }

// lineRange is the range of a whole line, without its line terminator.
func lineRange(t *srcpos.Table, l line) hcl.Range {
	return t.Range(l.Start, l.Start+len(l.Text))
}
