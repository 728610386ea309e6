package convert_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema"
)

const corpusDir = "../../../shared/corpus/localconf"

// equivalent is the plan JSON two equivalent configurations must agree on
// byte for byte (docs/hcl.md, "Equivalence"): the plan without its inputs,
// its diagnostics and the source ranges of plugins and steps, which say
// where each thing is written and so depend on the format.
func equivalent(t *testing.T, p *plan.Plan) []byte {
	t.Helper()
	c := *p
	c.Inputs, c.Diagnostics = nil, nil
	c.Plugins = append([]plan.Plugin(nil), p.Plugins...)
	for i := range c.Plugins {
		c.Plugins[i].Source = plan.Range{}
	}
	c.Steps = append([]plan.Step(nil), p.Steps...)
	for i := range c.Steps {
		c.Steps[i].Source, c.Steps[i].Sections = nil, nil
	}
	data, err := planfile.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// merges is what each merge step merges: its INI lines without blank and
// comment lines, which DevStack skips.
func merges(p *plan.Plan) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Steps {
		if s.Kind != plan.KindMerge {
			continue
		}
		var lines []string
		for _, l := range s.Fragment {
			t := strings.TrimLeft(l.Text, " ")
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if strings.HasPrefix(l.Text, "[") && strings.Contains(l.Text[1:], "]") {
				t = "[" + strings.NewReplacer("[", "", "]", "").Replace(strings.Fields(l.Text)[0]) + "]"
			} else if k, v, ok := strings.Cut(l.Text, "="); ok {
				t = strings.TrimRight(k, " \t") + " = " + strings.Trim(v, " \t")
			}
			lines = append(lines, t)
		}
		out[s.ID] = lines
	}
	return out
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
		t.Skipf("corpus not available (%v): run from a checkout with ../shared beside it", err)
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

		a, b, c := equivalent(t, pA), equivalent(t, pB), equivalent(t, pC)
		if diff := cmp.Diff(string(a), string(b)); diff != "" {
			t.Errorf("%s: local.conf and its stack.hcl plan differently (-local.conf +stack.hcl):\n%s\n--- stack.hcl:\n%s", e.Name(), diff, hclSrc)
			continue
		}
		if diff := cmp.Diff(string(a), string(c)); diff != "" {
			t.Errorf("%s: local.conf and its round trip plan differently (-original +round trip):\n%s\n--- round trip:\n%s", e.Name(), diff, back)
		}
		if diff := cmp.Diff(merges(pA), merges(pB)); diff != "" {
			t.Errorf("%s: INI merges differ (-local.conf +stack.hcl):\n%s", e.Name(), diff)
		}
		if diff := cmp.Diff(merges(pA), merges(pC)); diff != "" {
			t.Errorf("%s: INI merges differ (-local.conf +round trip):\n%s", e.Name(), diff)
		}
		plugins += len(pA.Plugins)
		structuredPlugins += bytes.Count(hclSrc, []byte("\nplugin \""))
	}
	t.Logf("%d files, %d plugins (%d as plugin blocks); %d files need raw blocks (%d raw blocks or fragments)", files, plugins, structuredPlugins, withRaw, rawBlocks)
}
