// Package schematest validates plan documents against the plan's JSON
// Schema, for tests. It is a package of its own so that the stackplan binary
// does not link the validator, whose initialization alone (compiling its
// metaschemas) costs about a third of a typical plan's run.
package schematest

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stackplan/stackplan/schema"
)

// planSchemaURL identifies the embedded schema to the validator.
const planSchemaURL = "https://github.com/stackplan/stackplan/schema/plan.schema.json"

var compiledPlanSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.PlanJSONSchema()))
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
