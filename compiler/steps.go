package compiler

import (
	"strings"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// buildSteps lays out the three lifecycles in DevStack's order
// (docs/devstack.md §4, §10):
//
//	stack:   clone each; clone each DevStack project; localrc; override-defaults each; settings each;
//	         then plan.StackStages: pre-install, install, post-config each;
//	         merge post-config; merge extra; extra each; merge post-extra;
//	         test-config each; merge test-config
//	unstack: localrc; override-defaults each; settings each; unstack each
//	clean:   localrc; the unstack steps again, nested (clean.sh runs
//	         "unstack.sh --all" before its hooks); settings each; clean each
//
// A plugin enabled twice gets steps once: DevStack dies at the second
// enable_plugin, and step IDs stay unique.
func buildSteps(cfg *schema.Config, plugins []plan.Plugin, projects []plan.Project) []plan.Step {
	seen := map[string]bool{}
	var unique []plan.Plugin
	for _, p := range plugins {
		if !seen[p.Name] {
			seen[p.Name] = true
			unique = append(unique, p)
		}
	}
	// 16 steps per plugin across the three lifecycles, plus localrc and merges.
	b := stepBuilder{cfg: cfg, plugins: unique, steps: make([]plan.Step, 0, 16*len(unique)+4+len(cfg.Sections))}
	b.lc = plan.Stack
	b.each(func(p plan.Plugin) plan.Step { return plan.Step{Kind: plan.KindClone, Plugin: p.Name} })
	for _, pr := range projects {
		src := pr.Source
		b.steps = append(b.steps, plan.Step{
			ID: plan.StepID(plan.Stack, "", plan.KindClone, "project", pr.Name), Kind: plan.KindClone,
			Lifecycle: plan.Stack, Project: pr.Name, Source: &src,
		})
	}
	b.localrc()
	b.each(sourced(plan.KindOverrideDefaults))
	b.each(sourced(plan.KindSettings))
	for _, stage := range plan.StackStages {
		if stage.Phase != "" {
			b.each(phase(plan.ModeStack, stage.Phase))
		} else {
			b.merges(stage.Group)
		}
	}

	b.lc = plan.Unstack
	b.unstack()

	b.lc = plan.Clean
	b.localrc()
	b.nested = plan.NestedUnstack
	b.unstack()
	b.nested = ""
	b.each(sourced(plan.KindSettings))
	b.each(phase(plan.ModeClean, ""))
	return b.steps
}

type stepBuilder struct {
	cfg     *schema.Config
	plugins []plan.Plugin
	lc      plan.Lifecycle
	nested  string // plan.Step.Nested of the steps added
	steps   []plan.Step
}

// unstack adds what unstack.sh sources.
func (b *stepBuilder) unstack() {
	b.localrc()
	b.each(sourced(plan.KindOverrideDefaults))
	b.each(sourced(plan.KindSettings))
	b.each(phase(plan.ModeUnstack, ""))
}

func sourced(kind plan.Kind) func(plan.Plugin) plan.Step {
	return func(p plan.Plugin) plan.Step { return plan.Step{Kind: kind, Plugin: p.Name} }
}

func phase(mode plan.Mode, ph plan.Phase) func(plan.Plugin) plan.Step {
	return func(p plan.Plugin) plan.Step {
		return plan.Step{Kind: plan.KindPhase, Plugin: p.Name, Mode: mode, Phase: ph}
	}
}

// each adds one step per plugin, in registration order.
func (b *stepBuilder) each(mk func(plan.Plugin) plan.Step) {
	for _, p := range b.plugins {
		s := mk(p)
		s.Lifecycle, s.Nested = b.lc, b.nested
		phaseOrMode := string(s.Phase)
		if s.Kind == plan.KindPhase && phaseOrMode == "" {
			phaseOrMode = string(s.Mode)
		}
		s.ID = plan.StepID(b.lc, b.nested, s.Kind, phaseOrMode, p.Name)
		src := p.Source
		s.Source = &src
		b.steps = append(b.steps, s)
	}
}

func (b *stepBuilder) localrc() {
	if len(b.cfg.Localrc) == 0 {
		return
	}
	s := plan.Step{ID: plan.StepID(b.lc, b.nested, plan.KindLocalrc), Kind: plan.KindLocalrc, Lifecycle: b.lc, Nested: b.nested}
	var script strings.Builder
	for _, sp := range b.cfg.Localrc {
		s.Sections = append(s.Sections, plan.RangeOf(sp.Range))
		script.WriteString(sp.Text)
		script.WriteByte('\n')
	}
	src := s.Sections[0]
	s.Source = &src
	s.Script = script.String()
	b.steps = append(b.steps, s)
}

// merges adds one merge step per distinct file of the group, in the order
// of the first header naming it. DevStack merges once per header, but each
// run applies every section of the file, so one step gives the same result.
func (b *stepBuilder) merges(group plan.Group) {
	index := map[string]int{}
	for _, sec := range b.cfg.Sections {
		if sec.Group != string(group) {
			continue
		}
		i, seen := index[sec.File]
		if !seen {
			i = len(b.steps)
			index[sec.File] = i
			src := plan.RangeOf(sec.Header)
			b.steps = append(b.steps, plan.Step{
				ID: plan.StepID(b.lc, "", plan.KindMerge, string(group), sec.File), Kind: plan.KindMerge, Lifecycle: b.lc,
				Group: group, File: sec.File, Source: &src,
			})
		}
		s := &b.steps[i]
		if sec.Body.Text == "" {
			continue
		}
		s.Sections = append(s.Sections, plan.RangeOf(sec.Body.Range))
		first := sec.Body.Range.Start.Line
		for n, text := range strings.Split(sec.Body.Text, "\n") {
			s.Fragment = append(s.Fragment, plan.SourceLine{File: sec.Body.Range.Filename, Line: first + n, Text: text})
		}
	}
}
