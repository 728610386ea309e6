package docs_test

import (
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/zuul"
)

// compileZuul compiles a Zuul file example as `stackplan plan --zuul`
// does: the last job of the file, every node of it.
func compileZuul(t *testing.T, src []byte) hcl.Diagnostics {
	t.Helper()
	set, diags := zuul.Load([]zuul.File{{Name: "zuul.yaml", Bytes: src}})
	jobs := set.Jobs()
	if len(jobs) == 0 {
		return diags
	}
	nodes, err := set.Compile(jobs[len(jobs)-1], zuul.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		_, d := compiler.Compile(n.Config, n.Diags, compiler.Options{})
		diags = append(diags, d...)
	}
	return diags
}
