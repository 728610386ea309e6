package plan

import "strings"

// Kind is what a step does.
type Kind string

const (
	// KindClone checks out a plugin's repository at Dir, or, when the step
	// names a Project, one of DevStack's own repositories.
	KindClone Kind = "clone"
	// KindLocalrc sources the localrc sections, as stackrc does, so later
	// steps see every localrc variable.
	KindLocalrc Kind = "localrc"
	// KindOverrideDefaults sources the plugin's devstack/override-defaults.
	KindOverrideDefaults Kind = "override-defaults"
	// KindSettings sources the plugin's devstack/settings.
	KindSettings Kind = "settings"
	// KindPhase sources the plugin's devstack/plugin.sh with Mode and Phase.
	KindPhase Kind = "phase"
	// KindMerge merges the [[Group|File]] INI fragments into File.
	KindMerge Kind = "merge"
)

// Kinds lists the step kinds.
var Kinds = []Kind{KindClone, KindLocalrc, KindOverrideDefaults, KindSettings, KindPhase, KindMerge}

// Lifecycle is which DevStack script a step belongs to.
type Lifecycle string

const (
	Stack   Lifecycle = "stack"   // stack.sh
	Unstack Lifecycle = "unstack" // unstack.sh
	Clean   Lifecycle = "clean"   // clean.sh (which runs unstack.sh first)
)

// NestedUnstack is the Nested value of the clean lifecycle's first steps:
// clean.sh runs "unstack.sh --all" in a process of its own before its own
// hooks.
const NestedUnstack = "unstack.sh"

// Lifecycles lists the lifecycles in the order the plan holds them.
var Lifecycles = []Lifecycle{Stack, Unstack, Clean}

// Step is one unit of work, in plan order.
type Step struct {
	// ID is stable across runs for the same configuration, and unique in
	// the plan: "stack:clone:NAME", "stack:localrc",
	// "stack:settings:NAME", "stack:phase:install:NAME",
	// "stack:merge:post-config:$NOVA_CONF", "unstack:phase:unstack:NAME",
	// "clean:unstack.sh:phase:unstack:NAME" (a nested script's step).
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	Lifecycle Lifecycle `json:"lifecycle"`
	// Nested names the script a lifecycle's script runs in a process of
	// its own, when the step belongs to it: NestedUnstack for the
	// unstack.sh that clean.sh runs first. Empty for the script's own steps.
	Nested string `json:"nested,omitempty"`
	Plugin string `json:"plugin,omitempty"`
	// Project is the DevStack repository a clone step checks out
	// (Plan.Projects); such a step names no plugin.
	Project string `json:"project,omitempty"`
	// Mode and Phase are the arguments plugin.sh receives (phase steps).
	// Phase is empty for unstack and clean, which DevStack passes alone.
	Mode  Mode  `json:"mode,omitempty"`
	Phase Phase `json:"phase,omitempty"`
	// Group and File name a merge step's meta-section; File is exactly as
	// written in the header (e.g. "$NOVA_CONF") and is expanded at apply.
	Group Group  `json:"group,omitempty"`
	File  string `json:"file,omitempty"`
	// Source is what caused the step: the enable_plugin command, the
	// localrc section, or the first header of a merged file.
	Source *Range `json:"source,omitempty"`
	// Sections are every source span the step uses: the localrc sections of
	// a localrc step, the section bodies of a merge step.
	Sections []Range `json:"sections,omitempty"`

	// Script is the bash text a localrc step sources. It is never
	// serialised (it may hold secrets); apply fills it by compiling the
	// inputs again.
	Script string `json:"-"`
	// Fragment is the INI text a merge step merges, as Lines with their
	// source line numbers; never serialised either.
	Fragment []SourceLine `json:"-"`
}

// SourceLine is one line of an input with its 1-based line number.
type SourceLine struct {
	File string
	Line int
	Text string
}

// StepID builds a step ID from its parts, skipping empty ones; nested is
// the Step's Nested.
func StepID(lc Lifecycle, nested string, kind Kind, parts ...string) string {
	b := strings.Builder{}
	b.WriteString(string(lc))
	b.WriteByte(':')
	if nested != "" {
		b.WriteString(nested)
		b.WriteByte(':')
	}
	b.WriteString(string(kind))
	for _, p := range parts {
		if p != "" {
			b.WriteByte(':')
			b.WriteString(p)
		}
	}
	return b.String()
}

// StepsOf returns the steps of one lifecycle, in order.
func (p *Plan) StepsOf(lc Lifecycle) []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Lifecycle == lc {
			out = append(out, s)
		}
	}
	return out
}

// Project returns the DevStack repository with the given name.
func (p *Plan) Project(name string) (Project, bool) {
	for _, pr := range p.Projects {
		if pr.Name == name {
			return pr, true
		}
	}
	return Project{}, false
}

// Plugin returns the plugin with the given name.
func (p *Plan) Plugin(name string) (Plugin, bool) {
	for _, pl := range p.Plugins {
		if pl.Name == name {
			return pl, true
		}
	}
	return Plugin{}, false
}

// HasErrors reports whether any diagnostic is an error.
func (p *Plan) HasErrors() bool {
	for _, d := range p.Diagnostics {
		if d.Severity == "error" {
			return true
		}
	}
	return false
}
