package convert

import (
	"strings"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
)

// Equivalence is what two configurations that say the same thing in
// different formats must agree on (docs/hcl.md, "Equivalence").
type Equivalence struct {
	// Plan is the plan JSON without its inputs, its diagnostics and the
	// source ranges of plugins, steps and the statements apply resolves,
	// which say where each thing is written and so depend on the format.
	Plan []byte
	// Merges holds, by merge step ID, the INI lines the step merges as
	// DevStack reads them: blank, comment and indented lines dropped,
	// section headers reduced to their name, blanks around "=" trimmed.
	Merges map[string][]string
}

// EquivalenceOf computes p's Equivalence. p must come from the compiler,
// not from a plan file, which does not hold the INI fragments.
func EquivalenceOf(p *plan.Plan) (Equivalence, error) {
	c := *p
	c.Inputs, c.Diagnostics = nil, nil
	// How many statements apply resolves must agree; where they are depends
	// on the format.
	c.ResolvedAtApply = make([]plan.Range, len(p.ResolvedAtApply))
	c.Plugins = append([]plan.Plugin(nil), p.Plugins...)
	for i := range c.Plugins {
		c.Plugins[i].Source = plan.Range{}
	}
	c.Steps = append([]plan.Step(nil), p.Steps...)
	merges := map[string][]string{}
	for i, s := range c.Steps {
		c.Steps[i].Source, c.Steps[i].Sections = nil, nil
		if s.Kind == plan.KindMerge {
			merges[s.ID] = iniLines(s.Fragment)
		}
	}
	data, err := planfile.Marshal(&c)
	return Equivalence{Plan: data, Merges: merges}, err
}

func iniLines(fragment []plan.SourceLine) []string {
	var lines []string
	for _, l := range fragment {
		if l.Text == "" || l.Text[0] == ' ' || l.Text[0] == '\t' || strings.HasPrefix(l.Text, "#") {
			continue // DevStack's merge skips these
		}
		t := l.Text
		if strings.HasPrefix(t, "[") && strings.Contains(t[1:], "]") {
			t = "[" + strings.NewReplacer("[", "", "]", "").Replace(strings.Fields(t)[0]) + "]"
		} else if k, v, ok := strings.Cut(t, "="); ok {
			t = strings.TrimRight(k, " \t") + " = " + strings.Trim(v, " \t")
		}
		lines = append(lines, t)
	}
	return lines
}
