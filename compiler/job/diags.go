package job

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Silence drops the warnings of the rules the user named with --ignore;
// errors always stay.
func Silence(diags hcl.Diagnostics, ignore []string) hcl.Diagnostics {
	if len(ignore) == 0 {
		return diags
	}
	return slices.DeleteFunc(slices.Clone(diags), func(d *hcl.Diagnostic) bool {
		return d.Severity == hcl.DiagWarning && slices.Contains(ignore, schema.RuleOf(d))
	})
}

// SilencePlan is Silence for the findings a plan holds.
func SilencePlan(diags []plan.Diagnostic, ignore []string) []plan.Diagnostic {
	if len(ignore) == 0 {
		return diags
	}
	return slices.DeleteFunc(diags, func(d plan.Diagnostic) bool {
		return d.Severity == "warning" && slices.Contains(ignore, d.Rule)
	})
}

// CheckIgnored refuses an --ignore that names no rule.
func CheckIgnored(ignore []string) error {
	for _, r := range ignore {
		if !slices.ContainsFunc(schema.Rules(), func(rule schema.Rule) bool { return rule.ID == r }) {
			return fmt.Errorf("--ignore %s: no such rule (stackplan rules lists them)", r)
		}
	}
	return nil
}

// Grouped is how a job's findings are shown to a person: the Jinja
// expressions once, each with the values that hold it, and any other
// warning repeated at several places once, with the other places listed.
// A multi-node job repeats the same few expressions (a node's address) in
// dozens of variables; one finding each hid the findings that matter.
func Grouped(diags hcl.Diagnostics, files map[string][]byte) hcl.Diagnostics {
	var out, jinja hcl.Diagnostics
	byKey := map[string]int{} // rule and detail -> index in out
	for _, d := range diags {
		rule := schema.RuleOf(d)
		if d.Severity != hcl.DiagWarning || d.Subject == nil {
			out = append(out, d)
			continue
		}
		if rule == schema.RuleZuulJinja.ID {
			jinja = append(jinja, d)
			continue
		}
		key := rule + "\x00" + d.Detail
		i, seen := byKey[key]
		if !seen {
			byKey[key] = len(out)
			c := *d
			out = append(out, &c)
			continue
		}
		first := out[i]
		if !strings.Contains(first.Detail, "\nAlso: ") {
			first.Detail += "\nAlso: "
		} else {
			first.Detail += "; "
		}
		first.Detail += fmt.Sprintf("%s (%s)", d.Summary, shortPos(d.Subject))
	}
	if len(jinja) < 2 {
		return append(out, jinja...)
	}
	type use struct {
		expr  string
		where []string
	}
	var uses []*use
	for _, d := range jinja {
		expr := sourceText(files, d.Subject)
		what, _, _ := strings.Cut(d.Summary, " is a Jinja expression")
		i := slices.IndexFunc(uses, func(u *use) bool { return u.expr == expr })
		if i < 0 {
			uses = append(uses, &use{expr: expr})
			i = len(uses) - 1
		}
		uses[i].where = append(uses[i].where, fmt.Sprintf("%s (%s)", what, shortPos(d.Subject)))
	}
	var b strings.Builder
	b.WriteString("Their values are unknown at plan time: the plan holds an empty value in their place. `stackplan export ansible` fills node addresses from Ansible at deploy time (marked *). Silence this with --ignore zuul-jinja.")
	for _, u := range uses {
		mark := ""
		if zuul.IsAddressExpression(u.expr) {
			mark = " *"
		}
		fmt.Fprintf(&b, "\n  %s%s: %s", u.expr, mark, strings.Join(u.where, ", "))
	}
	summary := jinja[0]
	return append(out, schema.RuleZuulJinja.Diag(
		fmt.Sprintf("%d values are %d Jinja expressions, which Zuul renders only when the job runs", len(jinja), len(uses)),
		b.String(), *summary.Subject))
}

func shortPos(r *hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// sourceText is the text a range covers, unquoted when it is a quoted
// YAML scalar on one line.
func sourceText(files map[string][]byte, r *hcl.Range) string {
	src := files[r.Filename]
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte >= r.End.Byte {
		return "?"
	}
	s := string(src[r.Start.Byte:r.End.Byte])
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	return s
}
