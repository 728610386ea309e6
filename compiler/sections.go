package compiler

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// mergedGroups are the config groups whose sections apply merges.
var mergedGroups = map[string]bool{"post-config": true, "extra": true, "post-extra": true, "test-config": true}

// validateSections checks the config meta-sections for what DevStack would
// evaluate with the shell and stackplan never does (devstack-plugins.md
// §2.6, §9 item 4): a header's file name goes through eval "echo FILE",
// and every INI line through eval as an iniset command. A command there
// would run with DevStack; apply cannot do the same, so the configuration
// is refused at plan time rather than half-applied.
func validateSections(cfg *schema.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, sec := range cfg.Sections {
		if !mergedGroups[sec.Group] {
			continue
		}
		// A CRLF file's names end in \r; the crlf rule reports that.
		if err := schema.CheckConfigFileName(strings.TrimSuffix(sec.File, "\r")); err != nil {
			diags = append(diags, schema.RuleNotEvaluated.DiagSeverity(hcl.DiagError, err.Error(),
				"DevStack expands a config file name with eval \"echo FILE\", so this would run as shell code. Name the file literally or with $VARIABLE.",
				fileNameRange(cfg, sec)))
		}
		diags = append(diags, evaluatedINILines(sec)...)
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
