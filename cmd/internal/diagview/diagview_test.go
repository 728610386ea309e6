package diagview

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stackplan/stackplan/schema"
	"github.com/stackplan/stackplan/schema/schematest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// pos returns the position of 1-based line and character column col in src,
// with its exact byte offset (an invalid byte counts as one character).
func pos(t testing.TB, src []byte, line, col int) hcl.Pos {
	t.Helper()
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			t.Fatalf("line %d is past the end", line)
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(src) || src[off] == '\n' {
			t.Fatalf("column %d of line %d is past the line's end", col, line)
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return hcl.Pos{Line: line, Column: col, Byte: off}
}

func rng(t testing.TB, files map[string][]byte, name string, line, col, endLine, endCol int) *hcl.Range {
	t.Helper()
	src := files[name]
	return &hcl.Range{Filename: name, Start: pos(t, src, line, col), End: pos(t, src, endLine, endCol)}
}

func diag(sev hcl.DiagnosticSeverity, rule, summary, detail string, subject *hcl.Range) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: subject}
	if rule != "" {
		d.Extra = schema.RuleExtra{Rule: rule}
	}
	return d
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture is the set of diagnostics every golden file renders. It is given
// out of order, with a duplicate, so the goldens also show Sort at work.
func fixture(t testing.TB) (hcl.Diagnostics, map[string][]byte) {
	files := map[string][]byte{
		"local.conf": readFile(t, "local.conf"),
		"crlf.conf":  readFile(t, "crlf.conf"),
		"empty.conf": {},
	}
	lc := "local.conf"
	diags := hcl.Diagnostics{
		diag(hcl.DiagWarning, "dest-after-plugin", "DEST changed after enable_plugin",
			"Plugins enabled before this line keep the old DEST.\nMove DEST=... above the first enable_plugin.",
			rng(t, files, lc, 7, 1, 9, 1)),
		diag(hcl.DiagError, "duplicate-plugin", `Plugin "foo" is enabled twice`,
			"DevStack dies when a plugin is enabled twice. The first enable_plugin of foo is at line 3; remove one of them.",
			rng(t, files, lc, 4, 15, 4, 18)),
		diag(hcl.DiagError, "url-scheme", `Unsupported URL scheme "git"`, "",
			rng(t, files, lc, 5, 22, 5, 29)),
		diag(hcl.DiagError, "invalid-plugin-name", `Invalid plugin name "日本語"`,
			"Plugin names match [A-Za-z0-9][A-Za-z0-9._-]*.",
			rng(t, files, lc, 6, 27, 6, 30)),
		// The same finding again, with another detail: removed by Sort.
		diag(hcl.DiagError, "duplicate-plugin", `Plugin "foo" is enabled twice`,
			"another detail",
			rng(t, files, lc, 4, 15, 4, 18)),
		diag(hcl.DiagError, "input", "Invalid UTF-8 and a control character", "",
			rng(t, files, lc, 8, 11, 8, 14)),
		// An empty range at the end of a line.
		diag(hcl.DiagWarning, "extra-arguments", "Empty range at the end of line 2", "",
			rng(t, files, lc, 2, 22, 2, 22)),
		// A warning and an error at the same place: the error comes first.
		diag(hcl.DiagWarning, "unknown-command", "A warning at 1:1", "", rng(t, files, lc, 1, 1, 1, 18)),
		diag(hcl.DiagError, "unknown-section", "An error at 1:1", "", rng(t, files, lc, 1, 1, 1, 18)),
		diag(hcl.DiagError, "crlf", "CRLF line endings", "DevStack ignores the whole file.",
			rng(t, files, "crlf.conf", 2, 16, 2, 19)),
		// A subject with no line: the whole file.
		diag(hcl.DiagWarning, "no-localrc", "No [[local|localrc]] section", "",
			&hcl.Range{Filename: "empty.conf"}),
		// A file whose bytes the caller did not give.
		diag(hcl.DiagError, "missing-url", "enable_plugin without a URL", "",
			&hcl.Range{Filename: "other/local.conf", Start: hcl.Pos{Line: 3, Column: 1, Byte: 40}, End: hcl.Pos{Line: 3, Column: 17, Byte: 56}}),
		// A range past the end of the file: no snippet.
		diag(hcl.DiagError, "limit", "Range past EOF", "",
			&hcl.Range{Filename: lc, Start: hcl.Pos{Line: 40, Column: 3, Byte: 4000}, End: hcl.Pos{Line: 40, Column: 9, Byte: 4006}}),
		// No subject, no rule: such as an error reading the input.
		diag(hcl.DiagError, "", "Cannot read stack.hcl", "open stack.hcl: permission denied", nil),
		// Hostile text: line breaks, %, commas and colons.
		diag(hcl.DiagWarning, "unknown-value", "100% sure:\nline two,\r\nline three", "a: b, c\n  indented",
			&hcl.Range{Filename: "dir,1/we:ird file.conf", Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 1, Column: 2, Byte: 1}}),
	}
	return diags, files
}

