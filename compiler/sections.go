package compiler

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// validateSections checks the config meta-sections for what DevStack would
// evaluate with the shell and stackplan never does (docs/devstack.md
// §2.6, §9 item 4): a header's file name goes through eval "echo FILE",
// and every INI line through eval as an iniset command. A command there
// would run with DevStack; apply cannot do the same, so the configuration
// is refused at plan time rather than half-applied.
func validateSections(cfg *schema.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, sec := range cfg.Sections {
		if !plan.IsGroup(sec.Group) {
			continue
		}
		// A CRLF file's names end in \r; the crlf rule reports that.
		if err := schema.CheckConfigFileName(strings.TrimSuffix(sec.File, "\r")); err != nil {
			diags = append(diags, schema.RuleNotEvaluated.DiagSeverity(hcl.DiagError, err.Error(),
				"DevStack expands a config file name with eval \"echo FILE\", so this would run as shell code. Name the file literally or with $VARIABLE.",
				fileNameRange(cfg, sec)))
		}
		diags = append(diags, evaluatedINILines(sec)...)
		diags = append(diags, droppedINILines(sec)...)
	}
	return diags
}

// fileNameRange is where the file name sits in the header line: after the
// first '|'. It falls back to the whole header.
func fileNameRange(cfg *schema.Config, sec schema.MetaSection) hcl.Range {
	h := sec.Header
	for _, in := range cfg.Inputs {
		if in.Path != h.Filename || h.Start.Byte < 0 || h.End.Byte > len(in.Bytes) || h.Start.Byte >= h.End.Byte {
			continue
		}
		line := in.Bytes[h.Start.Byte:h.End.Byte]
		bar := bytes.IndexByte(line, '|')
		if !bytes.HasPrefix(line, []byte("[[")) || bar < 0 || bytes.IndexByte(line[:bar], '\n') >= 0 {
			break
		}
		end := bar + 1
		for end < len(line) && line[end] != ' ' && line[end] != '\t' && line[end] != '\n' {
			end++
		}
		if bytes.HasSuffix(line[:end], []byte("]]")) && end-2 > bar+1 {
			end -= 2
		}
		start := h.Start
		start.Byte += bar + 1
		start.Column += bar + 1
		stop := start
		stop.Byte += end - bar - 1
		stop.Column += end - bar - 1
		return hcl.Range{Filename: h.Filename, Start: start, End: stop}
	}
	return h
}

// evaluatedINILines reports INI lines of a section that DevStack's eval
// would run commands from: command substitution in a key or value, and a
// key holding a shell control operator. Lines DevStack drops (blank,
// indented, comments, section headers) are skipped, as apply skips them.
func evaluatedINILines(sec schema.MetaSection) hcl.Diagnostics {
	var diags hcl.Diagnostics
	pos := sec.Body.Range.Start
	for _, line := range strings.SplitAfter(sec.Body.Text, "\n") {
		text := strings.TrimSuffix(line, "\n")
		if why, col := evaluatedINILine(text); why != "" {
			start := hcl.Pos{Line: pos.Line, Column: 1 + col, Byte: pos.Byte + col}
			end := hcl.Pos{Line: pos.Line, Column: 1 + len(text), Byte: pos.Byte + len(text)}
			diags = append(diags, schema.RuleNotEvaluated.DiagSeverity(hcl.DiagError,
				fmt.Sprintf("[[%s|%s]]: %s", sec.Group, sec.File, why),
				"DevStack turns every INI line into an iniset command and runs it with eval, so this would run as shell code; stackplan writes INI lines literally and never evaluates them. Write the value literally.",
				hcl.Range{Filename: sec.Body.Range.Filename, Start: start, End: end}))
		}
		pos.Line++
		pos.Column = 1
		pos.Byte += len(line)
	}
	return diags
}

