package localconf

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/internal/srcpos"
	"github.com/stackplan/stackplan/schema"
)

// besideLocalrc reports, for a legacy localrc file beside local.conf, what
// DevStack does with the pair (docs/devstack.md §2.4): stackrc sources
// that file whenever it exists, and extract_localrc_section, finding a
// [[local|localrc]] section too, prints "localrc and
// local.conf:[[local]] both exist, using localrc" and extracts nothing.
// Each such section of the inputs already read into cfg is named, at its
// header; without one, the localrc file itself is named. The no-localrc
// findings of diags, which the file makes untrue, are dropped.
func besideLocalrc(cfg *schema.Config, legacy Fragment, diags hcl.Diagnostics) hcl.Diagnostics {
	diags = slices.DeleteFunc(diags, func(d *hcl.Diagnostic) bool { return schema.RuleOf(d) == schema.RuleNoLocalrc.ID })
	n := len(diags)
	for _, in := range cfg.Inputs {
		if in.Kind != schema.KindLocalConf {
			continue
		}
		pos := srcpos.New(in.Path, in.Bytes)
		for _, s := range split(in.Bytes).sections {
			if s.isLocalrc() {
				diags = append(diags, schema.RuleLegacyLocalrc.Diag(
					fmt.Sprintf("%s exists beside %s: DevStack sources it instead of this [[local|localrc]] section", legacy.Name, in.Path),
					fmt.Sprintf("DevStack prints \"localrc and local.conf:[[local]] both exist, using localrc\" and ignores every [[local|localrc]] section; the plan follows %s, as DevStack does. Move its settings into local.conf and delete it, or delete this section.", legacy.Name),
					lineRange(pos, s.header)))
			}
		}
	}
	if len(diags) == n {
		start := hcl.Pos{Line: 1, Column: 1}
		diags = append(diags, schema.RuleLegacyLocalrc.Diag(
			fmt.Sprintf("DevStack sources %s, the legacy localrc beside local.conf", legacy.Name),
			"stackrc sources a localrc file whenever it exists; the plan follows it, as DevStack does.",
			hcl.Range{Filename: legacy.Name, Start: start, End: start}))
	}
	return diags
}
