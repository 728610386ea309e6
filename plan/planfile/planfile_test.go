package planfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/plan"
)

func validPlan() *plan.Plan {
	return &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Tool:          plan.Tool{Name: "stackplan", Version: "test"},
		Inputs:        []plan.Input{{Path: "local.conf", Kind: "local.conf", SHA256: strings.Repeat("0", 64)}},
		Dest:          "/opt/stack",
		Plugins:       []plan.Plugin{{Name: "alpha", URL: "https://opendev.org/x/alpha", Ref: "master", Dir: "/opt/stack/alpha"}},
		Steps: []plan.Step{
			{ID: "stack:clone:alpha", Kind: plan.KindClone, Lifecycle: plan.Stack, Plugin: "alpha"},
			{ID: "stack:phase:install:alpha", Kind: plan.KindPhase, Lifecycle: plan.Stack, Plugin: "alpha", Mode: "stack", Phase: "install"},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	want := validPlan()
	want.Steps[0].Script = "ADMIN_PASSWORD=never-written"
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("never-written")) {
		t.Fatal("a step's script was serialised")
	}
	f, _ := os.Open(path)
	defer f.Close()
	got, err := Read(f, path)
	if err != nil {
		t.Fatal(err)
	}
	want.Steps[0].Script = ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	again, _ := Marshal(got)
	if !bytes.Equal(again, data) {
		t.Error("marshalling a read plan does not give the same bytes")
	}
}

func TestReadRefuses(t *testing.T) {
	marshal := func(mutate func(*plan.Plan)) string {
		p := validPlan()
		mutate(p)
		data, err := Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, tc := range []struct {
		name, input, wantErr string
	}{
		{"corrupt JSON", `{"format_version": "1.0", "plugins": [`, "corrupt JSON"},
		{"not a plan", `{"hello": 1}`, "no format_version"},
		{"newer major version", marshal(func(p *plan.Plan) { p.FormatVersion = "3.0" }), "format version 3.0 is not supported"},
		{"plan with errors", marshal(func(p *plan.Plan) { p.Diagnostics = []plan.Diagnostic{{Severity: "error", Summary: "x"}} }), "has errors"},
		{"traversal in a name", marshal(func(p *plan.Plan) { p.Plugins[0].Name = "../x" }), `contains ".."`},
		{"dir outside DEST/NAME", marshal(func(p *plan.Plan) { p.Plugins[0].Dir = "/etc" }), "not an absolute, clean DEST/alpha path"},
		{"ref as git option", marshal(func(p *plan.Plan) { p.Plugins[0].Ref = "--upload-pack=/bin/sh" }), "starts with '-'"},
		{"ext transport", marshal(func(p *plan.Plan) { p.Plugins[0].URL = "ext::sh -c id" }), "whitespace"},
		{"value unknown", marshal(func(p *plan.Plan) { p.Plugins[0].KnownAtApply = []string{"url"} }), "known only at apply"},
		{"duplicate step", marshal(func(p *plan.Plan) { p.Steps[1].ID = p.Steps[0].ID }), "appears twice"},
		{"step of unknown plugin", marshal(func(p *plan.Plan) { p.Steps[1].Plugin = "ghost" }), "unknown plugin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.input), "p.json")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Read error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestReadAcceptsNewerMinorVersion(t *testing.T) {
	p := validPlan()
	p.FormatVersion = "2.7"
	data, _ := Marshal(p)
	data = bytes.Replace(data, []byte(`"dest"`), []byte(`"field_from_1_7": true, "dest"`), 1)
	if _, err := Read(bytes.NewReader(data), "p.json"); err != nil {
		t.Fatalf("a newer minor version with an added field must be readable: %v", err)
	}
}
