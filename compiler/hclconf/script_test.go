package hclconf_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/plan"
)

// shim stands in for DevStack's enable_plugin (functions-common:1736): it
// prints each registration as bash makes it, with GITDIR's $DEST/NAME.
const shim = `
DEST=/opt/stack
enable_plugin() { printf '%s %s %s %s\n' "$1" "$2" "${3:-master}" "$DEST/$1"; }
enable_service() { :; }
disable_service() { :; }
disable_all_services() { :; }
`

// TestScriptRegistersThePlannedPlugins sources the localrc script a plan
// from stack.hcl carries (Step.Script) in real bash, and checks that it
// registers exactly the plan's plugins: the executor's enable_plugin shim
// refuses any other.
func TestScriptRegistersThePlannedPlugins(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	src := `
# base
localrc {
  GIT_BASE = "https://opendev.org"
  BRANCH   = "stable/2024.1"
  ODD      = "it's a \"quoted\" $value; with ${"$"}{braces} and spaces"
}
plugin "heat" {
  url = "${GIT_BASE}/openstack/heat"
  ref = BRANCH
}
localrc {
  DEST = "/srv/stack"
}
plugin "barbican" {
  url      = format("%s/openstack/%s", GIT_BASE, lower("BARBICAN"))
  ref      = trimprefix(BRANCH, "stable/")
  requires = ["heat"]
}
plugin "octavia" {
  url = "${env.MIRROR}/openstack/octavia"
}
bash {
  script = <<EOT
for p in a b; do
  :
done
enable_plugin raw-one https://example.org/raw-one
EOT
}
`
	opts := localconf.Options{Env: map[string]string{"MIRROR": "https://mirror.example"}}
	cfg, front := hclconf.Parse("stack.hcl", []byte(src), opts)
	p, diags := compiler.Compile(cfg, front, compiler.Options{})
	if diags.HasErrors() {
		t.Fatalf("errors: %v", diags)
	}
	var script string
	for _, s := range p.Steps {
		if s.Kind == plan.KindLocalrc && s.Lifecycle == plan.Stack {
			script = s.Script
		}
	}
	if script == "" {
		t.Fatal("no localrc script in the plan")
	}
	cmd := exec.Command(bash, "--noprofile", "--norc", "-c", shim+script)
	cmd.Env = []string{"PATH=/nonexistent", "MIRROR=https://mirror.example"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, script)
	}
	var want []string
	for _, pl := range p.Plugins {
		want = append(want, strings.Join([]string{pl.Name, pl.URL, pl.Ref, pl.Dir}, " "))
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bash registered:\n%s\nthe plan has:\n%s\nscript:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), script)
	}
	if len(want) != 4 {
		t.Errorf("plan has %d plugins, want 4: %v", len(want), want)
	}
	for _, a := range cfg.Assignments {
		if a.Name == "ODD" && a.Value.String() != "it's a \"quoted\" $value; with ${braces} and spaces" {
			t.Errorf("ODD = %q", a.Value.String())
		}
	}
}
