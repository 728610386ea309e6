package compiler_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/schema"
)

var update = flag.Bool("update", false, "rewrite golden files")

const corpusDir = "../../shared/corpus/localconf"

// TestCorpus compiles every real-world local.conf of the shared corpus and
// pins each file's plugins and diagnostics in testdata/corpus.golden. The
// golden file is reviewed by hand: a real problem in a real file must be
// reported, a false alarm fixed.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		corpustest.Skip(t, corpusDir, err)
	}
	var out strings.Builder
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		cfg, front := localconf.Parse(e.Name(), src, localconf.Options{})
		p, diags := compiler.Compile(cfg, front, compiler.Options{})
		fmt.Fprintf(&out, "== %s (%s)\n", e.Name(), cfg.Inputs[0].Kind)
		for _, pl := range p.Plugins {
			line := fmt.Sprintf("plugin %s %s %s %s", pl.Name, pl.URL, pl.Ref, pl.Dir)
			if pl.Conditional {
				line += " conditional"
			}
			if len(pl.KnownAtApply) > 0 {
				line += " known_at_apply=" + strings.Join(pl.KnownAtApply, ",")
			}
			fmt.Fprintln(&out, line)
		}
		for _, d := range diags {
			fmt.Fprintln(&out, compact(d))
		}
	}
	golden := filepath.Join("testdata", "corpus.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("corpus results differ from %s (-want +got); rerun with -update after reviewing:\n%s", golden, diff)
	}
}

func compact(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	return fmt.Sprintf("%d:%d: %s: %s [%s]", d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary, schema.RuleOf(d))
}

// BenchmarkCorpus parses and compiles every file of the corpus once per
// iteration: the work of `stackplan lint` on it, without the process.
func BenchmarkCorpus(b *testing.B) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		corpustest.Skip(b, corpusDir, err)
	}
	names := make([]string, len(entries))
	srcs := make([][]byte, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
		if srcs[i], err = os.ReadFile(filepath.Join(corpusDir, e.Name())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range srcs {
			cfg, front := localconf.Parse(names[i], srcs[i], localconf.Options{})
			compiler.Compile(cfg, front, compiler.Options{})
		}
	}
}
