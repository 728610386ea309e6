package localconf

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// val renders a schema.Value for comparison: the string when known, "?"
// and the source text when unknown, "-" when missing.
func val(v schema.Value) string {
	switch {
	case v.Missing():
		return "-"
	case !v.Known():
		return "?" + v.Text
	}
	return v.String()
}

func at(r hcl.Range) string {
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
}

// plug is a schema.Plugin reduced to what the tests compare.
type plug struct {
	Name, URL, Ref, Dir string
	Cond                bool
	At                  string // range of the name
}

func plugs(cfg *schema.Config) []plug {
	var out []plug
	for _, p := range cfg.Plugins {
		out = append(out, plug{val(p.Name), val(p.URL), val(p.Ref), val(p.Dir), p.Conditional, at(p.Name.Range)})
	}
	return out
}

// assigns renders assignments as "NAME=value", "NAME+=value", with a
// leading "if " when conditional.
func assigns(cfg *schema.Config) []string {
	var out []string
	for _, a := range cfg.Assignments {
		op := "="
		if a.Append {
			op = "+="
		}
		s := a.Name + op + val(a.Value)
		if a.Conditional {
			s = "if " + s
		}
		out = append(out, s)
	}
	return out
}

// rules renders diagnostics as "rule@line:col".
func rules(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%s@%d:%d", schema.RuleOf(d), d.Subject.Start.Line, d.Subject.Start.Column))
	}
	return out
}

func lrc(body string) []byte { return []byte("[[local|localrc]]\n" + strings.TrimPrefix(body, "\n")) }
