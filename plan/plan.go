package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// FormatVersion is the version of the plan's JSON format. Readers refuse a
// plan whose major version differs from theirs.
const FormatVersion = "2.2"

// Plan is a compiled, ordered DevStack plan.
type Plan struct {
	FormatVersion string `json:"format_version"`
	Tool          Tool   `json:"tool"`
	// Inputs are the files the plan was compiled from, in order.
	Inputs []Input `json:"inputs"`
	// Env lists the environment variables the configuration read, with
	// secret values masked.
	Env []EnvVar `json:"env,omitempty"`
	// Dest is DevStack's DEST once localrc has run.
	Dest    string   `json:"dest"`
	Plugins []Plugin `json:"plugins"`
	// Sorted is set when plugins (and so their steps) are in requirement
	// order (plan --sort) rather than registration order.
	Sorted   bool     `json:"sorted,omitempty"`
	Services Services `json:"services"`
	// ResolvedAtApply lists the localrc statements the plan does not
	// follow (eval, source, command substitution), where plugins may be
	// enabled unseen: apply sources localrc before it clones anything to
	// learn what they enable (format 2.2).
	ResolvedAtApply []Range `json:"resolved_at_apply,omitempty"`
	// Projects are DevStack's own repositories stack.sh clones for the
	// enabled services, present when the plan was made with a DevStack
	// checkout (--devstack): apply clones them in its clone stage, in
	// parallel with the plugins, so stack.sh finds them in place.
	Projects []Project `json:"projects,omitempty"`
	Steps    []Step    `json:"steps"`
	// Diagnostics are present only when the plan has problems; a plan with
	// errors is printed for tools but never written for apply.
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
}

// Tool names the program that made the plan.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Input is one file the plan was compiled from.
type Input struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
}

// EnvVar is one environment variable the configuration read.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Plugin is one resolved plugin, in registration order.
type Plugin struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	Ref  string `json:"ref"`
	// Dir is where the plugin is checked out: DEST/NAME as DevStack
	// computes it when enable_plugin runs.
	Dir string `json:"dir"`
	// Commit is the commit the ref resolved to, when it was resolved.
	Commit string `json:"commit,omitempty"`
	// KnownAtApply lists the fields ("url", "ref", "dir") whose value is
	// known only when localrc runs; such a field holds its source text.
	KnownAtApply []string `json:"known_at_apply,omitempty"`
	// Conditional is set when the plugin is enabled only under a condition
	// that is not known at plan time.
	Conditional bool     `json:"conditional,omitempty"`
	Requires    []string `json:"requires,omitempty"`
	Source      Range    `json:"source"`
	// Checkout describes the checkout already at Dir when the plan was made
	// with a destination to compare (plan --dest); absent when there was
	// none, and apply will clone.
	Checkout *Checkout `json:"checkout,omitempty"`
}

// Project is one of DevStack's own repositories, as stack.sh would clone
// it with git_clone $X_REPO $X_DIR $X_BRANCH.
type Project struct {
	// Name is the repository's directory name under DEST: "nova".
	Name string `json:"name"`
	URL  string `json:"url"`
	Ref  string `json:"ref"`
	Dir  string `json:"dir"`
	// Service is the enabled service stack.sh clones it for ("n-api",
	// "g-api"), or "stack.sh" for the repositories it always clones.
	Service string `json:"service"`
	// FullHistory is set when stack.sh clones the repository with its
	// whole history whatever GIT_DEPTH says (requirements).
	FullHistory bool `json:"full_history,omitempty"`
	// Source is stackrc's assignment of the repository's URL.
	Source Range `json:"source"`
}

// Checkout is an existing checkout and what apply will do with it.
type Checkout struct {
	URL    string `json:"url,omitempty"`
	Commit string `json:"commit"`
	// Branch is the checked-out branch; absent when HEAD is detached, as
	// DevStack leaves it.
	Branch string `json:"branch,omitempty"`
	// Changed counts tracked files with uncommitted changes.
	Changed int `json:"changed,omitempty"`
	// LocalCommits counts commits made in the checkout that no remote
	// branch or tag holds.
	LocalCommits int `json:"local_commits,omitempty"`
	// Drift lists how the checkout differs from the configuration: "url"
	// (another remote), "commit" (not where the ref points now, with
	// --online).
	Drift []string `json:"drift,omitempty"`
	// Action is what apply will do: "keep" (DevStack uses an existing
	// checkout as it is unless RECLONE is set), "update" (RECLONE), or
	// "refuse" (RECLONE would discard local work; apply needs --force).
	Action string `json:"action"`
}

// Services is the service selection after localrc.
type Services struct {
	// Enabled is ENABLED_SERVICES in order; absent when it is known only at apply.
	Enabled      []string `json:"enabled,omitempty"`
	KnownAtApply bool     `json:"known_at_apply,omitempty"`
	Disabled     []string `json:"disabled,omitempty"`
}

// Range is a span of an input file. Lines and columns count from 1; Byte is
// the 0-based offset.
type Range struct {
	File  string `json:"file"`
	Start Pos    `json:"start"`
	End   Pos    `json:"end"`
}

// Pos is one position in an input file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// DiagnosticOf is the one conversion of a finding to the JSON shape both
// plan --json and lint --format json write. Anything that is not a warning
// counts as an error, so that a diagnostic of unknown severity fails a run.
func DiagnosticOf(d *hcl.Diagnostic) Diagnostic {
	out := Diagnostic{Severity: "error", Rule: schema.RuleOf(d), Summary: d.Summary, Detail: d.Detail}
	if d.Severity == hcl.DiagWarning {
		out.Severity = "warning"
	}
	if d.Subject != nil {
		r := RangeOf(*d.Subject)
		out.Range = &r
	}
	return out
}

// RangeOf converts an hcl.Range.
func RangeOf(r hcl.Range) Range {
	return Range{
		File:  r.Filename,
		Start: Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:   Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}

// HCL converts back to an hcl.Range.
func (r Range) HCL() hcl.Range {
	return hcl.Range{
		Filename: r.File,
		Start:    hcl.Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:      hcl.Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}

func (r Range) String() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Start.Line, r.Start.Column) }

// Diagnostic is one problem found while compiling, as it appears in plan JSON.
type Diagnostic struct {
	Severity string `json:"severity"` // "error" or "warning"
	Rule     string `json:"rule,omitempty"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	Range    *Range `json:"range,omitempty"`
}
