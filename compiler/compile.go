package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/internal/suggest"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Options tune compilation.
type Options struct {
	// ToolVersion is recorded in the plan.
	ToolVersion string
	// Remotes, when set (plan --online), holds what each plugin URL's
	// remote advertised: refs are checked against it and their commits
	// recorded. The caller does the network work.
	Remotes map[string]Remote
	// Checkouts, when set (plan --dest), holds the checkouts found at
	// plugin directories, by directory: the plan says what apply will do
	// with each.
	Checkouts map[string]CheckoutState
	// Env is the environment DevStack inherits (--env), for the switches
	// such as RECLONE that stackrc reads from it.
	Env map[string]string
	// Settings holds what each plugin's devstack/settings declares
	// (define_plugin, plugin_requires), by enable_plugin name. The caller
	// reads the files; a plugin without an entry declares nothing.
	Settings map[string]*pluginsettings.Declarations
	// Sort plans the plugins in their requirement order (plan --sort)
	// instead of the order they are enabled in.
	Sort bool
}

// Compile validates cfg and builds its plan. front holds the diagnostics of
// the front-end that produced cfg; the result carries them with the
// compiler's own, sorted, de-duplicated, with "# stackplan: ignore=RULE"
// suppressions applied and secrets masked. The plan is complete as far as
// the configuration could be understood; it also lists the diagnostics, and
// must not be applied when any is an error.
func Compile(cfg *schema.Config, front hcl.Diagnostics, opts Options) (*plan.Plan, hcl.Diagnostics) {
	red := RedactorFor(cfg)
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Tool:          plan.Tool{Name: "stackplan", Version: opts.ToolVersion},
		Dest:          cfg.Dest,
		Plugins:       []plan.Plugin{},
		Steps:         []plan.Step{},
	}
	for _, in := range cfg.Inputs {
		sum := sha256.Sum256(in.Bytes)
		p.Inputs = append(p.Inputs, plan.Input{Path: in.Path, Kind: in.Kind, SHA256: hex.EncodeToString(sum[:])})
	}
	for _, e := range cfg.Env {
		val := schema.RedactURLs(e.Value)
		if schema.IsSecretName(e.Name) {
			val = schema.Mask
		}
		p.Env = append(p.Env, plan.EnvVar{Name: e.Name, Value: val})
	}
	for _, pl := range cfg.Plugins {
		p.Plugins = append(p.Plugins, planPlugin(pl, red))
	}

	diags := slices.Clone(front)
	diags = append(diags, validatePlugins(cfg, red)...)
	diags = append(diags, validateBranches(cfg)...)
	diags = append(diags, bashStartupAssignments(cfg)...)
	diags = append(diags, validateServices(cfg)...)
	diags = append(diags, validateSections(cfg)...)
	diags = append(diags, resolveRefs(cfg, p.Plugins, opts.Remotes)...)
	diags = append(diags, compareCheckouts(cfg, p.Plugins, opts)...)
	graph, depDiags := Dependencies(cfg, opts)
	diags = append(diags, depDiags...)
	p.Plugins = graph.planPlugins(cfg.Plugins, p.Plugins)
	p.Sorted = graph.Sorted
	p.ResolvedAtApply = statementsNotFollowed(diags)
	diags = suppress(diags, Sources(cfg, opts.Settings))
	diags = append(diags, unknownIgnores(cfg.Inputs)...)
	diags = schema.SortDiagnostics(diags)
	diags = redactDiags(diags)

	p.Services = plan.Services{
		Enabled:      cfg.Services.Enabled,
		KnownAtApply: !cfg.Services.EnabledKnown,
		Disabled:     cfg.Services.Disabled,
	}
	p.Projects = planProjects(cfg, p.Plugins)
	p.Steps = buildSteps(cfg, p.Plugins, p.Projects)
	for _, d := range diags {
		p.Diagnostics = append(p.Diagnostics, plan.DiagnosticOf(d))
	}
	return p, diags
}

func planPlugin(pl schema.Plugin, red *schema.Redactor) plan.Plugin {
	out := plan.Plugin{Conditional: pl.Conditional, Source: plan.RangeOf(pl.Range)}
	field := func(name string, v schema.Value) string {
		if !v.Known() && !v.Missing() {
			out.KnownAtApply = append(out.KnownAtApply, name)
		}
		return red.Value(v)
	}
	out.Name = field("name", pl.Name)
	out.URL = field("url", pl.URL)
	out.Ref = field("ref", pl.Ref)
	out.Dir = field("dir", pl.Dir)
	if pl.Name.Secret {
		// DEST/NAME holds the name: a secret name is masked there too.
		out.Dir = red.Redact(out.Dir)
	}
	for _, r := range pl.Requires {
		out.Requires = append(out.Requires, r.String())
	}
	return out
}

