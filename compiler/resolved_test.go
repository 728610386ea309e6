package compiler_test

import (
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
)

// TestWithRegistrations completes a configuration with what bash
// registered: the unknown ref is filled in, a plugin enabled through eval
// in the second localrc section is added at that statement (the localrc
// script joins the sections, so its line 3 is the file's line 7), and a conditional plugin with an
// unknown ref that bash did not enable is left out. A value the plan knew
// that bash gives differently is refused.
func TestWithRegistrations(t *testing.T) {
	src := `[[local|localrc]]
enable_plugin alpha https://example.com/alpha $(echo stable/x)
[[ $(hostname) == ci ]] && enable_plugin beta https://example.com/beta $(echo v1)
[[post-config|/etc/a.conf]]
[a]
[[local|localrc]]
eval "enable_plugin gamma https://example.com/gamma"
`
	cfg, _ := localconf.Parse("local.conf", []byte(src), localconf.Options{})
	regs := []compiler.Registration{
		{Name: "alpha", URL: "https://example.com/alpha", Ref: "stable/x", Dir: "/opt/stack/alpha", Line: 1},
		{Name: "gamma", URL: "https://example.com/gamma", Ref: "master", Dir: "/opt/stack/gamma", Line: 3},
	}
	got, report, err := compiler.WithRegistrations(cfg, regs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pl := range got.Plugins {
		names = append(names, pl.Name.String()+"@"+pl.Ref.String())
	}
	if strings.Join(names, " ") != "alpha@stable/x gamma@master" {
		t.Errorf("plugins %v", names)
	}
	if g := got.Plugins[1].Range; g.Filename != "local.conf" || g.Start.Line != 7 || g.Start.Column != 1 || string(src[g.Start.Byte:g.End.Byte]) != `eval "enable_plugin gamma https://example.com/gamma"` {
		t.Errorf("gamma is placed at %v", g)
	}
	want := []string{
		"plugin alpha: ref $(echo stable/x) is stable/x",
		"plugin gamma enabled at local.conf:7: url https://example.com/gamma, ref master, dir /opt/stack/gamma",
		"plugin beta (local.conf:3) was not enabled when localrc ran: left out",
	}
	if strings.Join(report, "\n") != strings.Join(want, "\n") {
		t.Errorf("report:\n%s\nwant:\n%s", strings.Join(report, "\n"), strings.Join(want, "\n"))
	}
	if len(cfg.Plugins) != 2 || cfg.Plugins[0].Ref.Known() {
		t.Error("the configuration given was changed")
	}

	regs[0].URL = "https://example.com/other"
	if _, _, err := compiler.WithRegistrations(cfg, regs); err == nil || !strings.Contains(err.Error(), "enables plugin alpha with url https://example.com/other where the plan says https://example.com/alpha") {
		t.Errorf("a URL bash gives differently: %v", err)
	}
}
