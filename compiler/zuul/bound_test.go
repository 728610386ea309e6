package zuul

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/schema"
)

// longChain is a job chain of depth jobs, each setting width variables of
// its own plus width more in devstack_localrc (a nested merge) and width
// host-vars, with a nodeset of width nodes all in one group: the shape
// that made resolving quadratic (a key scan per merged key, a copy of
// everything inherited per job, a node scan per group member).
func longChain(depth, width int) string {
	var b strings.Builder
	b.WriteString("- nodeset:\n    name: wide\n    nodes:\n")
	for i := 0; i < width; i++ {
		fmt.Fprintf(&b, "      - {name: n%d, label: l}\n", i)
	}
	b.WriteString("    groups:\n      - name: all\n        nodes: [")
	for i := 0; i < width; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "n%d", i)
	}
	b.WriteString("]\n")
	for j := 0; j < depth; j++ {
		fmt.Fprintf(&b, "- job:\n    name: j%d\n", j)
		if j > 0 {
			fmt.Fprintf(&b, "    parent: j%d\n", j-1)
		} else {
			b.WriteString("    nodeset: wide\n")
		}
		b.WriteString("    vars:\n      devstack_localrc:\n")
		for i := 0; i < width; i++ {
			fmt.Fprintf(&b, "        L%d_%d: %d\n", j, i, i)
		}
		for i := 0; i < width; i++ {
			fmt.Fprintf(&b, "      v%d_%d: %d\n", j, i, i)
		}
		b.WriteString("    host-vars:\n")
		for i := 0; i < width; i++ {
			fmt.Fprintf(&b, "      n%d: {x%d: 1}\n", i, j)
		}
	}
	return b.String()
}

// TestResolveWorkIsLinear counts the steps of resolving the leaf of long
// chains (key indexing, merging, node and group-member visits): they stay
// within a small multiple of the pairs and nodes in the input, where the
// former implementation took depth²×width² key comparisons.
func TestResolveWorkIsLinear(t *testing.T) {
	for _, c := range []struct{ depth, width int }{{1, 2000}, {40, 40}, {200, 20}, {20, 500}} {
		src := longChain(c.depth, c.width)
		set, diags := Load([]File{{Name: "f.yaml", Bytes: []byte(src)}})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		work.Store(0)
		r := set.resolve(fmt.Sprintf("j%d", c.depth-1), Options{})
		nodes := r.nodes()
		got := work.Load()
		// Pairs written: per job, width vars + 1 devstack_localrc with width
		// keys + width host-vars of one key each; plus width nodes and
		// width group members.
		input := int64(c.depth*(3*c.width+1) + 2*c.width)
		if got > 3*input {
			t.Errorf("depth %d, width %d: %d steps for %d pairs and nodes in the input; want at most %d", c.depth, c.width, got, input, 3*input)
		}
		if len(nodes) != c.width || len(nodes[c.width-1].groups) != 1 {
			t.Fatalf("depth %d, width %d: %d nodes", c.depth, c.width, len(nodes))
		}
		// The merge is still right: every job's variables, the nested
		// devstack_localrc of all of them, a host's vars from each job.
		if n := len(r.vars.pairs); n != c.depth*c.width+1 {
			t.Errorf("depth %d, width %d: %d variables, want %d", c.depth, c.width, n, c.depth*c.width+1)
		}
		if n := len(r.vars.get("devstack_localrc").pairs); n != c.depth*c.width {
			t.Errorf("devstack_localrc has %d variables, want %d", n, c.depth*c.width)
		}
		if n := len(r.host.get("n0").pairs); n != c.depth {
			t.Errorf("host-vars of n0 have %d variables, want %d", n, c.depth)
		}
	}
}

// TestMergeLeavesFilesAlone: resolving a child does not change what its
// parent resolves to (the merger changes only its own copies).
func TestMergeLeavesFilesAlone(t *testing.T) {
	set, _ := Load([]File{{Name: "f.yaml", Bytes: []byte(longChain(3, 3))}})
	before := len(set.resolve("j0", Options{}).vars.get("devstack_localrc").pairs)
	set.resolve("j2", Options{})
	if after := len(set.resolve("j0", Options{}).vars.get("devstack_localrc").pairs); after != before || before != 3 {
		t.Errorf("j0's devstack_localrc: %d variables before resolving j2, %d after; want 3", before, after)
	}
}

// TestLongChainSeed keeps the committed fuzz seed the input longChain
// makes (regenerate with STACKPLAN_WRITE_SEED=1).
func TestLongChainSeed(t *testing.T) {
	path := filepath.Join("testdata", "fuzz", "FuzzLoad", "long-chain")
	want := "go test fuzz v1\n[]byte(" + strconv.Quote(longChain(6, 12)) + ")\n"
	if os.Getenv("STACKPLAN_WRITE_SEED") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is not longChain(6, 12): regenerate it with STACKPLAN_WRITE_SEED=1", path)
	}
}

// wideJob is a job of width nodes sharing vars localrc variables.
func wideJob(width, vars int) string {
	var b strings.Builder
	b.WriteString("- nodeset:\n    name: wide\n    nodes:\n")
	for i := 0; i < width; i++ {
		fmt.Fprintf(&b, "      - {name: n%d, label: l}\n", i)
	}
	b.WriteString("- job:\n    name: j\n    nodeset: wide\n    vars:\n      devstack_localrc:\n")
	for i := 0; i < vars; i++ {
		fmt.Fprintf(&b, "        V%d: %d\n", i, i)
	}
	return b.String()
}

// TestCompileWorkIsBounded: every node repeats the job's variables, so a
// wide nodeset over many variables would generate their product; Compile
// stops past maxGenerated pieces, with a limit diagnostic, so its work is
// at most the bound plus one node's.
func TestCompileWorkIsBounded(t *testing.T) {
	defer func(old int) { maxGenerated = old }(maxGenerated)
	maxGenerated = 5000
	const width, vars = 300, 300
	set, _ := Load([]File{{Name: "f.yaml", Bytes: []byte(wideJob(width, vars))}})
	work.Store(0)
	nodes, err := set.Compile("j", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := work.Load()
	perNode := int64(4*vars + 16) // name, value, newline per variable, and the header lines
	if bound := int64(maxGenerated) + perNode + 3*width; got > bound {
		t.Errorf("%d steps for %d nodes of %d variables; want at most %d", got, len(nodes), vars, bound)
	}
	if len(nodes) == 0 || len(nodes) >= width {
		t.Fatalf("%d nodes planned of %d", len(nodes), width)
	}
	last := nodes[len(nodes)-1].Diags
	if len(last) == 0 || schema.RuleOf(last[len(last)-1]) != schema.RuleLimit.ID || !strings.Contains(last[len(last)-1].Summary, "too much") {
		t.Errorf("no limit diagnostic on the last node planned: %v", last)
	}
	// Under the bound, every node.
	maxGenerated = 1 << 20
	if nodes, _ := set.Compile("j", Options{}); len(nodes) != width {
		t.Errorf("%d nodes planned under the bound, want %d", len(nodes), width)
	}
}