// redactDiags masks URL credentials in diagnostic texts. Values derived
// from secrets are masked where each message is built (see shown).
func redactDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	for i, d := range diags {
		s, det := schema.RedactURLs(d.Summary), schema.RedactURLs(d.Detail)
		if s != d.Summary || det != d.Detail {
			c := *d
			c.Summary, c.Detail = s, det
			diags[i] = &c
		}
	}
	return diags
}

var ignoreRE = regexp.MustCompile(`#\s*stackplan:\s*ignore=([A-Za-z0-9_,-]+)`)

// Sources maps the name of every file a compilation reports on to its
// bytes: the configuration's inputs, and the plugins' settings files.
func Sources(cfg *schema.Config, settings map[string]*pluginsettings.Declarations) map[string][]byte {
	out := make(map[string][]byte, len(cfg.Inputs)+len(settings))
	for _, d := range settings {
		if d != nil && d.Source != nil {
			out[d.File] = d.Source
		}
	}
	for _, in := range cfg.Inputs {
		out[in.Path] = in.Bytes
	}
	return out
}

// suppress drops each diagnostic whose rule is named by a
// "# stackplan: ignore=RULE[,RULE]" comment on the line before it, in the
// file it is about.
func suppress(diags hcl.Diagnostics, sources map[string][]byte) hcl.Diagnostics {
	lines := map[string][]string{}
	for name, src := range sources {
		if ignoreRE.Match(src) {
			lines[name] = strings.Split(string(src), "\n")
		}
	}
	if len(lines) == 0 {
		return diags
	}
	return slices.DeleteFunc(diags, func(d *hcl.Diagnostic) bool {
		if d.Subject == nil {
			return false
		}
		file := lines[d.Subject.Filename]
		prev := d.Subject.Start.Line - 2 // the line before, 0-based
		if prev < 0 || prev >= len(file) {
			return false
		}
		m := ignoreRE.FindStringSubmatch(file[prev])
		return m != nil && slices.Contains(strings.Split(m[1], ","), schema.RuleOf(d))
	})
}

// unknownIgnores reports each rule named by an ignore comment of the
// inputs that does not exist: a misspelt ignore suppresses nothing, and
// the finding it was meant for would otherwise look unexplained.
func unknownIgnores(inputs []schema.Input) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, in := range inputs {
		if !ignoreRE.Match(in.Bytes) {
			continue
		}
		offset := 0
		for i, line := range strings.SplitAfter(string(in.Bytes), "\n") {
			if m := ignoreRE.FindStringSubmatchIndex(line); m != nil {
				start := m[2]
				for _, id := range strings.Split(line[m[2]:m[3]], ",") {
					if _, ok := schema.LookupRule(id); !ok && id != "" {
						summary := fmt.Sprintf("ignore names an unknown rule %q", id)
						if s := suggest.Closest(id, ruleIDs()); s != "" {
							summary += fmt.Sprintf("; did you mean %q?", s)
						}
						diags = append(diags, schema.RuleUnknownIgnore.Diag(summary,
							"The comment suppresses nothing under this name. 'stackplan rules' lists the rules.",
							lineRange(in.Path, i+1, offset, line, start, start+len(id))))
					}
					start += len(id) + 1
				}
			}
			offset += len(line)
		}
	}
	return diags
}

// lineRange is the range of bytes [from, to) of line, the lineNo-th line
// of file, which starts at byte offset.
func lineRange(file string, lineNo, offset int, line string, from, to int) hcl.Range {
	col := func(b int) int { return utf8.RuneCountInString(line[:b]) + 1 }
	return hcl.Range{Filename: file,
		Start: hcl.Pos{Line: lineNo, Column: col(from), Byte: offset + from},
		End:   hcl.Pos{Line: lineNo, Column: col(to), Byte: offset + to}}
}

func ruleIDs() []string {
	var ids []string
	for _, r := range schema.Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}

// RedactorFor returns the redactor that masks cfg's secrets: the values of
// secret-named variables and environment entries, and URL credentials.
func RedactorFor(cfg *schema.Config) *schema.Redactor {
	red := &schema.Redactor{}
	red.SecretsOf(cfg)
	return red
}
