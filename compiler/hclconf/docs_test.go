package hclconf_test

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema/schematest"
)

var fenceRE = regexp.MustCompile("(?s)```(hcl|json)\n(.*?)```")

// TestDocsExamples decodes the examples of docs/hcl.md: neither may have
// an error, and the JSON one must match schema/stack-hcl.schema.json.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/hcl.md")
	if err != nil {
		t.Fatal(err)
	}
	sch := stackSchema(t)
	n := 0
	for _, m := range fenceRE.FindAllSubmatch(doc, -1) {
		n++
		name := "stack.hcl"
		if string(m[1]) == "json" {
			name = "stack.json"
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(m[2]))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("the JSON example does not match the schema: %v", err)
			}
		}
		cfg, diags := hclconf.Parse(name, m[2], localconf.Options{})
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				t.Errorf("%s example: %s", m[1], d.Error())
			}
		}
		if len(cfg.Plugins) == 0 {
			t.Errorf("%s example: no plugin decoded", m[1])
		}
	}
	if n < 2 {
		t.Fatalf("docs/hcl.md has %d hcl/json examples, want both", n)
	}
}

// TestSchemaRefuses checks that the schema is not vacuous.
func TestSchemaRefuses(t *testing.T) {
	sch := stackSchema(t)
	for _, bad := range []string{
		`{"pluggin": {"x": {"url": "u"}}}`,
		`{"plugin": {"x": {"ref": "master"}}}`,
		`{"config": {"post_config": {"$NOVA_CONF": {}}}}`,
		`{"localrc": {"1A": "x"}}`,
	} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad)))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(v) == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}
}

func stackSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := os.ReadFile("../../schema/stack-hcl.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := schematest.CompileSchema(doc, "https://github.com/stackplan/stackplan/schema/stack-hcl.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}
