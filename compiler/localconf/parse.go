package localconf

import (
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/internal/srcpos"
	"github.com/stackplan/stackplan/plan"

	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/internal/suggest"
	"github.com/stackplan/stackplan/schema"
)

// MaxSize is the largest input accepted. Real local.conf files are a few
// kilobytes; the limit keeps hostile input from exhausting memory.
const MaxSize = 16 << 20

// Groups are the meta-section groups DevStack consumes: local, then the
// merged groups in the order stack.sh merges them.
var Groups = append([]string{plan.GroupLocal}, plan.GroupNames()...)

// Parse reads one local.conf (or legacy localrc) into a Config.
func Parse(filename string, src []byte, opts evaluator.Options) (*schema.Config, hcl.Diagnostics) {
	return ParseFragments([]evaluator.Fragment{{Name: filename, Src: src}}, opts)
}

// ParseFragments reads several local.conf fragments as the one local.conf
// their concatenation makes: the localrc sections of all of them joined in
// order and sourced as one script, the meta-sections of all of them merged
// in order. Each diagnostic points into the fragment that caused it, so a
// plugin enabled in two fragments names both places. opts.Kind, when set,
// applies to every fragment.
func ParseFragments(frags []evaluator.Fragment, opts evaluator.Options) (*schema.Config, hcl.Diagnostics) {
	dest := opts.Dest
	if dest == "" {
		dest = evaluator.DefaultDest
	}
	cfg := &schema.Config{Dest: dest}
	var diags hcl.Diagnostics
	var sources evaluator.Sources
	for _, f := range frags {
		lines, pos, d := readFragment(cfg, f, opts)
		diags = append(diags, d...)
		sources.Add(pos, lines)
	}
	if opts.Localrc != nil {
		diags = besideLocalrc(cfg, *opts.Localrc, diags)
		lines, pos, d := readFragment(cfg, *opts.Localrc, evaluator.Options{Kind: schema.KindLocalrc})
		diags = append(diags, d...)
		sources.Add(pos, lines)
	}
	return cfg, append(diags, evaluator.Evaluate(cfg, &sources, opts)...)
}

// readFragment records one fragment in cfg (its input, localrc spans and
// meta-sections) and returns its localrc lines for evaluation.
func readFragment(cfg *schema.Config, f evaluator.Fragment, opts evaluator.Options) ([]line, *srcpos.Table, hcl.Diagnostics) {
	filename, src := f.Name, f.Src
	pos := srcpos.New(filename, src)
	kind := opts.Kind
	if kind == "" {
		kind = DetectKind(filename, src)
	}
	cfg.Inputs = append(cfg.Inputs, schema.Input{Path: filename, Kind: kind, Bytes: src})
	var diags hcl.Diagnostics
	if d := checkBytes(src, pos); d != nil {
		diags = append(diags, d)
		if d.Severity == hcl.DiagError {
			return nil, pos, diags
		}
	}

	var lines []line
	if kind == schema.KindLocalrc {
		lines = splitLines(src)
		if len(lines) > 0 {
			cfg.Localrc = append(cfg.Localrc, spanOf(src, pos, lines))
		}
	} else {
		doc := split(src)
		diags = append(diags, checkHeaders(doc, pos)...)
		for i := range doc.sections {
			s := &doc.sections[i]
			switch {
			case s.isLocalrc() && opts.Localrc != nil:
				// DevStack sources the legacy localrc instead (besideLocalrc).
			case s.isLocalrc():
				lines = append(lines, s.body...)
				// An empty section sources nothing: it has no span,
				// hence no range for the localrc step to point at.
				if len(s.body) > 0 {
					cfg.Localrc = append(cfg.Localrc, spanOf(src, pos, s.body))
				}
			case plan.IsGroup(s.group):
				cfg.Sections = append(cfg.Sections, schema.MetaSection{
					Group: s.group, File: s.file, Header: lineRange(pos, s.header), Body: spanOf(src, pos, s.body),
				})
			}
		}
	}
	return lines, pos, diags
}

// DetectKind tells a legacy localrc from a local.conf: a file with no
// meta-section header whose name says localrc is sourced whole, as
// DevStack sources $TOP_DIR/localrc.
func DetectKind(filename string, src []byte) string {
	base := strings.ToLower(filepath.Base(filename))
	if strings.Contains(base, "localrc") && !hasHeader(src) {
		return schema.KindLocalrc
	}
	return schema.KindLocalConf
}

func hasHeader(src []byte) bool {
	for _, l := range splitLines(src) {
		if isHeader(l.Text) {
			return true
		}
	}
	return false
}

func spanOf(src []byte, pos *srcpos.Table, lines []line) schema.Span {
	if len(lines) == 0 {
		return schema.Span{}
	}
	first, last := lines[0], lines[len(lines)-1]
	end := last.Start + len(last.Text)
	return schema.Span{Text: string(src[first.Start:end]), Range: pos.Range(first.Start, end)}
}