// fixedRules stands in for schema.Rules() in the SARIF golden file, so that
// adding a rule to schema does not change it.
func fixedRules() []schema.Rule {
	return []schema.Rule{
		{ID: "crlf", Severity: hcl.DiagError, Summary: "CRLF line endings"},
		{ID: "dest-after-plugin", Severity: hcl.DiagWarning, Summary: "DEST changed after enable_plugin"},
		{ID: "duplicate-plugin", Severity: hcl.DiagError, Summary: "a plugin enabled twice"},
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestGolden(t *testing.T) {
	saved := rulesForSARIF
	rulesForSARIF = fixedRules
	t.Cleanup(func() { rulesForSARIF = saved })

	diags, files := fixture(t)
	for _, tc := range []struct {
		golden string
		format Format
		opts   Options
	}{
		{"golden.pretty", Pretty, Options{}},
		{"golden-color.pretty", Pretty, Options{Color: true}},
		{"golden-width40.pretty", Pretty, Options{Width: 40}},
		{"golden.compact", Compact, Options{}},
		{"golden.json", JSON, Options{}},
		{"golden.sarif", SARIF, Options{ToolVersion: "1.2.3"}},
		{"golden.github", GitHub, Options{}},
		{"empty.json", JSON, Options{}},
		{"empty.sarif", SARIF, Options{}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			in := diags
			if strings.HasPrefix(tc.golden, "empty.") {
				in = nil
			}
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, in, files, tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestEmptyOutputs(t *testing.T) {
	for _, f := range []Format{Pretty, Compact, GitHub} {
		var buf bytes.Buffer
		if err := Write(&buf, f, nil, nil, Options{}); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s with no diagnostic wrote %q, want nothing", f, buf.String())
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, JSON, hcl.Diagnostics{}, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "[]\n" {
		t.Errorf("json with no diagnostic = %q, want %q", got, "[]\n")
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(" " + strings.ToUpper(string(f)) + " ")
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := ParseFormat("xml")
	if err == nil || !strings.Contains(err.Error(), "pretty, compact, json, sarif, github") {
		t.Errorf("ParseFormat(xml) error = %v, want one listing the formats", err)
	}
	if err := Write(&bytes.Buffer{}, Format("xml"), nil, nil, Options{}); err == nil {
		t.Error("Write with an unknown format gave no error")
	}
}

func TestSort(t *testing.T) {
	r := func(file string, line, col int) *hcl.Range {
		return &hcl.Range{Filename: file, Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: line, Column: col + 1}}
	}
	in := hcl.Diagnostics{
		diag(hcl.DiagWarning, "b", "w", "", r("b.conf", 1, 1)),
		diag(hcl.DiagError, "b", "s2", "", r("a.conf", 2, 1)),
		nil,
		diag(hcl.DiagError, "a", "s2", "", r("a.conf", 2, 1)),
		diag(hcl.DiagError, "a", "s1", "", r("a.conf", 2, 1)),
		diag(hcl.DiagWarning, "a", "s0", "", r("a.conf", 2, 1)),
		diag(hcl.DiagError, "a", "s1", "dup", r("a.conf", 2, 1)),
		diag(hcl.DiagError, "z", "late", "", r("a.conf", 10, 1)),
		diag(hcl.DiagError, "z", "col", "", r("a.conf", 2, 9)),
		diag(hcl.DiagError, "", "global", "", nil),
	}
	orig := append(hcl.Diagnostics(nil), in...)
	got := Sort(in)
	var keys []string
	for _, d := range got {
		keys = append(keys, location(d)+" "+Severity(d)+" "+schema.RuleOf(d)+" "+d.Summary+" "+d.Detail)
	}
	want := []string{
		" error  global ",
		"a.conf:2:1 error a s1 ",
		"a.conf:2:1 error a s2 ",
		"a.conf:2:1 error b s2 ",
		"a.conf:2:1 warning a s0 ",
		"a.conf:2:9 error z col ",
		"a.conf:10:1 error z late ",
		"b.conf:1:1 warning b w ",
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("Sort (-want +got):\n%s", diff)
	}
	for i := range in {
		if in[i] != orig[i] {
			t.Fatal("Sort modified its input")
		}
	}
}

// unescapeGitHub undoes the runner's escaping of workflow commands.
var unescapeGitHub = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")

func TestGitHubEscaping(t *testing.T) {
	hostile := []string{
		"plain",
		"100%",
		"%0A is not a newline",
		"line one\nline two\r\nline three\rend",
		"a,b:c::d,,e",
		"::error::injected",
		"%25%3A%2C",
	}
	for _, s := range hostile {
		d := diag(hcl.DiagWarning, "rule:"+s, s, "", &hcl.Range{
			Filename: "dir," + s + "/f:1.conf",
			Start:    hcl.Pos{Line: 3, Column: 2, Byte: 10},
			End:      hcl.Pos{Line: 3, Column: 5, Byte: 13},
		})
		var buf bytes.Buffer
		if err := Write(&buf, GitHub, hcl.Diagnostics{d}, nil, Options{}); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSuffix(buf.String(), "\n")
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("%q: command spans lines: %q", s, out)
		}
		rest, ok := strings.CutPrefix(out, "::warning ")
		if !ok {
			t.Fatalf("%q: no ::warning prefix: %q", s, out)
		}
		propText, msg, ok := strings.Cut(rest, "::")
		if !ok {
			t.Fatalf("%q: no :: before the message: %q", s, out)
		}
		if got := unescapeGitHub.Replace(msg); got != s {
			t.Errorf("message round trip: got %q, want %q", got, s)
		}
		props := map[string]string{}
		for _, kv := range strings.Split(propText, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.Contains(v, ":") {
				t.Fatalf("%q: bad property %q in %q", s, kv, out)
			}
			props[k] = unescapeGitHub.Replace(v)
		}
		want := map[string]string{
			"file": "dir," + s + "/f:1.conf", "line": "3", "col": "2",
			"endLine": "3", "endColumn": "4", "title": "rule:" + s,
		}
		if diff := cmp.Diff(want, props); diff != "" {
			t.Errorf("%q: properties (-want +got):\n%s", s, diff)
		}
	}
}

func TestCompactIsOneLinePerDiagnostic(t *testing.T) {
	diags, files := fixture(t)
	var buf bytes.Buffer
	if err := Write(&buf, Compact, diags, files, Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(Sort(diags)) {
		t.Errorf("%d lines for %d diagnostics:\n%s", len(lines), len(Sort(diags)), buf.String())
	}
}

func sarifSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	sch, err := schematest.CompileSchema(doc, "https://json.schemastore.org/sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t testing.TB, sch *jsonschema.Schema, out []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("SARIF output does not match the SARIF 2.1.0 schema: %v\n%s", err, out)
	}
}

// TestSARIF checks the log made with the real rule list against the SARIF
// 2.1.0 schema and checks what the schema cannot: that every rule is
// declared and every ruleIndex points at its rule.
func TestSARIF(t *testing.T) {
	sch := sarifSchema(t)
	diags, files := fixture(t)
	for _, in := range []hcl.Diagnostics{nil, diags} {
		var buf bytes.Buffer
		if err := Write(&buf, SARIF, in, files, Options{ToolVersion: "v0.1.0"}); err != nil {
			t.Fatal(err)
		}
		validateSARIF(t, sch, buf.Bytes())

		var log struct {
			Schema  string `json:"$schema"`
			Version string
			Runs    []struct {
				Tool struct {
					Driver struct {
						Name, Version string
						Rules         []struct {
							ID                   string
							ShortDescription     struct{ Text string }
							DefaultConfiguration struct {
								Level string
							}
							HelpURI string
						}
					}
				}
				Results []struct {
					RuleID    string
					RuleIndex *int
					Level     string
					Message   struct{ Text string }
				}
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		if log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || log.Version != "2.1.0" || len(log.Runs) != 1 {
			t.Fatalf("bad log header: %q %q, %d runs", log.Schema, log.Version, len(log.Runs))
		}
		run := log.Runs[0]
		if run.Tool.Driver.Name != "stackplan" || run.Tool.Driver.Version != "v0.1.0" {
			t.Errorf("driver = %q %q", run.Tool.Driver.Name, run.Tool.Driver.Version)
		}
		rules := schema.Rules()
		if len(run.Tool.Driver.Rules) != len(rules) {
			t.Fatalf("%d rules declared, schema has %d", len(run.Tool.Driver.Rules), len(rules))
		}
		for i, r := range rules {
			got := run.Tool.Driver.Rules[i]
			level := map[hcl.DiagnosticSeverity]string{hcl.DiagError: "error", hcl.DiagWarning: "warning"}[r.Severity]
			if got.ID != r.ID || got.ShortDescription.Text != r.Summary || got.DefaultConfiguration.Level != level ||
				got.HelpURI != DefaultRulesURL+"#"+r.ID {
				t.Errorf("rule %d = %+v, want %+v", i, got, r)
			}
		}
		if len(run.Results) != len(Sort(in)) {
			t.Errorf("%d results for %d diagnostics", len(run.Results), len(Sort(in)))
		}
		for _, res := range run.Results {
			if _, known := schema.LookupRule(res.RuleID); !known {
				if res.RuleIndex != nil {
					t.Errorf("result of unknown rule %q has ruleIndex %d", res.RuleID, *res.RuleIndex)
				}
				continue
			}
			if res.RuleIndex == nil || run.Tool.Driver.Rules[*res.RuleIndex].ID != res.RuleID {
				t.Errorf("result %q: ruleIndex %v does not point at its rule", res.RuleID, res.RuleIndex)
			}
		}
	}
}

// TestNoPanic renders odd inputs in every format: ranges past the end,
// zero ranges, inverted ranges, empty files, invalid UTF-8 and CRLF.
func TestNoPanic(t *testing.T) {
	files := map[string][]byte{
		"empty":   {},
		"crlf":    []byte("a\r\nb\r\n\r\n"),
		"invalid": []byte("\xff\xfe\n\xc3"),
		"nonl":    []byte("no newline at end"),
		"tabs":    []byte("\t\t\tx\t"),
	}
	ranges := []hcl.Range{
		{},
		{Start: hcl.Pos{Line: 1, Column: 1}},
		{Start: hcl.Pos{Line: -1, Column: -1, Byte: -1}, End: hcl.Pos{Line: -5, Column: -5, Byte: -5}},
		{Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 100, Column: 1, Byte: 1 << 40}},
		{Start: hcl.Pos{Line: 2, Column: 3, Byte: 3}, End: hcl.Pos{Line: 1, Column: 1, Byte: 0}},
		{Start: hcl.Pos{Line: 1 << 30, Column: 1 << 30, Byte: 1 << 30}, End: hcl.Pos{Line: 1 << 30, Column: 1 << 30, Byte: 1 << 30}},
		{Start: hcl.Pos{Line: 1, Column: 2, Byte: 1}, End: hcl.Pos{Line: 1, Column: 3, Byte: 2}},
		{Start: hcl.Pos{Line: 2, Column: 1, Byte: 2}, End: hcl.Pos{Line: 2, Column: 2, Byte: 3}},
		{Start: hcl.Pos{Line: 3, Column: 1, Byte: 9}, End: hcl.Pos{Line: 3, Column: 1, Byte: 9}},
	}
	var diags hcl.Diagnostics
	for name := range files {
		for _, r := range ranges {
			r.Filename = name
			diags = append(diags, diag(hcl.DiagError, "x", "s", "d", &r))
		}
	}
	diags = append(diags, nil, &hcl.Diagnostic{Severity: hcl.DiagInvalid})
	sch := sarifSchema(t)
	for _, f := range Formats() {
		for _, opts := range []Options{{}, {Color: true, Width: 1}} {
			var buf bytes.Buffer
			if err := render(&buf, f, diags, files, opts); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if f == SARIF {
				validateSARIF(t, sch, buf.Bytes())
			}
		}
	}
}

// TestSnippets checks the underline under source lines that are hard to
// line up: tabs, multi-byte and wide characters, CRLF, invalid UTF-8.
func TestSnippets(t *testing.T) {
	for _, tc := range []struct {
		name, src                  string
		line, col, endLine, endCol int
		want                       string
	}{
		{"ascii", "abc def\n", 1, 5, 1, 8, " 1 | abc def\n   |     ^~~\n"},
		{"tab", "\tx\tyy\n", 1, 4, 1, 6, " 1 |     x   yy\n   |         ^~\n"},
		{"utf8", "é ü x\n", 1, 5, 1, 6, " 1 | é ü x\n   |     ^\n"},
		{"wide", "日本 x\n", 1, 1, 1, 3, " 1 | 日本 x\n   | ^~~~\n"},
		{"crlf", "a\r\nbcd\r\n", 2, 2, 2, 4, " 2 | bcd\n   |  ^~\n"},
		{"crlf-eol", "a\r\nbcd\r\n", 2, 4, 3, 1, " 2 | bcd\n   |    ^\n"},
		{"multiline", "ab\ncd\n", 1, 2, 2, 2, " 1 | ab\n   |  ^\n"},
		{"invalid", "\xffa\x1b\n", 1, 2, 1, 4, " 1 | \uFFFDa\uFFFD\n   |  ^~\n"},
		{"empty", "", 1, 1, 1, 1, " 1 | \n   | ^\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"f": []byte(tc.src)}
			d := diag(hcl.DiagError, "", "s", "", rng(t, files, "f", tc.line, tc.col, tc.endLine, tc.endCol))
			var buf bytes.Buffer
			if err := Write(&buf, Pretty, hcl.Diagnostics{d}, files, Options{}); err != nil {
				t.Fatal(err)
			}
			_, got, _ := strings.Cut(buf.String(), "\n")
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			// The same with only line and column known (byte offsets wrong).
			d.Subject.Start.Byte, d.Subject.End.Byte = -1, -1
			buf.Reset()
			if err := Write(&buf, Pretty, hcl.Diagnostics{d}, files, Options{}); err != nil {
				t.Fatal(err)
			}
			if _, got, _ := strings.Cut(buf.String(), "\n"); got != tc.want {
				t.Errorf("by line and column: got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestLongLineIsCut(t *testing.T) {
	line := strings.Repeat("x", 300) + "TARGET" + strings.Repeat("日", 300)
	files := map[string][]byte{"f": []byte(line + "\n")}
	d := diag(hcl.DiagError, "", "s", "", rng(t, files, "f", 1, 301, 1, 307))
	var buf bytes.Buffer
	if err := Write(&buf, Pretty, hcl.Diagnostics{d}, files, Options{}); err != nil {
		t.Fatal(err)
	}
	// 100 bytes before the range, then up to 400 bytes in all, cut before a
	// partial character: 294 bytes are 98 three-byte characters.
	want := "f:1:301: error: s\n" +
		" 1 | …" + strings.Repeat("x", 100) + "TARGET" + strings.Repeat("日", 98) + "…\n" +
		"   | " + strings.Repeat(" ", 101) + "^~~~~~\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func BenchmarkWrite(b *testing.B) {
	diags, files := fixture(b)
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := Write(&buf, f, diags, files, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
