package docs_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/schema"
)

// example is one fenced code block of rules.md marked title="bad" or
// title="good".
type example struct {
	rule   string
	title  string // "bad" or "good"
	inject string // "", "nul" or "crlf"
	// remote, for the --online rules, is what the plugin remote
	// advertises: "URL head=BRANCH refs=REF,REF" or "URL unreachable".
	remote string
	// checkout, for stale-checkout, is a checkout found at a plugin's
	// directory: "DIR url=URL commit=SHA changed=N".
	checkout string
	// localrc, for legacy-localrc, is the one-line legacy localrc file
	// beside the example's local.conf.
	localrc string
	// yaml marks a Zuul file example (see zuul_test.go).
	yaml bool
	// plugin names the plugin of a settings block.
	plugin string
	line   int // of the opening fence, for messages
	text   string

	// hcl marks a stack.hcl example (an hcl fence; see hcl_test.go).
	hcl bool
}

// entry is one "## rule-id" section of rules.md.
type entry struct {
	id       string
	line     int
	severity string // the first word after **Severity:**
	examples []example
	// settings maps a plugin name to its devstack/settings, from blocks
	// fenced ```bash settings="NAME"```; every example of the entry is
	// compiled with them, as lint would read them from checkouts.
	settings map[string][]byte
}

var (
	headingRE = regexp.MustCompile(`^## (\S+)\s*$`)
	fenceRE   = regexp.MustCompile("^```(\\S*)(.*)$")
	attrRE    = regexp.MustCompile(`(\w+)="([^"]*)"`)
	severeRE  = regexp.MustCompile(`^\*\*Severity:\*\*\s+(\w+)`)
)

