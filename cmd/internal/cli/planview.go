package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/stackplan/stackplan/plan"
)

// writePlanText renders the human view of a plan: a one-screen summary
// (plugins in order with refs, steps grouped by phase), or every step with
// verbose.
func writePlanText(w io.Writer, p *plan.Plan, verbose bool) {
	inputs := make([]string, len(p.Inputs))
	for i, in := range p.Inputs {
		inputs[i] = in.Path
	}
	fmt.Fprintf(w, "Plan for %s: %d plugin(s), %d step(s), DEST %s\n", strings.Join(inputs, ", "), len(p.Plugins), len(p.Steps), p.Dest)

	if len(p.Plugins) > 0 {
		order := "registration order"
		if p.Sorted {
			order = "requirement order (--sort)"
		}
		fmt.Fprintf(w, "\nPlugins, in %s:\n", order)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for i, pl := range p.Plugins {
			var notes []string
			if pl.Conditional {
				notes = append(notes, "conditional")
			}
			if len(pl.KnownAtApply) > 0 {
				notes = append(notes, strings.Join(pl.KnownAtApply, ", ")+" known at apply")
			}
			if co := pl.Checkout; co != nil {
				note := "checkout at " + short(co.Commit) + ": " + co.Action
				if len(co.Drift) > 0 {
					note += ", stale " + strings.Join(co.Drift, " and ")
				}
				if co.Changed > 0 || co.LocalCommits > 0 {
					note += ", has local work"
				}
				notes = append(notes, note)
			}
			note := ""
			if len(notes) > 0 {
				note = "\t(" + strings.Join(notes, "; ") + ")"
			}
			fmt.Fprintf(tw, "  %d.\t%s\t%s\t%s\t%s%s\n", i+1, pl.Name, pl.Ref, pl.URL, pl.Dir, note)
		}
		tw.Flush()
	}

	if len(p.ResolvedAtApply) > 0 {
		fmt.Fprintln(w, "\nNot followed at plan time; apply sources localrc first and adds the plugins enabled by:")
		for _, r := range p.ResolvedAtApply {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}

	if len(p.Projects) > 0 {
		fmt.Fprintln(w, "\nDevStack's own repositories, cloned with the plugins:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, pr := range p.Projects {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t(for %s)\n", pr.Name, pr.Ref, pr.URL, pr.Dir, pr.Service)
		}
		tw.Flush()
	}

	for _, lc := range plan.Lifecycles {
		steps := p.StepsOf(lc)
		if len(steps) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d steps):\n", lifecycleTitle(lc), len(steps))
		if verbose {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, s := range steps {
				src := ""
				if s.Source != nil {
					src = s.Source.String()
				}
				fmt.Fprintf(tw, "  %s\t%s\n", s.ID, src)
			}
			tw.Flush()
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, g := range groupSteps(steps) {
			fmt.Fprintf(tw, "  %s\t%s\n", g.label, strings.Join(g.items, ", "))
		}
		tw.Flush()
	}

	writeServices(w, p.Services)
}

// writeServices lists the enabled services by name, wrapped, as DevStack's
// ENABLED_SERVICES holds them after localrc, then the disabled ones.
func writeServices(w io.Writer, s plan.Services) {
	if s.KnownAtApply {
		fmt.Fprintln(w, "\nServices: known at apply")
	} else {
		fmt.Fprintf(w, "\nServices, %d enabled:\n", len(s.Enabled))
		writeWrapped(w, s.Enabled)
	}
	if len(s.Disabled) > 0 {
		fmt.Fprintf(w, "Disabled: %s\n", strings.Join(s.Disabled, ", "))
	}
}

// writeWrapped writes names comma-separated on indented lines of at most
// 80 columns, never splitting a name.
func writeWrapped(w io.Writer, names []string) {
	const indent, width = "  ", 80
	line := indent
	for i, n := range names {
		item := n
		if i < len(names)-1 {
			item += ","
		}
		if line != indent && len(line)+1+len(item) > width {
			fmt.Fprintln(w, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += item
	}
	if line != indent {
		fmt.Fprintln(w, line)
	}
}

func lifecycleTitle(lc plan.Lifecycle) string {
	switch lc {
	case plan.Stack:
		return "stack.sh"
	case plan.Unstack:
		return "unstack.sh"
	}
	return "clean.sh"
}

// stepGroup is a run of consecutive steps of the same kind and phase.
type stepGroup struct {
	label string
	items []string
}

func groupSteps(steps []plan.Step) []stepGroup {
	var groups []stepGroup
	for _, s := range steps {
		label, item := string(s.Kind), s.Plugin
		if s.Project != "" {
			item = s.Project + " (DevStack)"
		}
		switch s.Kind {
		case plan.KindPhase:
			label = strings.TrimSpace(string(s.Mode) + " " + string(s.Phase))
		case plan.KindMerge:
			label, item = "merge "+string(s.Group), s.File
		case plan.KindLocalrc:
			item = fmt.Sprintf("%d section(s)", len(s.Sections))
		}
		if s.Nested != "" {
			label = s.Nested + ": " + label
		}
		if n := len(groups); n > 0 && groups[n-1].label == label {
			groups[n-1].items = append(groups[n-1].items, item)
			continue
		}
		groups = append(groups, stepGroup{label: label, items: []string{item}})
	}
	return groups
}
