package docs_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/schema/schematest"
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
	if err := schematest.ValidatePlanJSON([]byte(example)); err != nil {
		t.Errorf("the example in plan-format.md fails the schema: %v", err)
	}
}
