package docs_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stackplan/stackplan/schema"
)

// TestPlanFormatExample checks that the example in plan-format.md is a
// valid plan, so the page cannot drift from the schema.
func TestPlanFormatExample(t *testing.T) {
	page, err := os.ReadFile("plan-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(page), "```json\n")
	if !ok {
		t.Fatal("plan-format.md has no ```json example")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("plan-format.md: unterminated ```json example")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.PlanJSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plan.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(example))
	if err != nil {
		t.Fatalf("the example is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the example in plan-format.md fails the schema: %v", err)
	}
}
