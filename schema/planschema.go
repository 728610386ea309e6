package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed plan.schema.json
var planJSONSchema []byte

// PlanJSONSchema returns the JSON Schema (draft 2020-12) of the plan file
// format 1.x, as plan/planfile.Marshal writes it. docs/plan-format.md
// explains it for tool authors. The result is a fresh copy the caller may
// keep or modify.
func PlanJSONSchema() []byte { return bytes.Clone(planJSONSchema) }

// planSchemaURL identifies the embedded schema to the validator.
const planSchemaURL = "https://github.com/stackplan/stackplan/schema/plan.schema.json"

var compiledPlanSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(planJSONSchema))
	if err != nil {
		return nil, fmt.Errorf("plan.schema.json is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(planSchemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(planSchemaURL) // also checks the schema against the 2020-12 metaschema
})

// ValidatePlanJSON checks a plan document against the plan's JSON Schema:
// exactly the format this version writes, no unknown field.
func ValidatePlanJSON(data []byte) error {
	sch, err := compiledPlanSchema()
	if err != nil {
		return fmt.Errorf("plan.schema.json does not compile: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}
