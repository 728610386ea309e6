package localconf

import (
	"testing"

	"github.com/stackplan/stackplan/schema"
)

// TestParseFragments: fragments are one local.conf in pieces. Variables
// set in one reach the next, meta-sections of all are kept in order, and
// every position points into the fragment it came from.
func TestParseFragments(t *testing.T) {
	base := []byte("[[local|localrc]]\nDEST=/srv/stack\nGIT_BASE=https://opendev.org\nenable_plugin alpha $GIT_BASE/x/alpha\n\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n")
	extra := []byte("# CI additions\n[[local|localrc]]\nenable_plugin beta $GIT_BASE/x/beta stable/2025.1\nenabel_plugin gamma x\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\nverbose = True\n")
	cfg, diags := ParseFragments([]Fragment{{Name: "base.conf", Src: base}, {Name: "ci.conf", Src: extra}}, Options{})

	if len(cfg.Inputs) != 2 || cfg.Inputs[0].Path != "base.conf" || cfg.Inputs[1].Path != "ci.conf" {
		t.Fatalf("inputs = %+v", cfg.Inputs)
	}
	if len(cfg.Plugins) != 2 {
		t.Fatalf("plugins = %d, want 2", len(cfg.Plugins))
	}
	beta := cfg.Plugins[1]
	if beta.URL.String() != "https://opendev.org/x/beta" || beta.Dir.String() != "/srv/stack/beta" {
		t.Errorf("beta = %s at %s: GIT_BASE and DEST from the first fragment must reach the second", beta.URL.String(), beta.Dir.String())
	}
	if r := beta.Name.Range; r.Filename != "ci.conf" || r.Start.Line != 3 || r.Start.Column != 15 {
		t.Errorf("beta's name is at %s:%d:%d, want ci.conf:3:15", r.Filename, r.Start.Line, r.Start.Column)
	}
	if r := cfg.Plugins[0].Name.Range; r.Filename != "base.conf" || r.Start.Line != 4 {
		t.Errorf("alpha's name is at %s:%d, want base.conf:4", r.Filename, r.Start.Line)
	}
	if len(cfg.Localrc) != 2 || cfg.Localrc[1].Range.Filename != "ci.conf" {
		t.Errorf("localrc spans = %+v", cfg.Localrc)
	}
	if len(cfg.Sections) != 2 || cfg.Sections[0].Header.Filename != "base.conf" || cfg.Sections[1].Header.Filename != "ci.conf" {
		t.Errorf("meta-sections = %+v", cfg.Sections)
	}
	var typo bool
	for _, d := range diags {
		if schema.RuleOf(d) == "unknown-command" && d.Subject.Filename == "ci.conf" && d.Subject.Start.Line == 4 {
			typo = true
		}
	}
	if !typo {
		t.Errorf("the typo in ci.conf:4 is not reported there: %v", diags)
	}
	if cfg.Dest != "/srv/stack" {
		t.Errorf("DEST = %q", cfg.Dest)
	}
}

// TestParseIsOneFragment: Parse and ParseFragments of one file agree.
func TestParseIsOneFragment(t *testing.T) {
	src := []byte("[[local|localrc]]\nenable_plugin a https://x/a\n")
	one, d1 := Parse("local.conf", src, Options{})
	frag, d2 := ParseFragments([]Fragment{{Name: "local.conf", Src: src}}, Options{})
	if len(d1) != len(d2) || len(one.Plugins) != 1 || len(frag.Plugins) != 1 || one.Plugins[0].Range != frag.Plugins[0].Range {
		t.Fatalf("Parse %+v %v != ParseFragments %+v %v", one.Plugins, d1, frag.Plugins, d2)
	}
}