// checkBytes refuses what cannot be a text configuration.
func checkBytes(src []byte, pos *srcpos.Table) *hcl.Diagnostic {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return schema.RuleInput.Diag("the file holds NUL bytes: binary data, not a configuration",
			"A local.conf is text. Nothing in this file is used.", pos.Range(i, i+1))
	}
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return schema.RuleInput.DiagSeverity(hcl.DiagWarning, "the file is not valid UTF-8",
			"bash reads the bytes as they are, but values with invalid UTF-8 are likely a mistake (a file saved in another encoding).", pos.Range(off, off+1))
	}
	return nil
}

// checkHeaders reports what DevStack's awk does silently with headers.
func checkHeaders(doc *document, pos *srcpos.Table) hcl.Diagnostics {
	var diags hcl.Diagnostics
	crlf := false
	for _, l := range doc.lines {
		if strings.HasSuffix(l.Text, "\r") {
			crlf = true
			diags = append(diags, schema.RuleCRLF.Diag("the file has CRLF (Windows) line endings",
				"DevStack's awk keeps the \\r, so no header matches: [[local|localrc]] becomes file \"localrc\\r\" and the whole localrc is silently ignored. Convert the file to LF line endings (dos2unix).",
				pos.Range(l.Start+len(l.Text)-1, l.Start+len(l.Text))))
			break
		}
	}
	if len(doc.sections) == 0 {
		if hasContent(doc.preamble) {
			diags = append(diags, schema.RuleNoLocalrc.Diag("no meta-section header: DevStack ignores this whole file",
				"DevStack reads only [[group|file]] sections of local.conf. Put the settings under a [[local|localrc]] header, or name the file localrc if it is a legacy localrc.",
				lineRange(pos, firstContent(doc.preamble))))
		}
		return diags
	}
	if hasContent(doc.preamble) {
		n := 0
		for _, l := range doc.preamble {
			if isContent(l.Text) {
				n++
			}
		}
		diags = append(diags, schema.RuleContentBeforeHeader.Diag(
			fmt.Sprintf("%d line(s) before the first meta-section header are ignored", n),
			"DevStack reads only the lines inside [[group|file]] sections. Move these lines under [[local|localrc]].",
			lineRange(pos, firstContent(doc.preamble))))
	}
	sawLocalrc := false
	var prev *section
	for i := range doc.sections {
		s := &doc.sections[i]
		rng := lineRange(pos, s.header)
		switch {
		case s.group == "":
			diags = append(diags, emptyGroupHeader(s, prev, pos))
		case trailingText(s.header.Text) != "":
			diags = append(diags, trailingTextHeader(s, rng))
		case crlf && strings.HasSuffix(s.file, "\r"):
			// reported once as crlf
		case !slices.Contains(Groups, s.group):
			detail := fmt.Sprintf("DevStack merges only the groups %s and silently ignores [[%s|...]].", strings.Join(plan.GroupNames(), ", "), s.group)
			switch s.group {
			case "pre-install", "install", "post-install":
				detail += " " + s.group + " is a plugin phase, not a local.conf group."
			}
			if h := suggest.Hint(s.group, Groups); h != "" {
				detail = h + " " + detail
			}
			diags = append(diags, schema.RuleUnknownSection.Diag(fmt.Sprintf("unknown meta-section group %q", s.group), detail, rng))
		case s.group == "local" && s.file != "localrc":
			detail := "DevStack extracts only [[local|localrc]]; this section is silently ignored."
			if h := suggest.Hint(s.file, []string{"localrc"}); h != "" {
				detail = h + " " + detail
			}
			diags = append(diags, schema.RuleUnknownSection.Diag(fmt.Sprintf("unknown [[local|...]] file %q", s.file), detail, rng))
		case s.group != "local" && s.file == "":
			diags = append(diags, schema.RuleMalformedHeader.Diag(fmt.Sprintf("[[%s|]] names no file", s.group),
				"DevStack's awk reads an empty file name here (it splits the header at blanks, so a blank after the bar ends the name), and the shell's word splitting drops the empty name: this section is skipped without a word; the later files of the group are still merged.", rng))
		}
		if s.isLocalrc() {
			sawLocalrc = true
		}
		diags = append(diags, nearHeadersIn(s.body, pos)...)
		prev = s
	}
	diags = append(diags, nearHeadersIn(doc.preamble, pos)...)
	if !sawLocalrc && !crlf {
		diags = append(diags, schema.RuleNoLocalrc.Diag("no [[local|localrc]] section",
			"Without it DevStack enables no plugin and changes no variable from this file.", lineRange(pos, doc.sections[0].header)))
	}
	return diags
}

