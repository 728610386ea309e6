package localconf

import (
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/internal/srcpos"
	"github.com/stackplan/stackplan/schema"

	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

func TestHostileBinary(t *testing.T) {
	for _, src := range [][]byte{
		[]byte("[[local|localrc]]\nenable_plugin a u\nB=\x00\n"),
		{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0},
	} {
		cfg, diags := Parse("local.conf", src, Options{})
		if len(cfg.Plugins) != 0 || len(cfg.Assignments) != 0 || len(cfg.Localrc) != 0 {
			t.Errorf("%q: something was evaluated: %v", src, plugs(cfg))
		}
		if len(diags) != 1 || diags[0].Severity != hcl.DiagError {
			t.Fatalf("%q: diags %v", src, diags)
		}
		i := bytes.IndexByte(src, 0)
		want := []string{"input@" + at(pos1(src, i))[:strings.Index(at(pos1(src, i)), "-")]}
		if diff := cmp.Diff(want, rules(diags)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", src, diff)
		}
	}
}

// pos1 is the one-byte range at off.
func pos1(src []byte, off int) hcl.Range {
	return srcpos.New("local.conf", src).Range(off, off+1)
}

func TestHostileInvalidUTF8(t *testing.T) {
	src := []byte("[[local|localrc]]\nA=é\xffz\nenable_plugin a u\n")
	cfg, diags := Parse("local.conf", src, Options{})
	// Known difference: bash sources the line and registers a, but
	// mvdan.cc/sh rejects invalid UTF-8 as a syntax error, so stackplan
	// reports bash-syntax and loses a (the diagnostic names it).
	if diff := cmp.Diff([]string{"input@2:4", "bash-syntax@2:4"}, rules(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diags[0].Severity != hcl.DiagWarning || diags[0].Subject.Start.Byte != 22 {
		t.Errorf("severity %v at byte %d", diags[0].Severity, diags[0].Subject.Start.Byte)
	}
	if diff := cmp.Diff([]plug(nil), plugs(cfg)); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
}

func TestHostileNestedIfs(t *testing.T) {
	const n = 1000
	src := "[[local|localrc]]\n" + strings.Repeat("if true; then\n", n) + "enable_plugin deep u\n" + strings.Repeat("fi\n", n) + "enable_plugin after u\n"
	cfg, diags := Parse("local.conf", []byte(src), Options{})
	// The limit stops the evaluation at nesting level maxNesting+1.
	if diff := cmp.Diff([]string{"limit@201:4"}, rules(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(cfg.Plugins) != 0 {
		t.Errorf("plugins %v", plugs(cfg))
	}
}

func TestHostileBraceRange(t *testing.T) {
	src := lrc("for i in {1..100000000}; do enable_plugin a u; done\nX=({1..100000000})\necho {1..100000000}\n")
	cfg, diags := Parse("local.conf", src, Options{})
	if diff := cmp.Diff([]plug{{"a", "u", "master", "/opt/stack/a", true, "2:43-2:44"}}, plugs(cfg)); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"X=?({1..100000000})"}, assigns(cfg)); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"conditional-plugin@2:29"}, rules(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHostileRecursionAndLoops(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:  "infinite recursion",
			src:   "f(){ f; }; f\nenable_plugin after u\n",
			rules: []string{"limit@2:6"},
		},
		{
			name:  "exponential recursion",
			src:   "f(){ f; f; f; }; f\nenable_plugin after u\n",
			rules: []string{"limit@2:6"},
		},
		{
			name: "while true",
			// bash never leaves these loops; the evaluator stops at the
			// iteration limit and says so.
			src:     "while true; do W=1; done\nenable_plugin after u\n",
			assigns: slicesRepeat("W=1", evaluator.MaxLoopItems),
			rules:   []string{"limit@2:1"},
		},
		{
			name:  "until false",
			src:   "until false; do :; done\nenable_plugin after u\n",
			rules: []string{"limit@2:1"},
		},
		{
			name:    "many statements",
			src:     strings.Repeat("A=1;", 250_000) + "\nenable_plugin after u\n",
			assigns: slicesRepeat("A=1", 200_000),
			rules:   []string{"limit@2:800001"},
		},
	})
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestHostileLongLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	src := lrc("A=" + long + "\nenable_plugin a https://h/$A\n")
	cfg, diags := Parse("local.conf", src, Options{})
	if len(diags) != 0 {
		t.Errorf("diags %v", rules(diags))
	}
	if len(cfg.Plugins) != 1 || cfg.Plugins[0].URL.String() != "https://h/"+long {
		t.Fatalf("plugins %d", len(cfg.Plugins))
	}
	if got := at(cfg.Plugins[0].URL.Range); got != "3:17-3:29" {
		t.Errorf("URL at %s", got)
	}
}

// TestHostileLargeFileMemory parses a 15 MB localrc (under MaxSize; the CLI
// refuses larger files without calling Parse) and checks that the bytes
// allocated stay within a fixed multiple of the input size.
func TestHostileLargeFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	var b strings.Builder
	b.WriteString("[[local|localrc]]\n")
	line := "# " + strings.Repeat("padding ", 12) + "\nenable_service s\n"
	for b.Len() < 15<<20 {
		b.WriteString(line)
	}
	src := []byte(b.String())
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cfg, diags := Parse("local.conf", src, Options{})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(80 * len(src)); alloc > limit {
		t.Errorf("Parse of %d bytes allocated %d bytes, more than %d", len(src), alloc, limit)
	}
	// Each enable_service runs DevStack's function, a few dozen
	// statements: the statement limit stops the evaluation.
	if cfg == nil || len(diags) != 1 || schema.RuleOf(diags[0]) != "limit" {
		t.Errorf("diags %v", rules(diags))
	}
	t.Logf("%d MB input, %d MB allocated", len(src)>>20, alloc>>20)
}

