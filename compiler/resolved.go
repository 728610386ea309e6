package compiler

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Registration is one enable_plugin call as bash ran it when apply
// sourced localrc: the values DevStack clones with.
type Registration struct {
	Name, URL, Ref, Dir string
	// Line is the line of the localrc script (the plan's localrc step,
	// counting from 1) whose statement led to the call; 0 when unknown.
	Line int
}

// NeedsResolution reports whether applying p needs localrc run first to
// know what to clone: a plugin field known only at apply, or code the plan
// did not follow (eval, source) that may enable plugins.
func NeedsResolution(p *plan.Plan) bool {
	return len(ResolvedAtApply(p)) > 0
}

// ResolvedAtApply lists, for people, the values of p that apply resolves
// by sourcing localrc before it clones anything.
func ResolvedAtApply(p *plan.Plan) []string {
	var out []string
	for _, pl := range p.Plugins {
		if len(pl.KnownAtApply) > 0 {
			out = append(out, fmt.Sprintf("plugin %s: %s (%s)", pl.Name, strings.Join(pl.KnownAtApply, ", "), pl.Source))
		}
	}
	for _, r := range p.ResolvedAtApply {
		out = append(out, fmt.Sprintf("plugins enabled by the code at %s", r))
	}
	return out
}

// statementsNotFollowed are the ranges of the findings about localrc code
// the plan does not follow (source, eval, command substitution), where
// plugins may be enabled unseen; a finding suppressed by an ignore comment
// still counts.
func statementsNotFollowed(diags hcl.Diagnostics) []plan.Range {
	var out []plan.Range
	for _, d := range diags {
		if d.Subject != nil && schema.RuleOf(d) == schema.RuleNotEvaluated.ID {
			out = append(out, plan.RangeOf(*d.Subject))
		}
	}
	return out
}

// WithRegistrations returns a copy of cfg whose plugins are what localrc
// registered when apply ran it (regs, in registration order): the plan's
// values known only at apply are filled in, plugins enabled where the plan
// could not see (eval, source) are added at the statement that enabled
// them, and a plugin with unknown values that localrc did not enable (its
// condition was false) is dropped. Compiling the result checks the
// resolved values against every rule of the plan. The report says, for
// people, what was resolved. A value the plan knew that bash gives
// differently is an error: the plan and DevStack disagree.
func WithRegistrations(cfg *schema.Config, regs []Registration) (*schema.Config, []string, error) {
	out := *cfg
	out.Plugins = nil
	var report []string
	matched := make([]int, len(cfg.Plugins)) // registration index + 1
	for j, pl := range cfg.Plugins {
		for i, r := range regs {
			if slices.Contains(matched, i+1) {
				continue
			}
			if pl.Name.Known() && pl.Name.String() == r.Name || !pl.Name.Known() && r.Line > 0 && localrcLine(cfg, r.Line).Start.Line == pl.Range.Start.Line && localrcLine(cfg, r.Line).Filename == pl.Range.Filename {
				matched[j] = i + 1
				break
			}
		}
	}
	emitted := make([]bool, len(cfg.Plugins))
	keepUpTo := func(j int) {
		for k := 0; k < j; k++ {
			if emitted[k] || matched[k] != 0 {
				continue
			}
			emitted[k] = true
			if unknownFields(cfg.Plugins[k]) == nil {
				out.Plugins = append(out.Plugins, cfg.Plugins[k])
				continue
			}
			report = append(report, fmt.Sprintf("plugin %s (%s) was not enabled when localrc ran: left out", shownName(cfg.Plugins[k]), rangeText(cfg.Plugins[k].Range)))
		}
	}
	for i, r := range regs {
		j := slices.Index(matched, i+1)
		if j < 0 {
			rng := localrcLine(cfg, r.Line)
			out.Plugins = append(out.Plugins, schema.Plugin{
				Name: schema.KnownString(r.Name, r.Name, rng), URL: schema.KnownString(r.URL, r.URL, rng),
				Ref: schema.KnownString(r.Ref, r.Ref, rng), Dir: schema.KnownString(r.Dir, r.Dir, rng), Range: rng,
			})
			report = append(report, fmt.Sprintf("plugin %s enabled at %s: url %s, ref %s, dir %s", r.Name, rangeText(rng), schema.RedactURLs(r.URL), r.Ref, r.Dir))
			continue
		}
		keepUpTo(j)
		emitted[j] = true
		pl, lines, err := resolvePlugin(cfg.Plugins[j], r)
		if err != nil {
			return nil, nil, err
		}
		report = append(report, lines...)
		out.Plugins = append(out.Plugins, pl)
	}
	keepUpTo(len(cfg.Plugins))
	return &out, report, nil
}

// resolvePlugin fills in pl's unknown values with what bash registered,
// and checks that bash agrees with the values the plan knew.
func resolvePlugin(pl schema.Plugin, r Registration) (schema.Plugin, []string, error) {
	var report []string
	fields := []struct {
		name string
		v    *schema.Value
		got  string
	}{{"name", &pl.Name, r.Name}, {"url", &pl.URL, r.URL}, {"ref", &pl.Ref, r.Ref}, {"dir", &pl.Dir, r.Dir}}
	for _, f := range fields {
		switch {
		case f.v.Known() && f.v.String() != f.got:
			return pl, nil, fmt.Errorf("%s: localrc, run as DevStack runs it, enables plugin %s with %s %s where the plan says %s; write the value literally in localrc, or report the difference as a stackplan bug",
				rangeText(pl.Range), r.Name, f.name, schema.RedactURLs(f.got), schema.RedactURLs(f.v.String()))
		case !f.v.Known():
			report = append(report, fmt.Sprintf("plugin %s: %s %s is %s", r.Name, f.name, f.v.Text, schema.RedactURLs(f.got)))
			*f.v = schema.KnownString(f.got, f.v.Text, f.v.Range)
		}
	}
	return pl, report, nil
}

// unknownFields names the fields of pl not known at plan time.
func unknownFields(pl schema.Plugin) []string {
	var out []string
	for name, v := range map[string]schema.Value{"name": pl.Name, "url": pl.URL, "ref": pl.Ref, "dir": pl.Dir} {
		if !v.Known() && !v.Missing() {
			out = append(out, name)
		}
	}
	return out
}

func shownName(pl schema.Plugin) string {
	if pl.Name.Known() {
		return pl.Name.String()
	}
	return pl.Name.Text
}

func rangeText(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// localrcLine is the input range of line n of the localrc script the
// plan's localrc step sources: each section of cfg.Localrc followed by a
// newline (see stepBuilder.localrc). Without a line, the first section.
func localrcLine(cfg *schema.Config, n int) hcl.Range {
	if len(cfg.Localrc) == 0 {
		return hcl.Range{}
	}
	first := cfg.Localrc[0].Range
	if n <= 0 {
		return first
	}
	for _, sp := range cfg.Localrc {
		lines := strings.Count(sp.Text, "\n") + 1
		if n <= lines {
			return localrcLineRange(sp, n)
		}
		n -= lines
	}
	return first
}

// localrcLineRange is the range of line n (from 1) of the localrc section sp.
func localrcLineRange(sp schema.Span, n int) hcl.Range {
	start := sp.Range.Start
	text := sp.Text
	for range n - 1 {
		i := strings.IndexByte(text, '\n')
		start.Byte += i + 1
		text = text[i+1:]
	}
	start.Line += n - 1
	start.Column = 1
	end := start
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	end.Byte += len(text)
	end.Column += utf8.RuneCountInString(text)
	return hcl.Range{Filename: sp.Range.Filename, Start: start, End: end}
}
