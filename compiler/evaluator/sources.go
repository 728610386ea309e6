package evaluator

import (
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/internal/srcpos"
	"github.com/stackplan/stackplan/schema"
)

// Sources is the localrc text of a configuration, joined in order from its
// inputs as DevStack's stackrc sources it, with where each byte came from,
// so that every finding points into its own input.
type Sources struct {
	text strings.Builder
	loc  fragmentLocator
}

// Add appends the localrc lines of one input, whose positions pos gives.
func (s *Sources) Add(pos *srcpos.Table, lines []Line) {
	part, cmap := concat(lines)
	s.loc.starts = append(s.loc.starts, s.text.Len())
	s.loc.parts = append(s.loc.parts, fileLocator{pos: pos, cmap: cmap})
	s.text.WriteString(part)
}

// JoinLines is the localrc text the lines make, each followed by "\n", as
// awk's print writes them to .localrc.auto.
func JoinLines(lines []Line) string {
	text, _ := concat(lines)
	return text
}

// Evaluate sources the localrc text statically into cfg (plugins,
// services, DEST, the environment read, and the stackrc assignments when
// opts.Stackrc is set), as DevStack's stackrc would; nothing is executed.
func Evaluate(cfg *schema.Config, src *Sources, opts Options) hcl.Diagnostics {
	ev := newEvaluator(src.text.String(), &src.loc, cfg)
	ev.seed(opts)
	ev.run()
	ev.finish(opts)
	if opts.Stackrc != nil {
		cfg.Stackrc = ev.stackrc(*opts.Stackrc)
	}
	return ev.diags
}
