// Package planfile reads and writes plans as versioned JSON files.
package planfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/stackplan/stackplan/internal/atomicfile"
	"github.com/stackplan/stackplan/plan"
)

// Marshal renders a plan as indented JSON with a trailing newline. The
// output is deterministic: the same plan gives the same bytes.
func Marshal(p *plan.Plan) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes a plan to path atomically: a reader sees the old file or the
// new one, never a part.
func Write(path string, p *plan.Plan) error {
	data, err := Marshal(p)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// maxPlanSize bounds what Read accepts; real plans are a few hundred KB.
const maxPlanSize = 64 << 20

// Read parses a plan file. It refuses a corrupt file, a plan of another
// major format version, and a plan that fails [plan.Plan.Validate].
func Read(r io.Reader, name string) (*plan.Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxPlanSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a plan file", name, maxPlanSize)
	}
	var probe struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a plan file (corrupt JSON: %v)", name, err)
	}
	if probe.FormatVersion == nil {
		return nil, fmt.Errorf("%s: not a plan file (no format_version)", name)
	}
	if major(*probe.FormatVersion) != major(plan.FormatVersion) {
		return nil, fmt.Errorf("%s: plan format version %s is not supported (this stackplan reads %s.x)", name, *probe.FormatVersion, major(plan.FormatVersion))
	}
	var p plan.Plan
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: corrupt plan file: %v", name, err)
	}
	if len(p.Diagnostics) > 0 && p.HasErrors() {
		return nil, fmt.Errorf("%s: the plan has errors and cannot be applied", name)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: invalid plan: %w", name, err)
	}
	return &p, nil
}

func major(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return v
}
