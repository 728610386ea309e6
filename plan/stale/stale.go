// Package stale tells whether a plan saved by 'plan --out' still holds
// for its inputs: each input must have the sha256 the plan recorded, and
// compiling the inputs again must give the same plan. Inputs are recorded
// relative to the plan file, so that a plan applies from any directory as
// long as it moves with its inputs.
package stale

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema"
)

// CheckInputs returns where the inputs of the plan saved at planPath are,
// and an error when one cannot be read or changed since the plan was made.
func CheckInputs(planPath string, saved *plan.Plan) ([]string, error) {
	var inputs []string
	for _, in := range saved.Inputs {
		input := InputOf(planPath, in.Path)
		data, err := os.ReadFile(input)
		if err != nil {
			return nil, fmt.Errorf("stale plan: its input %s cannot be read: %v", input, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != in.SHA256 {
			return nil, fmt.Errorf("stale plan: %s changed since the plan was made (sha256 %s, the plan recorded %s); make a new plan", input, hex.EncodeToString(sum[:])[:12], in.SHA256[:12])
		}
		inputs = append(inputs, input)
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%s: the plan records no input", planPath)
	}
	return inputs, nil
}

// InputsRelativeTo rewrites the plan's input paths relative to the
// directory of the plan file out, so that the plan applies from any
// directory, as long as the plan and its inputs move together.
func InputsRelativeTo(p *plan.Plan, out string) error {
	dir, err := filepath.Abs(filepath.Dir(out))
	if err != nil {
		return err
	}
	for i, in := range p.Inputs {
		if in.Path == schema.StdinName {
			continue
		}
		abs, err := filepath.Abs(in.Path)
		if err != nil {
			return err
		}
		if rel, err := filepath.Rel(dir, abs); err == nil {
			abs = rel
		}
		p.Inputs[i].Path = abs
	}
	return nil
}

// InputOf is where the input path recorded in the plan file planPath
// is: relative to the plan file's directory, or absolute.
func InputOf(planPath, input string) string {
	if filepath.IsAbs(input) {
		return input
	}
	return filepath.Join(filepath.Dir(planPath), input)
}

// RenameInputs gives the source ranges of a plan compiled again from a
// saved plan's inputs the file names the saved plan has: its inputs are
// read from where the plan file says (relative to it), but its ranges name
// them as they were given when the plan was made. The saved plan's names
// are the files its steps point into, in order of first appearance, one
// per input (localrc sections are joined in input order).
func RenameInputs(now *plan.Plan, read []string, saved *plan.Plan) {
	var names []string
	visit := func(p *plan.Plan, f func(r *plan.Range)) {
		for i := range p.Plugins {
			f(&p.Plugins[i].Source)
		}
		for i := range p.Steps {
			if p.Steps[i].Source != nil {
				f(p.Steps[i].Source)
			}
			for j := range p.Steps[i].Sections {
				f(&p.Steps[i].Sections[j])
			}
		}
	}
	visit(saved, func(r *plan.Range) {
		if r.File != "" && !slices.Contains(names, r.File) {
			names = append(names, r.File)
		}
	})
	if len(names) != len(read) {
		return // the comparison will name the difference
	}
	names = inOrderOf(read, names)
	visit(now, func(r *plan.Range) {
		if i := slices.Index(read, r.File); i >= 0 {
			r.File = names[i]
		}
	})
}

// inOrderOf puts names in the order of read when each file's base name
// is unique and both lists have the same ones: the ranges of a plan that
// follows a legacy localrc point into it first, though it is the second
// input. Otherwise names are taken to be in input order.
func inOrderOf(read, names []string) []string {
	out := make([]string, len(read))
	for i, r := range read {
		for _, n := range names {
			if filepath.Base(n) == filepath.Base(r) {
				if out[i] != "" {
					return names // two of the same base name
				}
				out[i] = n
			}
		}
		if out[i] == "" {
			return names
		}
	}
	return out
}

// Difference names the first way two plans differ in what they would
// do, or returns "".
func Difference(saved, now *plan.Plan) string {
	if len(saved.Plugins) != len(now.Plugins) {
		return fmt.Sprintf("%d plugins instead of %d", len(now.Plugins), len(saved.Plugins))
	}
	for i, s := range saved.Plugins {
		n := now.Plugins[i]
		if s.Name != n.Name || s.URL != n.URL || s.Ref != n.Ref || s.Dir != n.Dir {
			return fmt.Sprintf("plugin %d is now %s %s %s at %s, was %s %s %s at %s", i+1, n.Name, n.URL, n.Ref, n.Dir, s.Name, s.URL, s.Ref, s.Dir)
		}
	}
	if len(saved.Steps) != len(now.Steps) {
		return fmt.Sprintf("%d steps instead of %d", len(now.Steps), len(saved.Steps))
	}
	for i, s := range saved.Steps {
		if s.ID != now.Steps[i].ID {
			return fmt.Sprintf("step %d is now %s, was %s", i+1, now.Steps[i].ID, s.ID)
		}
	}
	return wholePlanDifference(saved, now)
}

// wholePlanDifference compares everything else a plan file holds (its
// environment, DEST, services, every field of every step), so that an
// edited plan file is refused: only what plan --online and --dest added
// (resolved commits, the checkouts found) and the tool version may differ.
func wholePlanDifference(saved, now *plan.Plan) string {
	normal := func(p *plan.Plan) []string {
		c := *p
		c.Tool = plan.Tool{}
		c.Diagnostics = nil // a plan file holds none (plan --out drops the warnings it showed)
		c.Plugins = slices.Clone(p.Plugins)
		for i := range c.Plugins {
			c.Plugins[i].Commit, c.Plugins[i].Checkout = "", nil
		}
		data, err := planfile.Marshal(&c)
		if err != nil {
			return []string{err.Error()}
		}
		return strings.Split(string(data), "\n")
	}
	a, b := normal(saved), normal(now)
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			line := func(l []string) string {
				if i < len(l) {
					return strings.TrimSpace(l[i])
				}
				return "(end)"
			}
			return fmt.Sprintf("line %d of the plan file is %s, the inputs give %s", i+1, schema.RedactURLs(line(a)), schema.RedactURLs(line(b)))
		}
	}
	return ""
}
