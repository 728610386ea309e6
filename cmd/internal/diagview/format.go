package diagview

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Format is one output format.
type Format string

// The output formats.
const (
	// Pretty is for people: "file:line:col: severity: summary [rule]", the
	// source line with a ^~~~ underline, then the detail.
	Pretty Format = "pretty"
	// Compact is one line per diagnostic: "file:line:col: severity: summary [rule]".
	Compact Format = "compact"
	// JSON is an array of objects; see [Write] for the fields.
	JSON Format = "json"
	// SARIF is a SARIF 2.1.0 log with one run, for code-scanning services.
	SARIF Format = "sarif"
	// GitHub is GitHub Actions workflow commands (::error and ::warning),
	// which the runner turns into annotations.
	GitHub Format = "github"
)

// Formats returns every format, in the order to list them in help text.
func Formats() []Format {
	return []Format{Pretty, Compact, JSON, SARIF, GitHub}
}

// ParseFormat returns the format named s (case-insensitive, surrounding
// spaces ignored), or an error that lists the valid names.
func ParseFormat(s string) (Format, error) {
	want := Format(strings.ToLower(strings.TrimSpace(s)))
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		if f == want {
			return f, nil
		}
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown output format %q (want one of %s)", s, strings.Join(names, ", "))
}

// Options are the choices a renderer takes from its caller.
type Options struct {
	// Color turns on ANSI colour in the pretty format. The caller decides
	// (terminal, NO_COLOR, FORCE_COLOR, --color): renderers never look at the
	// environment. Other formats ignore it.
	Color bool
	// Width is the column at which the pretty format wraps detail text;
	// 0 means no wrapping. Source lines are never wrapped.
	Width uint
	// ToolVersion is SARIF's tool.driver.version; empty leaves it out.
	ToolVersion string
	// RulesURL is the absolute URL of the rules page; SARIF's helpUri for a
	// rule is RulesURL + "#" + the rule ID. Empty means [DefaultRulesURL].
	RulesURL string
}

// Write renders diags in format f to w. It sorts and de-duplicates them
// first (see [Sort]), so the caller need not.
//
// files maps each file name used in the diagnostics' ranges to that file's
// bytes; the pretty format takes its source snippets from there, and a
// diagnostic whose file is missing, or whose range does not fit the file, is
// rendered without a snippet. Write never panics, whatever the ranges.
//
// With no diagnostic, pretty, compact and github write nothing, json writes
// "[]" and sarif writes a log whose run has no result.
//
// The json format is an array of
//
//	{"severity": "error"|"warning", "rule": ID or "", "summary": ..., "detail": ...,
//	 "range": null | {"file": ..., "start": {"line", "column", "byte"}, "end": {...}}}
//
// with positions exactly as in the diagnostic (lines and columns 1-based,
// byte offsets 0-based).
func Write(w io.Writer, f Format, diags hcl.Diagnostics, files map[string][]byte, opts Options) (err error) {
	var buf bytes.Buffer
	if err := render(&buf, f, diags, files, opts); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// render is Write without the output: tests and the fuzz target call it
// directly so that a panic is seen rather than hidden.
func render(buf *bytes.Buffer, f Format, diags hcl.Diagnostics, files map[string][]byte, opts Options) error {
	diags = Sort(diags)
	switch f {
	case Pretty:
		writePretty(buf, diags, files, opts)
	case Compact:
		writeCompact(buf, diags)
	case JSON:
		return writeJSON(buf, diags)
	case SARIF:
		return writeSARIF(buf, diags, opts, rulesForSARIF())
	case GitHub:
		writeGitHub(buf, diags)
	default:
		g, err := ParseFormat(string(f))
		if err != nil {
			return err
		}
		return render(buf, g, diags, files, opts)
	}
	return nil
}
