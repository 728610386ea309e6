package plan

import "slices"

// The words of DevStack's plugin interface, defined once: the compiler
// lays out steps from them, the front-ends check meta-section groups
// against them, the executor passes them to plugin.sh, and a test checks
// both JSON Schemas (schema/plan.schema.json, schema/stack-hcl.schema.json)
// against them. Adding a phase or a group is a change here and in those
// two schemas; docs/architecture.md says what else to look at.

// Mode is the first argument plugin.sh receives: the script sourcing it.
type Mode string

const (
	ModeStack   Mode = "stack"
	ModeUnstack Mode = "unstack"
	ModeClean   Mode = "clean"
)

// Phase is the second argument plugin.sh receives in stack.sh. unstack.sh
// and clean.sh pass no phase.
type Phase string

const (
	PhasePreInstall Phase = "pre-install"
	PhaseInstall    Phase = "install"
	PhasePostConfig Phase = "post-config"
	PhaseExtra      Phase = "extra"
	PhaseTestConfig Phase = "test-config"
)

// Group is a local.conf meta-section group ([[GROUP|FILE]]) whose sections
// stack.sh merges into FILE.
type Group string

const (
	GroupPostConfig Group = "post-config"
	GroupExtra      Group = "extra"
	GroupPostExtra  Group = "post-extra"
	GroupTestConfig Group = "test-config"
)

// GroupLocal is the group of [[local|localrc]], which stackrc reads as
// bash rather than merging it.
const GroupLocal = "local"

// StackStage is one stage of stack.sh after the plugins' settings: every
// plugin's plugin.sh sourced with Phase, or the sections of Group merged.
// Exactly one of the two is set.
type StackStage struct {
	Phase Phase
	Group Group
}

// StackStages are stack.sh's stages in the order it runs them
// (docs/devstack.md §4): each phase once for every plugin, the merges of
// a group once for every file.
var StackStages = []StackStage{
	{Phase: PhasePreInstall},
	{Phase: PhaseInstall},
	{Phase: PhasePostConfig},
	{Group: GroupPostConfig},
	{Group: GroupExtra},
	{Phase: PhaseExtra},
	{Group: GroupPostExtra},
	{Phase: PhaseTestConfig},
	{Group: GroupTestConfig},
}

// Phases lists stack.sh's plugin.sh phases in order.
func Phases() []Phase { return pick(func(s StackStage) Phase { return s.Phase }) }

// Groups lists the merged meta-section groups in the order stack.sh
// merges them.
func Groups() []Group { return pick(func(s StackStage) Group { return s.Group }) }

// PhaseNames are Phases as strings, for messages.
func PhaseNames() []string { return names(Phases()) }

// GroupNames are Groups as strings, for messages and suggestions.
func GroupNames() []string { return names(Groups()) }

// IsGroup reports whether name is a merged meta-section group.
func IsGroup(name string) bool { return slices.Contains(GroupNames(), name) }

// pick lists the non-empty values of one field of StackStages, in order.
func pick[T ~string](field func(StackStage) T) []T {
	var out []T
	for _, s := range StackStages {
		if v := field(s); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func names[T ~string](words []T) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = string(w)
	}
	return out
}
