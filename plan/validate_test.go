package plan

import (
	"strings"
	"testing"
)

// TestValidateRefusesForgedPlans checks what a plan file written by hand
// (or by an attacker) cannot get past: the executor validates every plan
// before it clones or runs anything.
func TestValidateRefusesForgedPlans(t *testing.T) {
	good := func() *Plan {
		return &Plan{
			Dest:    "/opt/stack",
			Plugins: []Plugin{{Name: "heat", URL: "https://opendev.org/openstack/heat", Ref: "master", Dir: "/opt/stack/heat"}},
			Steps: []Step{
				{ID: "stack:clone:heat", Kind: KindClone, Lifecycle: Stack, Plugin: "heat"},
				{ID: "stack:merge:post-config:$NOVA_CONF", Kind: KindMerge, Lifecycle: Stack, Group: "post-config", File: "$NOVA_CONF"},
			},
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good plan is refused: %v", err)
	}
	for _, tc := range []struct {
		name  string
		forge func(p *Plan)
		want  string
	}{
		{"name traversal", func(p *Plan) { p.Plugins[0].Name = "../heat"; p.Steps[0].Plugin = "../heat" }, `".."`},
		{"dir not clean", func(p *Plan) { p.Plugins[0].Dir = "/opt/stack/../../etc/heat" }, "DEST/heat"},
		{"ext transport", func(p *Plan) { p.Plugins[0].URL = "ext::sh" }, "transport::address"},
		{"option as URL", func(p *Plan) { p.Plugins[0].URL = "--upload-pack=x" }, "option"},
		{"ssh option as host", func(p *Plan) { p.Plugins[0].URL = "ssh://-oProxyCommand=x/y" }, "option"},
		{"option as ref", func(p *Plan) { p.Plugins[0].Ref = "--upload-pack=x" }, "option"},
		{"merge file command", func(p *Plan) { p.Steps[1].File = "$(touch x)" }, "config file name"},
		{"merge file semicolon", func(p *Plan) { p.Steps[1].File = "/etc/a;id" }, "config file name"},
		{"unknown plugin step", func(p *Plan) { p.Steps[0].Plugin = "evil" }, "unknown plugin"},
		{"known only at apply", func(p *Plan) { p.Plugins[0].KnownAtApply = []string{"url"} }, "known only at apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.forge(p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestRefKnownAtApply: a plan whose ref is known only at apply is valid
// (apply resolves it first), but not applicable until it is resolved; a
// name, URL or directory known only at apply is never valid.
func TestRefKnownAtApply(t *testing.T) {
	p := &Plan{Dest: "/opt/stack", Plugins: []Plugin{{Name: "heat", URL: "https://opendev.org/openstack/heat", Dir: "/opt/stack/heat"}}}
	p.Plugins[0].Ref, p.Plugins[0].KnownAtApply = "$(cat /etc/branch)", []string{"ref"}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := p.Unresolved(); err == nil || !strings.Contains(err.Error(), "ref known only at apply, and not resolved") {
		t.Errorf("Unresolved = %v", err)
	}
	p.Plugins[0].KnownAtApply = []string{"ref", "dir"}
	if err := p.Validate(); err == nil {
		t.Error("a directory known only at apply passed Validate")
	}
}
