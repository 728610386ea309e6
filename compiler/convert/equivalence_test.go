package convert_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

const corpusDir = "../../../shared/corpus/localconf"

// equivalence is convert.EquivalenceOf for a plan the compiler just made.
func equivalence(t *testing.T, p *plan.Plan) convert.Equivalence {
	t.Helper()
	e, err := convert.EquivalenceOf(p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func compileLocalConf(name string, src []byte) (*schema.Config, *plan.Plan) {
	cfg, front := localconf.Parse(name, src, localconf.Options{})
	p, _ := compiler.Compile(cfg, front, compiler.Options{})
	return cfg, p
}

// TestCorpusRoundTrip converts every file of the corpus to stack.hcl and
// back to local.conf, and checks that the three compile to equivalent
// plans with the same INI merges, and that the stack.hcl decodes without
// an error of its own.
func TestCorpusRoundTrip(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		corpustest.Skip(t, corpusDir, err)
	}
	var files, withRaw, rawBlocks, plugins, structuredPlugins int
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files++
		cfgA, pA := compileLocalConf(e.Name(), src)
		hclSrc, warns := convert.ToHCL(cfgA, src)
		if len(warns) > 0 {
			withRaw++
		}
		rawBlocks += bytes.Count(hclSrc, []byte("\nbash {")) + bytes.Count(hclSrc, []byte("raw = "))
		cfgB, front := hclconf.Parse(e.Name()+".stack.hcl", hclSrc, localconf.Options{})
		for _, d := range front {
			if r := schema.RuleOf(d); d.Severity == hcl.DiagError && (r == "" || r == schema.RuleHCLSchema.ID || r == schema.RuleHCLValue.ID) {
				t.Errorf("%s: the converted stack.hcl does not decode: %s\n%s", e.Name(), d.Error(), hclSrc)
			}
		}
		pB, _ := compiler.Compile(cfgB, front, compiler.Options{})
		back, diags := convert.ToLocalConf(cfgB)
		if diags.HasErrors() {
			t.Errorf("%s: back to local.conf: %v", e.Name(), diags)
		}
		_, pC := compileLocalConf("local.conf", back)

		a, b, c := equivalence(t, pA), equivalence(t, pB), equivalence(t, pC)
		if diff := cmp.Diff(string(a.Plan), string(b.Plan)); diff != "" {
			t.Errorf("%s: local.conf and its stack.hcl plan differently (-local.conf +stack.hcl):\n%s\n--- stack.hcl:\n%s", e.Name(), diff, hclSrc)
			continue
		}
		if diff := cmp.Diff(string(a.Plan), string(c.Plan)); diff != "" {
			t.Errorf("%s: local.conf and its round trip plan differently (-original +round trip):\n%s\n--- round trip:\n%s", e.Name(), diff, back)
		}
		if diff := cmp.Diff(a.Merges, b.Merges); diff != "" {
			t.Errorf("%s: INI merges differ (-local.conf +stack.hcl):\n%s", e.Name(), diff)
		}
		if diff := cmp.Diff(a.Merges, c.Merges); diff != "" {
			t.Errorf("%s: INI merges differ (-local.conf +round trip):\n%s", e.Name(), diff)
		}
		plugins += len(pA.Plugins)
		structuredPlugins += bytes.Count(hclSrc, []byte("\nplugin \""))
	}
	t.Logf("%d files, %d plugins (%d as plugin blocks); %d files need raw blocks (%d raw blocks or fragments)", files, plugins, structuredPlugins, withRaw, rawBlocks)
}
