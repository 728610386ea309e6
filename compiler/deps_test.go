package compiler_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/schema"
)

// depsCase compiles a localrc body with settings files per plugin and
// checks the dependency findings and both plan orders.
type depsCase struct {
	name     string
	localrc  string
	settings map[string]string
	findings string // "line rule: summary" per finding of the dependency rules
	order    string // plan --sort plugin order
}

func runDeps(t *testing.T, tt depsCase) {
	t.Helper()
	src := "[[local|localrc]]\n" + tt.localrc
	cfg, front := localconf.Parse("local.conf", []byte(src), localconf.Options{})
	decls := map[string]*pluginsettings.Declarations{}
	for name, text := range tt.settings {
		decls[name] = pluginsettings.Parse(name+"/devstack/settings", []byte(text))
	}
	opts := compiler.Options{Settings: decls}
	_, diags := compiler.Compile(cfg, front, opts)
	var got []string
	for _, d := range diags {
		switch schema.RuleOf(d) {
		case "requires-missing", "requires-order", "requires-cycle", "settings-declaration":
			got = append(got, fmt.Sprintf("%s:%d %s: %s", d.Subject.Filename, d.Subject.Start.Line, schema.RuleOf(d), d.Summary))
		default:
			t.Errorf("unexpected finding %s: %s", schema.RuleOf(d), d.Summary)
		}
	}
	if g := strings.Join(got, "\n"); g != tt.findings {
		t.Errorf("findings:\n%s\nwant:\n%s", g, tt.findings)
	}
	opts.Sort = true
	p, _ := compiler.Compile(cfg, front, opts)
	var names []string
	for _, pl := range p.Plugins {
		names = append(names, pl.Name)
	}
	if g := strings.Join(names, " "); g != tt.order {
		t.Errorf("sorted order %q, want %q", g, tt.order)
	}
	// Every step follows the plan's plugin order.
	seen := map[string]int{}
	for i, pl := range p.Plugins {
		seen[pl.Name] = i
	}
	last := -1
	for _, s := range p.Steps {
		if s.Kind == "clone" {
			if seen[s.Plugin] < last {
				t.Errorf("clone of %s out of the plan's order", s.Plugin)
			}
			last = seen[s.Plugin]
		}
	}
}

func ep(name string, requires ...string) string {
	line := "enable_plugin " + name + " https://opendev.org/x/" + name
	if len(requires) > 0 {
		line += " # stackplan: requires=" + strings.Join(requires, ",")
	}
	return line + "\n"
}

func settingsOf(name string, requires ...string) string {
	s := "define_plugin " + name + "\n"
	for _, r := range requires {
		s += "plugin_requires " + name + " " + r + "\n"
	}
	return s
}

// TestDependencies covers the Zuul role's failure cases (docs/devstack.md
// §7.2), each with the right result, and the declaration sources.
func TestDependencies(t *testing.T) {
	tests := []depsCase{
		{name: "no requirements keep the user's order, not the alphabet",
			localrc: ep("zeta") + ep("alpha") + ep("mid"), order: "zeta alpha mid"},
		{name: "chain a→b→c (the role gives b, c, a)",
			localrc:  ep("a") + ep("b") + ep("c"),
			settings: map[string]string{"a": settingsOf("a", "b"), "b": settingsOf("b", "c")},
			findings: "local.conf:3 requires-order: plugin a requires b, which is enabled after it\n" +
				"local.conf:4 requires-order: plugin b requires c, which is enabled after it",
			order: "c b a"},
		{name: "diamond (the role depends on set order)",
			localrc: ep("a", "b", "c") + ep("b", "d") + ep("c", "d") + ep("d"),
			findings: "local.conf:3 requires-order: plugin a requires b, which is enabled after it\n" +
				"local.conf:4 requires-order: plugin a requires c, which is enabled after it\n" +
				"local.conf:5 requires-order: plugin b requires d, which is enabled after it\n" +
				"local.conf:5 requires-order: plugin c requires d, which is enabled after it",
			order: "d b c a"},
		{name: "missing dependency (the role raises KeyError)",
			localrc:  ep("octavia"),
			settings: map[string]string{"octavia": settingsOf("octavia", "barbican")},
			findings: "local.conf:2 requires-missing: plugin octavia requires barbican, which is not enabled",
			order:    "octavia"},
		{name: "cycle (the role names one plugin)",
			localrc:  ep("a", "b") + ep("b") + ep("c", "a"),
			settings: map[string]string{"b": settingsOf("b", "c")},
			findings: "local.conf:2 requires-cycle: plugin requirements form a cycle: a → b → c → a",
			order:    "c b a"},
		{name: "already right",
			localrc:  ep("barbican") + ep("octavia"),
			settings: map[string]string{"octavia": settingsOf("octavia", "barbican")},
			order:    "barbican octavia"},
		{name: "settings define another name: the role files them there",
			localrc:  ep("lb") + ep("octavia"),
			settings: map[string]string{"lb": settingsOf("octavia", "neutron")},
			findings: "lb/devstack/settings:1 settings-declaration: the settings of plugin lb define plugin octavia\n" +
				"local.conf:3 requires-missing: plugin octavia requires neutron, which is not enabled",
			order: "lb octavia"},
		{name: "requirement before the definition is ignored and reported",
			localrc:  ep("octavia") + ep("barbican"),
			settings: map[string]string{"octavia": "plugin_requires octavia barbican\ndefine_plugin octavia\n"},
			findings: "octavia/devstack/settings:1 settings-declaration: plugin_requires octavia barbican before define_plugin is ignored",
			order:    "octavia barbican"},
		{name: "the same requirement from the comment and the settings is one finding",
			localrc:  ep("octavia", "barbican") + ep("barbican"),
			settings: map[string]string{"octavia": settingsOf("octavia", "barbican")},
			findings: "local.conf:3 requires-order: plugin octavia requires barbican, which is enabled after it",
			order:    "barbican octavia"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runDeps(t, tt) })
	}
}

// TestDependencyMessages checks what the messages tell the user to do.
func TestDependencyMessages(t *testing.T) {
	src := "[[local|localrc]]\n" + ep("a", "b") + "# a comment\n" + ep("b") + ep("x", "y") + ep("c", "d") + ep("d", "c")
	cfg, front := localconf.Parse("local.conf", []byte(src), localconf.Options{})
	_, diags := compiler.Compile(cfg, front, compiler.Options{})
	want := map[string][]string{
		"requires-order":   {"Move line 4 (enable_plugin b) above line 2 (enable_plugin a)", "declared at local.conf:2", "lint --fix"},
		"requires-missing": {"declared at local.conf:5", "above line 5", "KeyError: 'y'"},
		"requires-cycle":   {"c requires d (local.conf:6)", "d requires c (local.conf:7)"},
	}
	for _, d := range diags {
		for _, w := range want[schema.RuleOf(d)] {
			if !strings.Contains(d.Detail, w) {
				t.Errorf("%s: detail %q lacks %q", schema.RuleOf(d), d.Detail, w)
			}
		}
		delete(want, schema.RuleOf(d))
	}
	for rule := range want {
		t.Errorf("no %s finding", rule)
	}
	// --sort turns an order finding into a warning: the plan is right.
	_, diags = compiler.Compile(cfg, front, compiler.Options{Sort: true})
	for _, d := range diags {
		if schema.RuleOf(d) == "requires-order" && d.Severity != hcl.DiagWarning {
			t.Errorf("requires-order under --sort has severity %v", d.Severity)
		}
	}
}