// evaluatedINILine says why DevStack's eval of one INI line would run a
// command, and at which byte of the line, or returns "".
func evaluatedINILine(line string) (string, int) {
	if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
		return "", 0
	}
	if line[0] == '[' && strings.Contains(line[1:], "]") {
		return "", 0
	}
	key, value, _ := strings.Cut(line, "=")
	if i := strings.IndexAny(key, ";|&<>`"); i >= 0 {
		return fmt.Sprintf("the INI key %q holds %q, which DevStack's eval would run as shell code", strings.TrimSpace(key), string(key[i])), i
	}
	if i := strings.Index(key, "$("); i >= 0 {
		return fmt.Sprintf("the INI key %q holds a command substitution $(...), which DevStack's eval would run", strings.TrimSpace(key)), i
	}
	off := len(key) + 1
	// The value is eval'ed inside double quotes: a '"' ends them, and a
	// control operator after it starts a command.
	if q := strings.IndexByte(value, '"'); q >= 0 && strings.ContainsAny(value[q:], ";|&<>") {
		return "an INI value holds a double quote followed by a shell control operator: DevStack's eval would run what follows", off + q
	}
	if i := strings.Index(value, "$("); i >= 0 {
		return "an INI value holds a command substitution $(...), which DevStack's eval would run", off + i
	}
	if i := strings.IndexByte(value, '`'); i >= 0 {
		return "an INI value holds a backtick command substitution, which DevStack's eval would run", off + i
	}
	return "", 0
}

// iniHeader is a section header as DevStack's merge awk matches it: at
// column 0 only.
var iniHeader = regexp.MustCompile(`^\[.+\]`)

// droppedINILines reports the INI lines DevStack's merge (and apply, which
// follows it) drops or files under the wrong section without a word
// (docs/devstack.md §2.6): the awk reads a header only at column 0, a key
// only from a line that starts with neither a space nor a tab, and knows
// no continuation lines.
func droppedINILines(sec schema.MetaSection) hcl.Diagnostics {
	var diags hcl.Diagnostics
	report := func(pos hcl.Pos, text string, from int, summary, detail string) {
		start := hcl.Pos{Line: pos.Line, Column: 1 + from, Byte: pos.Byte + from}
		end := hcl.Pos{Line: pos.Line, Column: 1 + len(text), Byte: pos.Byte + len(text)}
		diags = append(diags, schema.RuleINIDropped.Diag(fmt.Sprintf("[[%s|%s]]: %s", sec.Group, sec.File, summary), detail,
			hcl.Range{Filename: sec.Body.Range.Filename, Start: start, End: end}))
	}
	section, continued := "", false
	pos := sec.Body.Range.Start
	for _, line := range strings.SplitAfter(sec.Body.Text, "\n") {
		text := strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimLeft(text, " \t")
		indent := len(text) - len(trimmed)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			// blank lines and comments: dropped, as meant
		case continued:
			report(pos, text, indent, "this line continues the one before with a backslash, which DevStack's merge does not know",
				"The backslash stays in the value above; DevStack reads this line as a key of its own, or drops it when it is indented. Write the value on one line.")
		case indent > 0 && iniHeader.MatchString(trimmed):
			where := "the section before it"
			if section != "" {
				where = "[" + section + "]"
			}
			report(pos, text, indent, fmt.Sprintf("the indented section header %s is dropped", trimmed),
				fmt.Sprintf("DevStack's merge reads a [section] only at column 0, so the keys after this line are written to %s instead. Remove the indentation.", where))
		case indent > 0:
			report(pos, text, indent, "an indented line is dropped",
				"DevStack's merge reads a key only from a line that starts at column 0, and has no continuation lines: this line, meant as a key or as the continuation of a value, is not written. Remove the indentation, and write a multi-line value as repeated keys.")
		case iniHeader.MatchString(text):
			section = strings.Trim(strings.Fields(text)[0], "[]")
		case section == "":
			report(pos, text, 0, "a key before any [section]",
				"DevStack's merge ignores it without a word: iniset does nothing without a section. Put it under its [section], such as [DEFAULT].")
		}
		continued = !strings.HasPrefix(trimmed, "#") && strings.HasSuffix(text, "\\") && !iniHeader.MatchString(text)
		pos.Line++
		pos.Column = 1
		pos.Byte += len(line)
	}
	return diags
}
