package plan_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// TestSchemasSayTheWords checks both JSON Schemas against the one
// definition of the domain words (words.go, step.go): a phase, group,
// mode, step kind or lifecycle added in Go but not in a schema, or the
// other way round, fails here.
func TestSchemasSayTheWords(t *testing.T) {
	var planDoc struct {
		Defs struct {
			Step struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"step"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(schema.PlanJSONSchema(), &planDoc); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../schema/stack-hcl.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var hclDoc struct {
		Properties struct {
			Config struct {
				PropertyNames struct {
					Enum []string `json:"enum"`
				} `json:"propertyNames"`
			} `json:"config"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &hclDoc); err != nil {
		t.Fatal(err)
	}
	strs := func(vs ...string) []string { return vs }
	var kinds, lifecycles []string
	for _, k := range plan.Kinds {
		kinds = append(kinds, string(k))
	}
	for _, lc := range plan.Lifecycles {
		lifecycles = append(lifecycles, string(lc))
	}
	step := planDoc.Defs.Step.Properties
	for _, c := range []struct {
		where     string
		got, want []string
	}{
		{"plan.schema.json step phase", step["phase"].Enum, plan.PhaseNames()},
		{"plan.schema.json step group", step["group"].Enum, plan.GroupNames()},
		{"plan.schema.json step mode", step["mode"].Enum, strs(string(plan.ModeStack), string(plan.ModeUnstack), string(plan.ModeClean))},
		{"plan.schema.json step kind", step["kind"].Enum, kinds},
		{"plan.schema.json step lifecycle", step["lifecycle"].Enum, lifecycles},
		{"stack-hcl.schema.json config groups", hclDoc.Properties.Config.PropertyNames.Enum, plan.GroupNames()},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s differs from the Go definition (-go +schema):\n%s", c.where, diff)
		}
	}
}

// TestStackStagesWellFormed: each stage is a phase or a group, never both,
// and each word appears once.
func TestStackStagesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range plan.StackStages {
		if (s.Phase == "") == (s.Group == "") {
			t.Errorf("stage %+v: exactly one of Phase and Group must be set", s)
		}
		key := string(s.Phase) + "|" + string(s.Group)
		if seen[key] {
			t.Errorf("stage %+v appears twice", s)
		}
		seen[key] = true
	}
}
