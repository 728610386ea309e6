package convert

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// headerRE is DevStack's test for a meta-section header line.
var headerRE = regexp.MustCompile(`^\[\[.+\|.*\]\]`)

// ToLocalConf writes cfg as a local.conf. A line DevStack would read as a
// meta-section header inside the text is an error: the output would not
// mean the same.
func ToLocalConf(cfg *schema.Config) ([]byte, hcl.Diagnostics) {
	var b strings.Builder
	var diags hcl.Diagnostics
	check := func(text string, rng hcl.Range) {
		for _, l := range strings.Split(text, "\n") {
			if headerRE.MatchString(l) {
				diags = append(diags, schema.RuleHeaderLikeLine.Diag("a line DevStack would read as a meta-section header",
					fmt.Sprintf("In a local.conf the line %q would end the section. Indent it or rewrite it before converting.", l), rng))
				return
			}
		}
	}
	if len(cfg.Localrc) > 0 {
		b.WriteString("[[local|localrc]]\n")
		for _, sp := range cfg.Localrc {
			check(sp.Text, sp.Range)
			b.WriteString(sp.Text)
			b.WriteByte('\n')
		}
	}
	for _, sec := range cfg.Sections {
		fmt.Fprintf(&b, "[[%s|%s]]\n", sec.Group, sec.File)
		check(sec.Body.Text, sec.Body.Range)
		if sec.Body.Text != "" {
			b.WriteString(sec.Body.Text)
			b.WriteByte('\n')
		}
	}
	return []byte(b.String()), diags
}