// parseRules reads rules.md into its entries. Anything malformed is a test
// failure, so the document cannot drift into a shape the test skips.
func parseRules(t *testing.T) []entry {
	t.Helper()
	f, err := os.Open("rules.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entries []entry
	var cur *entry
	var block *example
	var body strings.Builder
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if block != nil {
			if text == "```" {
				block.text = body.String()
				if block.title == "settings" {
					cur.settings[block.plugin] = []byte(block.text)
					block = nil
					continue
				}
				cur.examples = append(cur.examples, *block)
				block = nil
				continue
			}
			body.WriteString(text)
			body.WriteByte('\n')
			continue
		}
		if m := headingRE.FindStringSubmatch(text); m != nil {
			entries = append(entries, entry{id: m[1], line: n})
			cur = &entries[len(entries)-1]
			continue
		}
		if m := severeRE.FindStringSubmatch(text); m != nil && cur != nil {
			if cur.severity != "" {
				t.Errorf("rules.md:%d: %s has a second Severity line", n, cur.id)
			}
			cur.severity = m[1]
			continue
		}
		if m := fenceRE.FindStringSubmatch(text); m != nil && m[1] != "" {
			attrs := map[string]string{}
			for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
				attrs[a[1]] = a[2]
			}
			title := attrs["title"]
			if plugin := attrs["settings"]; plugin != "" && cur != nil {
				if cur.settings == nil {
					cur.settings = map[string][]byte{}
				}
				block = &example{rule: cur.id, title: "settings", plugin: plugin, line: n}
				body.Reset()
				continue
			}
			if title != "bad" && title != "good" {
				continue // an illustration, not an example
			}
			if cur == nil {
				t.Fatalf("rules.md:%d: example before the first rule heading", n)
			}
			isHCL := m[1] == "hcl"
			if isHCL {
				m[1] = "ini"
			}
			if m[1] != "ini" && m[1] != "yaml" {
				t.Errorf("rules.md:%d: example fence is %q, want ini (a local.conf) or yaml (a Zuul file)", n, m[1])
			}
			switch attrs["inject"] {
			case "", "nul", "crlf":
			default:
				t.Errorf("rules.md:%d: unknown inject=%q", n, attrs["inject"])
			}
			block = &example{rule: cur.id, title: title, inject: attrs["inject"], remote: attrs["remote"], checkout: attrs["checkout"], localrc: attrs["localrc"], line: n, yaml: m[1] == "yaml"}
			block.hcl = isHCL
			body.Reset()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if block != nil {
		t.Fatalf("rules.md:%d: unterminated code block", block.line)
	}
	return entries
}

// bytesOf builds the input an example stands for.
func (ex example) bytesOf(t *testing.T) []byte {
	t.Helper()
	switch ex.inject {
	case "nul":
		if !strings.Contains(ex.text, "<NUL>") {
			t.Fatalf("rules.md:%d: inject=\"nul\" but no <NUL> in the block", ex.line)
		}
		return []byte(strings.ReplaceAll(ex.text, "<NUL>", "\x00"))
	case "crlf":
		return []byte(strings.ReplaceAll(ex.text, "\n", "\r\n"))
	}
	if strings.Contains(ex.text, "<NUL>") {
		t.Fatalf("rules.md:%d: <NUL> without inject=\"nul\"", ex.line)
	}
	return []byte(ex.text)
}

// compile runs the real front-end and compiler, as `stackplan lint` does
// (with --online when the example describes a remote).
func compile(src []byte, remote, checkout, localrc string, settings map[string][]byte) hcl.Diagnostics {
	var opts localconf.Options
	if localrc != "" {
		opts.Localrc = &localconf.Fragment{Name: "localrc", Src: []byte(localrc + "\n")}
	}
	cfg, front := localconf.Parse("local.conf", src, opts)
	decls := map[string]*pluginsettings.Declarations{}
	for name, text := range settings {
		decls[name] = pluginsettings.Parse(name+"/devstack/settings", text)
	}
	_, diags := compiler.Compile(cfg, front, compiler.Options{Remotes: remotesOf(remote), Checkouts: checkoutsOf(checkout), Settings: decls})
	return diags
}

// checkoutsOf builds what plan --dest would have found from an example's
// checkout attribute.
func checkoutsOf(attr string) map[string]compiler.CheckoutState {
	fields := strings.Fields(attr)
	if len(fields) == 0 {
		return nil
	}
	var st compiler.CheckoutState
	for _, f := range fields[1:] {
		switch k, v, _ := strings.Cut(f, "="); k {
		case "url":
			st.URL = v
		case "commit":
			st.Commit = v
		case "changed":
			fmt.Sscan(v, &st.Changed)
		}
	}
	return map[string]compiler.CheckoutState{fields[0]: st}
}

// remotesOf builds what --online would have listed from an example's
// remote attribute; every ref points at one made-up commit.
func remotesOf(attr string) map[string]compiler.Remote {
	fields := strings.Fields(attr)
	if len(fields) == 0 {
		return nil
	}
	r := compiler.Remote{Refs: map[string]string{}}
	for _, f := range fields[1:] {
		switch k, v, _ := strings.Cut(f, "="); k {
		case "head":
			r.Head = v
		case "refs":
			for _, ref := range strings.Split(v, ",") {
				r.Refs["refs/"+ref] = strings.Repeat("a", 40)
			}
		case "unreachable":
			r.Err = errors.New("connection refused")
		}
	}
	return map[string]compiler.Remote{fields[0]: r}
}

func describe(diags hcl.Diagnostics) string {
	if len(diags) == 0 {
		return "no findings"
	}
	var b strings.Builder
	for _, d := range diags {
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		fmt.Fprintf(&b, "\n\tline %d: %s [%s]", line, d.Summary, schema.RuleOf(d))
	}
	return b.String()
}

func sevName(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// TestRulesDocumented checks that rules.md has exactly one entry per rule of
// schema.Rules(), no entry for an unknown rule, the right severity, and at
// least one bad and one good example in each entry.
func TestRulesDocumented(t *testing.T) {
	entries := parseRules(t)
	if len(entries) == 0 {
		t.Fatal("rules.md has no rule entries")
	}
	seen := map[string]int{}
	for _, e := range entries {
		if prev, dup := seen[e.id]; dup {
			t.Errorf("rules.md:%d: rule %s documented twice (first at line %d)", e.line, e.id, prev)
			continue
		}
		seen[e.id] = e.line
		r, ok := schema.LookupRule(e.id)
		if !ok {
			t.Errorf("rules.md:%d: %q is not a rule of schema.Rules()", e.line, e.id)
			continue
		}
		if e.severity != sevName(r.Severity) {
			t.Errorf("rules.md:%d: %s: documented severity %q, schema says %q", e.line, e.id, e.severity, sevName(r.Severity))
		}
		var bad, good int
		for _, ex := range e.examples {
			if ex.title == "bad" {
				bad++
			} else {
				good++
			}
		}
		if bad == 0 || good == 0 {
			t.Errorf("rules.md:%d: %s has %d bad and %d good examples; want at least one of each", e.line, e.id, bad, good)
		}
	}
	for _, r := range schema.Rules() {
		if _, ok := seen[r.ID]; !ok {
			t.Errorf("rule %s is not documented in rules.md", r.ID)
		}
	}
}

// TestRuleExamples compiles every example: a bad one must raise its rule, a
// good one must not, and must be clean, since users copy good examples.
func TestRuleExamples(t *testing.T) {
	for _, e := range parseRules(t) {
		for _, ex := range e.examples {
			t.Run(fmt.Sprintf("%s/%s@%d", e.id, ex.title, ex.line), func(t *testing.T) {
				diags := compile(ex.bytesOf(t), ex.remote, ex.checkout, ex.localrc, e.settings)
				if ex.hcl {
					diags = compileHCL(ex.bytesOf(t))
				}
				if ex.yaml {
					diags = compileZuul(t, ex.bytesOf(t))
				}
				fired := false
				for _, d := range diags {
					if schema.RuleOf(d) == e.id {
						fired = true
					}
				}
				switch ex.title {
				case "bad":
					if !fired {
						t.Errorf("rules.md:%d: bad example of %s does not raise it; got %s", ex.line, e.id, describe(diags))
					}
				case "good":
					if fired {
						t.Errorf("rules.md:%d: good example of %s raises it:%s", ex.line, e.id, describe(diags))
					} else if len(diags) > 0 {
						t.Errorf("rules.md:%d: good example of %s is not clean:%s", ex.line, e.id, describe(diags))
					}
				}
			})
		}
	}
}

// TestInjectMarkers checks that the inject markers really produce the bytes
// the rules need, so an example cannot pass by accident.
func TestInjectMarkers(t *testing.T) {
	nul := example{inject: "nul", text: "a<NUL>b\n"}.bytesOf(t)
	if string(nul) != "a\x00b\n" {
		t.Errorf("nul inject gave %q", nul)
	}
	crlf := example{inject: "crlf", text: "a\nb\n"}.bytesOf(t)
	if string(crlf) != "a\r\nb\r\n" {
		t.Errorf("crlf inject gave %q", crlf)
	}
}
