package zuul_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// corpusDir holds real Zuul files of OpenStack projects, read in place.
const corpusDir = "../../../shared/corpus/zuul"

// TestCorpus loads every file of the corpus as one tenant, compiles every
// job that sets DevStack variables (every node of it) and compares the
// plugins and diagnostics with testdata/corpus.golden.
func TestCorpus(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if len(paths) == 0 {
		corpustest.Skip(t, corpusDir, os.ErrNotExist)
	}
	sort.Strings(paths)
	var files []zuul.File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, zuul.File{Name: filepath.Base(p), Bytes: data})
	}
	set, loadDiags := zuul.Load(files)
	var out strings.Builder
	fmt.Fprintf(&out, "# %d files\n", len(files))
	for _, d := range loadDiags {
		fmt.Fprintf(&out, "load: %s %s: %s\n", schema.RuleOf(d), d.Subject, d.Summary)
	}
	jobs, nodes, plugins := 0, 0, 0
	byRule := map[string]int{}
	for _, job := range set.Jobs() {
		if !set.SetsDevStack(job) {
			continue
		}
		jobs++
		ncs, err := set.Compile(job, zuul.Options{})
		if err != nil {
			t.Fatalf("%s: %v", job, err)
		}
		for _, nc := range ncs {
			nodes++
			p, diags := compiler.Compile(nc.Config, nc.Diags, compiler.Options{})
			var names []string
			for _, pl := range p.Plugins {
				names = append(names, pl.Name)
			}
			plugins += len(names)
			fmt.Fprintf(&out, "%s/%s: %s\n", job, nc.Name, strings.Join(names, " "))
			for _, d := range diags {
				rule := schema.RuleOf(d)
				byRule[rule]++
				if d.Subject == nil || d.Subject.Filename == "" {
					t.Errorf("%s/%s: diagnostic without a position: %s", job, nc.Name, d.Summary)
					continue
				}
				if !strings.HasSuffix(d.Subject.Filename, ".yaml") {
					t.Errorf("%s/%s: diagnostic outside the YAML: %s", job, nc.Name, d.Subject)
				}
				fmt.Fprintf(&out, "\t%s %s:%d:%d %s\n", rule, d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary)
			}
		}
	}
	fmt.Fprintf(&out, "# %d jobs set DevStack variables; %d nodes; %d plugins\n", jobs, nodes, plugins)
	var rules []string
	for r := range byRule {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		fmt.Fprintf(&out, "# %s %d\n", r, byRule[r])
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
	if string(want) != out.String() {
		t.Errorf("corpus results differ from %s (run with -update and review the diff)", golden)
	}
	if jobs < 100 {
		t.Errorf("only %d jobs set DevStack variables", jobs)
	}
}
