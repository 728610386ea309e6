package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/schema/schematest"
)

// exampleConfigs are the shipped examples the README points at.
var exampleConfigs = []string{
	"examples/local.conf",
	"examples/broken/local.conf",
	"examples/legacy/localrc",
}

// TestExamples compiles every shipped example through the CLI and compares
// the human and JSON plans with reviewed golden files in examples/golden,
// so the examples cannot go stale. Every JSON plan must validate against
// the published JSON Schema.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	for _, example := range exampleConfigs {
		t.Run(example, func(t *testing.T) {
			base := strings.NewReplacer("examples/", "", "/", "__").Replace(example)
			for _, view := range []struct {
				suffix string
				args   []string
			}{
				{".plan.txt", []string{"plan", "--verbose"}},
				{".plan.json", []string{"plan", "--json"}},
			} {
				var stdout, stderr bytes.Buffer
				c := Command{Stdout: &stdout, Stderr: &stderr, Getwd: func() (string, error) { return root, nil }}
				args := append(view.args, "--color", "never", filepath.Join(root, example))
				code := c.Main(args)
				if strings.Contains(example, "broken") != (code == ExitFindings) {
					t.Fatalf("stackplan %v exited %d; stderr:\n%s", args, code, stderr.String())
				}
				// Golden files name the example relative to the repository.
				got := strings.ReplaceAll(stdout.String(), filepath.Join(root, "examples")+"/", "examples/")
				golden := filepath.Join(root, "examples", "golden", base+view.suffix)
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("%s differs (-want +got):\n%s", golden, diff)
				}
				if view.suffix == ".plan.json" {
					if err := schematest.ValidatePlanJSON([]byte(got)); err != nil {
						t.Errorf("%s does not validate against schema/plan.schema.json: %v", golden, err)
					}
				}
			}
		})
	}
}
