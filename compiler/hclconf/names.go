package hclconf

import (
	"path/filepath"
	"strings"
)

// DefaultFile is the file stackplan looks for when no file is named.
const DefaultFile = "stack.hcl"

// IsHCLFile reports whether a file name is a stack.hcl by name: stack.hcl,
// *.stack.hcl, or their JSON forms stack.hcl.json, stack.json and
// *.stack.json.
func IsHCLFile(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	switch {
	case base == "stack.hcl", base == "stack.json", base == "stack.hcl.json":
		return true
	case strings.HasSuffix(base, ".stack.hcl"), strings.HasSuffix(base, ".stack.json"), strings.HasSuffix(base, ".stack.hcl.json"):
		return true
	}
	return false
}

// IsJSON reports whether a stack.hcl file uses HCL's JSON syntax.
func IsJSON(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".json")
}