// TestHostileGrowth checks the plan-time limits on values that grow
// without bound and on arithmetic nesting: each is a limit diagnostic,
// bounded in memory, and the evaluation stops there.
func TestHostileGrowth(t *testing.T) {
	for _, tc := range []struct{ name, src, rule string }{
		{"doubling", "X=ab\n" + strings.Repeat("X=$X$X\n", 40), "limit@22:1"},
		{"squaring", "X=" + strings.Repeat("x", 4000) + "\nY=${X//?/$X}\nenable_plugin a $Y\n", ""},
		{"deep arithmetic", "(( " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + " ))\n", "limit@2:4"},
		// mvdan.cc/sh's parser recurses per level: a million overflowed the stack.
		{"deep parentheses", "X=$((" + strings.Repeat("(", 1_000_000) + "1" + strings.Repeat(")", 1_000_000) + "))\n", "limit@2:2004"},
		{"deep expansions", "X=" + strings.Repeat("${Y:-", 1_000_000) + "a" + strings.Repeat("}", 1_000_000) + "\n", "limit@2:10004"},
		// A chain parses flat but is as deep a tree as it is long.
		{"arithmetic chain", "X=$((" + strings.Repeat("1+", 25_000) + "1))\n", "limit@2:6"},
		{"c-style loop", "for (( i = 0; i < 100000000; i++ )); do :; done\n", "limit@2:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cfg, diags := Parse("local.conf", lrc(tc.src), Options{})
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			got := strings.Join(rules(diags), " ")
			if tc.rule != "" && !strings.Contains(got, tc.rule) {
				t.Errorf("diagnostics %q, want %s", got, tc.rule)
			}
			if tc.name == "squaring" && (len(cfg.Plugins) != 1 || cfg.Plugins[0].URL.Known()) {
				t.Errorf("the squared value must be unknown, not built: %v", plugs(cfg))
			}
		})
	}
}
