// Package bench holds the Go benchmarks of issue #2: the cost of Parse and
// Compile on generated local.conf files of growing size and on the corpus,
// without process start-up. scripts/bench-plan.sh measures whole commands.
//
//	go test -run '^$' -bench . -benchmem ./internal/bench
//	go test -run '^$' -bench 'Plugins/n=10000' -cpuprofile cpu.out ./internal/bench
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/plan/planfile"
)

// genLocalConf writes a local.conf with n plugins, in the shape
// scripts/bench-plan.sh generates: a few settings, n enable_plugin lines
// (every fourth with a ref and a $GIT_BASE URL), services, and two
// post-config sections.
func genLocalConf(n int) []byte {
	var b strings.Builder
	b.WriteString("[[local|localrc]]\nADMIN_PASSWORD=secretadmin\nDATABASE_PASSWORD=$ADMIN_PASSWORD\nGIT_BASE=https://opendev.org\nLOGFILE=$DEST/logs/stack.sh.log\n")
	for i := range n {
		if i%4 == 3 {
			fmt.Fprintf(&b, "enable_plugin plugin%05d $GIT_BASE/x/plugin%05d $TARGET_BRANCH\n", i, i)
		} else {
			fmt.Fprintf(&b, "enable_plugin plugin%05d https://opendev.org/x/plugin%05d\n", i, i)
		}
	}
	b.WriteString("enable_service n-novnc\ndisable_service tempest\n\n")
	b.WriteString("[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n\n")
	b.WriteString("[[post-config|/etc/neutron/dhcp_agent.ini]]\n[DEFAULT]\nenable_isolated_metadata = True\n")
	return []byte(b.String())
}

// compileOnce is what `stackplan plan --json` does between reading the
// file and writing the output; it returns the number of plugins planned.
func compileOnce(tb testing.TB, name string, src []byte) int {
	cfg, front := localconf.Parse(name, src, localconf.Options{})
	p, _ := compiler.Compile(cfg, front, compiler.Options{})
	if _, err := planfile.Marshal(p); err != nil {
		tb.Fatal(err)
	}
	return len(p.Plugins)
}

// TestGenerated checks the generator: every plugin reaches the plan and
// the input raises no finding, so the benchmarks measure the normal path.
func TestGenerated(t *testing.T) {
	src := genLocalConf(100)
	cfg, front := localconf.Parse("gen.conf", src, localconf.Options{})
	p, diags := compiler.Compile(cfg, front, compiler.Options{})
	if len(p.Plugins) != 100 {
		t.Errorf("plan has %d plugins, want 100", len(p.Plugins))
	}
	if len(diags) != 0 {
		t.Errorf("generated input has findings: %v", diags)
	}
}

var sizes = []int{10, 100, 1000, 10000}

// BenchmarkPlugins is the whole pipeline, Parse + Compile + Marshal.
func BenchmarkPlugins(b *testing.B) {
	for _, n := range sizes {
		src := genLocalConf(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if got := compileOnce(b, "gen.conf", src); got != n {
					b.Fatalf("%d plugins, want %d", got, n)
				}
			}
			perPlugin(b, n)
		})
	}
}

// BenchmarkStage splits the pipeline, to show which stage the time and
// memory of BenchmarkPlugins go to.
func BenchmarkStage(b *testing.B) {
	for _, n := range sizes {
		src := genLocalConf(n)
		b.Run(fmt.Sprintf("parse/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				localconf.Parse("gen.conf", src, localconf.Options{})
			}
			perPlugin(b, n)
		})
		cfg, front := localconf.Parse("gen.conf", src, localconf.Options{})
		b.Run(fmt.Sprintf("compile/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				compiler.Compile(cfg, front, compiler.Options{})
			}
			perPlugin(b, n)
		})
		p, _ := compiler.Compile(cfg, front, compiler.Options{})
		b.Run(fmt.Sprintf("marshal/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := planfile.Marshal(p); err != nil {
					b.Fatal(err)
				}
			}
			perPlugin(b, n)
		})
	}
}

func perPlugin(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/plugin")
}

// BenchmarkCorpus compiles every file of the shared corpus once per
// iteration, as `stackplan lint` over the corpus does.
func BenchmarkCorpus(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "localconf", "*"))
	if len(files) == 0 {
		corpustest.Skip(b, filepath.Join("..", "..", "..", "shared", "corpus", "localconf"), os.ErrNotExist)
	}
	srcs := make([][]byte, len(files))
	total := 0
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		srcs[i] = data
		total += len(data)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			compileOnce(b, files[i], src)
		}
	}
}
