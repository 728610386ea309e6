package hclconf

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

// FuzzHCL checks that the front-end never panics and that every range it
// reports lies inside the input, for both syntaxes. Seeds are committed
// under testdata/fuzz/FuzzHCL.
func FuzzHCL(f *testing.F) {
	f.Add([]byte("localrc {\n  A = \"x\"\n}\nplugin \"p\" {\n  url = \"${A}/p\"\n}\n"), false)
	f.Add([]byte(`{"localrc": {"A": "x"}, "plugin": {"p": {"url": "https://h/p"}}}`), true)
	f.Fuzz(func(t *testing.T, src []byte, isJSON bool) {
		name := "stack.hcl"
		if isJSON {
			name = "stack.json"
		}
		cfg, diags := Parse(name, src, localconf.Options{Env: map[string]string{"E": "v"}})
		inside := func(r hcl.Range, what string) {
			if r.Filename == "" && r.Start.Byte == 0 && r.End.Byte == 0 {
				return
			}
			if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
				t.Errorf("%s range %v (bytes %d-%d) outside the %d-byte input", what, r, r.Start.Byte, r.End.Byte, len(src))
			}
		}
		for _, d := range diags {
			if d.Subject != nil {
				inside(*d.Subject, "diagnostic "+d.Summary)
			}
		}
		for _, p := range cfg.Plugins {
			inside(p.Range, "plugin")
			inside(p.Name.Range, "plugin name")
			inside(p.URL.Range, "plugin url")
		}
		for _, a := range cfg.Assignments {
			inside(a.Range, "assignment")
			inside(a.Value.Range, "assignment value")
		}
		for _, s := range cfg.Localrc {
			inside(s.Range, "localrc span")
		}
	})
}

// TestLimits checks that nesting and growth that would exhaust the stack
// or memory are limit diagnostics at their position.
func TestLimits(t *testing.T) {
	for _, c := range []struct {
		name, src string
		line, col int
	}{
		{"stack.hcl", "localrc {\n  A = " + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "\n}\n", 2, 106},
		{"stack.json", `{"localrc": {"A": ` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "}}", 1, 117},
		{"stack.hcl", "localrc {\n  A = \"" + strings.Repeat("${\"", 200) + strings.Repeat("\"}", 200) + "\"\n}\n", 2, 0},
		{"stack.hcl", "localrc {\n  X = length(flatten([for a in range(1000) : [for b in range(1000) : [for c in range(1000): c]]]))\n}\n", 2, 70},
		// Each of these exhausted memory or the stack, or ran for minutes.
		{"stack.json", `{"localrc": {"X": "%{for a in range(1000)}%{for b in range(1000)}x%{endfor}%{endfor}"}}`, 1, 43},
		{"stack.json", `{"localrc": {"X": "${[for a in range(1000): [for b in range(1000): b]]}"}}`, 1, 45},
		{"stack.hcl", "localrc {\n  X = join(\",\", flatten([for a in range(1000): [for b in range(1000): range(1000)]]))\n}\n", 2, 0},
		{"stack.hcl", "localrc {\n  X = indent(999999999, \"a\\nb\")\n}\n", 2, 7},
		{"stack.hcl", "localrc {\n  X = format(\"%999999999d\", 1)\n}\n", 2, 7},
		{"stack.hcl", "localrc {\n  X = replace(\"" + strings.Repeat("a", 100000) + "\", \"\", \"" + strings.Repeat("b", 100000) + "\")\n}\n", 2, 7},
		{"stack.hcl", "localrc {\n  X = length(jsondecode(\"" + strings.Repeat("[", 1000000) + strings.Repeat("]", 1000000) + "\"))\n}\n", 2, 14},
		{"stack.hcl", "localrc {\n  X = length([for a in range(1000): \"" + strings.Repeat("x", 2000) + "\"])\n}\n", 2, 0},
		{"stack.hcl", "localrc {\n  X = length([" + strings.Repeat("1,", 1000000) + "1])\n}\n", 2, 14},
		{"stack.json", `{"services": {"enable": [` + strings.Repeat(`"a",`, 1000000) + `"a"]}}`, 1, 25},
		{"stack.json", `{"localrc": {"X": "%{for a in range(1024)}` + strings.Repeat("x", 1<<20) + `%{endfor}"}}`, 1, 20},
		{"stack.json", `{"localrc": {"X": "${[for a in range(1024): \"` + strings.Repeat("x", 1<<20) + `\"]}"}}`, 1, 22},
	} {
		_, diags := Parse(c.name, []byte(c.src), localconf.Options{})
		if len(diags) == 0 || schema.RuleOf(diags[0]) != schema.RuleLimit.ID {
			t.Errorf("%.40q: got %v, want a limit diagnostic", c.src, diags)
			continue
		}
		if s := diags[0].Subject.Start; s.Line != c.line || c.col != 0 && s.Column != c.col {
			t.Errorf("%.40q: limit at %d:%d, want %d:%d", c.src, s.Line, s.Column, c.line, c.col)
		}
	}
}
