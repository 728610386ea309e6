package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryLeavesOutTestSupport: packages only tests need stay out of the
// binary. The JSON Schema validator alone, by initializing its metaschemas,
// used to cost a third of a typical plan's run.
func TestBinaryLeavesOutTestSupport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/stackplan/stackplan/schema") {
		t.Fatalf("go list -deps does not list the schema package: %v", deps)
	}
	for _, p := range []string{"testing", "github.com/santhosh-tekuri/jsonschema/v6", "github.com/stackplan/stackplan/schema/schematest"} {
		if slices.Contains(deps, p) {
			t.Errorf("the stackplan binary links %s", p)
		}
	}
}
