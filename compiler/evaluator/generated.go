package evaluator

import (
	"github.com/stackplan/stackplan/compiler/internal/srcpos"

	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"mvdan.cc/sh/v3/expand"

	"github.com/stackplan/stackplan/schema"
)

// Chunk is a piece of localrc text generated from another configuration
// format (stack.hcl), with the source range that produced it. Diagnostics
// and the ranges of values evaluated from the chunk point at Range.
type Chunk struct {
	Text  string
	Range hcl.Range
	// Exact says Text is written verbatim in the source file starting at
	// Range.Start.Byte, so offsets inside it map to exact positions.
	Exact bool
}

// Var is a localrc variable as it stands after a generated localrc ran.
type Var struct {
	// Val is a cty string, unknown when only a real run can tell it.
	Val    cty.Value
	Secret bool
	// FromEnv is set when the value is the one given in the environment.
	FromEnv bool
}

// EvalGenerated evaluates the concatenation of chunks as DevStack sources a
// localrc, exactly as [Parse] evaluates a local.conf's localrc sections,
// and records the result in cfg: assignments, plugins, services, DEST and
// the environment variables read. src is the source file, for the
// positions of exact chunks. It returns the variables localrc left set.
func EvalGenerated(cfg *schema.Config, src []byte, chunks []Chunk, opts Options) (map[string]Var, hcl.Diagnostics) {
	loc := &chunkLocator{chunks: chunks}
	if len(chunks) > 0 {
		loc.pos = srcpos.New(chunks[0].Range.Filename, src)
	}
	var text strings.Builder
	for _, c := range chunks {
		loc.starts = append(loc.starts, text.Len())
		text.WriteString(c.Text)
	}
	if cfg.Dest == "" {
		cfg.Dest = opts.Dest
		if cfg.Dest == "" {
			cfg.Dest = DefaultDest
		}
	}
	ev := newEvaluator(text.String(), loc, cfg)
	ev.seed(opts)
	ev.run()
	ev.finish(opts)
	out := make(map[string]Var, len(ev.vars))
	for name, v := range ev.vars {
		if v == nil {
			continue
		}
		val := cty.UnknownVal(cty.String)
		if v.known {
			val = cty.StringVal(v.stringValue())
			if v.kind != expand.String {
				continue // arrays have no string form an expression could use
			}
		}
		out[name] = Var{Val: val, Secret: v.secret || schema.IsSecretName(name), FromEnv: v.fromEnv}
	}
	return out, ev.diags
}
