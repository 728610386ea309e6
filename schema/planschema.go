package schema

import (
	"bytes"
	_ "embed"
)

//go:embed plan.schema.json
var planJSONSchema []byte

// PlanJSONSchema returns the JSON Schema (draft 2020-12) of the plan file
// format 1.x, as plan/planfile.Marshal writes it. docs/plan-format.md
// explains it for tool authors, and schema/schematest validates plans
// against it. The result is a fresh copy the caller may keep or modify.
func PlanJSONSchema() []byte { return bytes.Clone(planJSONSchema) }
