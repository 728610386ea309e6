// Package schematest validates documents against JSON Schemas, the plan's
// among them, for tests. It is a package of its own so that the stackplan binary
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
	return CompileSchema(schema.PlanJSONSchema(), planSchemaURL)
})

// CompileSchema compiles a JSON Schema document, known by url to references
// within it; a draft is taken from its $schema, else 2020-12. Compiling also
// checks the document against its draft's metaschema.
func CompileSchema(doc []byte, url string) (*jsonschema.Schema, error) {
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("%s is not JSON: %w", url, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(url, parsed); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

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
