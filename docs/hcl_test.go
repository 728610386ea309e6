package docs_test

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
)

// compileHCL runs the stack.hcl front-end and the compiler on an hcl
// example, as `stackplan lint stack.hcl` does.
func compileHCL(src []byte) hcl.Diagnostics {
	cfg, front := hclconf.Parse("stack.hcl", src, localconf.Options{})
	_, diags := compiler.Compile(cfg, front, compiler.Options{})
	return diags
}
