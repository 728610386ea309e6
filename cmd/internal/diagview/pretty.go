package diagview

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// ANSI escapes used by the pretty format when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiBlue   = "\x1b[1;34m"
	ansiDim    = "\x1b[2m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

func severityColor(sev string) string {
	if sev == "warning" {
		return ansiYellow
	}
	return ansiRed
}

// location is "file:line:col", "file:line" or "file" as far as the subject
// says, or "" for a diagnostic without one. An unnamed file is "<input>".
func location(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return ""
	}
	r := d.Subject
	name := oneLine(r.Filename)
	if r.Start.Line < 1 {
		return name
	}
	if name == "" {
		name = "<input>"
	}
	if r.Start.Column < 1 {
		return name + ":" + strconv.Itoa(r.Start.Line)
	}
	return name + ":" + strconv.Itoa(r.Start.Line) + ":" + strconv.Itoa(r.Start.Column)
}

// headline is "location: severity: summary [rule]", on one line.
func headline(d *hcl.Diagnostic, p painter) string {
	var sb strings.Builder
	if loc := location(d); loc != "" {
		sb.WriteString(p.paint(ansiBold, loc+":"))
		sb.WriteByte(' ')
	}
	sev := Severity(d)
	sb.WriteString(p.paint(severityColor(sev), sev+":"))
	sb.WriteByte(' ')
	sb.WriteString(p.paint(ansiBold, oneLine(d.Summary)))
	if rule := schema.RuleOf(d); rule != "" {
		sb.WriteByte(' ')
		sb.WriteString(p.paint(ansiDim, "["+oneLine(rule)+"]"))
	}
	return sb.String()
}

func writePretty(buf *bytes.Buffer, diags hcl.Diagnostics, files map[string][]byte, opts Options) {
	p := painter(opts.Color)
	ss := sources{files: files}
	for i, d := range diags {
		if i > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteString(headline(d, p))
		buf.WriteByte('\n')
		if d.Subject != nil {
			if src := ss.get(d.Subject.Filename); src != nil {
				if sp, ok := src.locate(*d.Subject); ok {
					writeSnippet(buf, src, sp, severityColor(Severity(d)), p)
				}
			}
		}
		if detail := strings.TrimSpace(clean(d.Detail)); detail != "" {
			const indent = "  "
			w := 0
			if opts.Width > 0 {
				w = max(int(min(opts.Width, 1<<20))-len(indent), 1)
			}
			for _, line := range wrap(detail, w) {
				if strings.TrimSpace(line) == "" {
					buf.WriteByte('\n')
					continue
				}
				buf.WriteString(indent + line + "\n")
			}
		}
	}
}

// writeSnippet shows the line of sp with a gutter holding its number, and
// under it a ^~~~ underline from sp.from to sp.to (a lone ^ when empty).
func writeSnippet(buf *bytes.Buffer, src *source, sp span, color string, p painter) {
	start, end, cutLeft, cutRight := window(src.src, sp)
	shown, fromCol, toCol := showLine(src.src[start:end], sp.from-start, sp.to-start)
	if cutLeft {
		shown = "…" + shown
		fromCol++
		toCol++
	}
	if cutRight {
		shown += "…"
	}
	num := strconv.Itoa(sp.line)
	gutter := strings.Repeat(" ", len(num))
	fmt.Fprintf(buf, " %s %s %s\n", p.paint(ansiBlue, num), p.paint(ansiBlue, "|"), shown)
	underline := "^" + strings.Repeat("~", max(toCol-fromCol, 1)-1)
	fmt.Fprintf(buf, " %s %s %s%s\n", gutter, p.paint(ansiBlue, "|"), strings.Repeat(" ", fromCol), p.paint(color, underline))
}

func writeCompact(buf *bytes.Buffer, diags hcl.Diagnostics) {
	for _, d := range diags {
		buf.WriteString(headline(d, false))
		buf.WriteByte('\n')
	}
}

// Source lines longer than maxShownBytes (minified or generated files) are
// shown only around the start of the range, cut at character boundaries.
const (
	maxShownBytes = 400
	shownBefore   = 100
)

func window(src []byte, sp span) (start, end int, cutLeft, cutRight bool) {
	start, end = sp.start, sp.end
	if end-start <= maxShownBytes {
		return start, end, false, false
	}
	if sp.from-start > shownBefore {
		start = sp.from - shownBefore
		for i := 0; i < utf8.UTFMax && start < sp.from && !utf8.RuneStart(src[start]); i++ {
			start++
		}
		cutLeft = true
	}
	if end-start > maxShownBytes {
		end = start + maxShownBytes
		for i := 0; i < utf8.UTFMax && end > sp.from && !utf8.RuneStart(src[end]); i++ {
			end--
		}
		cutRight = true
	}
	return start, end, cutLeft, cutRight
}