// emptyGroupHeader reports a header-shaped line whose first word holds no
// group, such as "[[ local | localrc ]]" or the bash test
// "[[ $A == 1 ]] || [[ $B == 2 ]]": it ends the previous section.
func emptyGroupHeader(s *section, prev *section, pos *srcpos.Table) *hcl.Diagnostic {
	rng := lineRange(pos, s.header)
	dropped := fmt.Sprintf("it ends the section before it, and the %d line(s) after it, up to the next header, are silently dropped", len(s.body))
	if prev != nil && prev.isLocalrc() && looksLikeBash(s.header.Text) {
		return schema.RuleHeaderLikeLine.Diag("DevStack reads this bash line as a meta-section header",
			"The line starts with \"[[\" and holds a \"|\" and a later \"]]\", which is what DevStack's awk takes for a header: "+dropped+". Indent the line or rewrite the test (for example with \"if\" and separate [[ ]] tests on their own lines, indented).", rng)
	}
	return schema.RuleMalformedHeader.Diag("malformed meta-section header",
		"Spaces inside the brackets make DevStack read an empty group and no file: "+dropped+". Write it as [[group|file]] with no spaces.", rng)
}

func looksLikeBash(text string) bool {
	return strings.ContainsAny(text, "$\"'") || strings.Contains(text, "==") || strings.Contains(text, "||") || strings.Contains(text, "&&") || strings.Contains(text, " -")
}

// trailingText returns what is glued after the last "]]" of the header's
// first word, which awk keeps as part of the file name.
func trailingText(header string) string {
	word := header
	if i := strings.IndexAny(header, " \t"); i >= 0 {
		word = header[:i]
	}
	word = strings.TrimRight(word, "\r")
	i := strings.LastIndex(word, "]]")
	if i < 0 {
		return ""
	}
	return word[i+2:]
}

func trailingTextHeader(s *section, rng hcl.Range) *hcl.Diagnostic {
	glued := trailingText(s.header.Text)
	d := schema.RuleHeaderTrailingText.Diag(
		fmt.Sprintf("text %q glued after ]] becomes part of the file name %q", glued, s.file),
		"DevStack deletes the brackets and keeps the rest: put a space before trailing text, or remove it.", rng)
	if s.group == "local" && strings.TrimSuffix(s.file, glued) == "localrc" {
		d.Severity = hcl.DiagError
		d.Detail = "DevStack reads this as file \"" + s.file + "\", not localrc, so the whole section is silently ignored. " + d.Detail
	}
	return d
}

// nearHeadersIn reports lines that look like a header but are not one to
// DevStack, so they are content of the section before them.
func nearHeadersIn(lines []line, pos *srcpos.Table) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, l := range lines {
		if why := nearHeader(l.Text); why != "" {
			diags = append(diags, schema.RuleMalformedHeader.Diag("this line is not a meta-section header to DevStack", why, lineRange(pos, l)))
		}
	}
	return diags
}

// nearHeader explains why a line shaped like a header is not one, or "".
func nearHeader(text string) string {
	trimmed := strings.TrimSpace(text)
	if !strings.HasPrefix(trimmed, "[[") || isHeader(text) {
		return ""
	}
	if trimmed != text && isHeader(trimmed) {
		g, _ := headerFields(trimmed)
		if slices.Contains(Groups, g) {
			return "A header must start in the first column; DevStack reads this indented one as a content line of the section before it."
		}
		return ""
	}
	inner := strings.TrimPrefix(trimmed, "[[")
	inner = strings.TrimRight(inner, "]")
	group, _, hasBar := strings.Cut(inner, "|")
	if !slices.Contains(Groups, group) && suggest.Closest(group, Groups) == "" {
		return "" // a bash [[ ]] test, not a header attempt
	}
	switch {
	case !hasBar:
		return "A header needs a file after a \"|\": [[" + group + "|FILE]]. DevStack reads this line as content of the section before it."
	case !strings.HasSuffix(trimmed, "]]"):
		return "A header ends with \"]]\"; DevStack reads this line as content of the section before it."
	}
	return "DevStack reads this line as content of the section before it."
}

func isContent(text string) bool {
	t := strings.TrimSpace(text)
	return t != "" && !strings.HasPrefix(t, "#")
}

func hasContent(lines []line) bool {
	for _, l := range lines {
		if isContent(l.Text) {
			return true
		}
	}
	return false
}

func firstContent(lines []line) line {
	for _, l := range lines {
		if isContent(l.Text) {
			return l
		}
	}
	return lines[0]
}

// Options and Fragment are the evaluator's (package localrc), which every
// front-end shares; these names remain for the callers and tests written
// against this package. New code names localrc's.
type (
	Options  = evaluator.Options
	Fragment = evaluator.Fragment
)

// DefaultDest is evaluator.DefaultDest, DevStack's /opt/stack.
const DefaultDest = evaluator.DefaultDest
