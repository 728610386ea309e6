package deps

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// edgesOf builds edges from "from>to" pairs over single-letter names a, b, c...
func edgesOf(pairs ...string) []Edge {
	var out []Edge
	for _, p := range pairs {
		out = append(out, Edge{From: int(p[0] - 'a'), To: int(p[2] - 'a')})
	}
	return out
}

func names(order []int) string {
	b := make([]byte, len(order))
	for i, v := range order {
		b[i] = byte('a' + v)
	}
	return string(b)
}

// TestZuulRoleFailures runs the cases DevStack's Zuul role gets wrong
// (docs/devstack.md §7.2) and checks the right result for each.
func TestZuulRoleFailures(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		edges      []Edge
		order      string
		violations []int
		cycles     [][]int // edge indices of each cycle
	}{
		// The role emits "b, c, a" for a→b→c, enabling b before c.
		{"chain in user order", 3, edgesOf("a>b", "b>c"), "cba", []int{0, 1}, nil},
		{"chain already right", 3, edgesOf("c>b", "b>a"), "abc", nil, nil},
		// Diamonds depend on Python's set order in the role.
		{"diamond", 3, edgesOf("a>b", "a>c", "b>c"), "cba", []int{0, 1, 2}, nil},
		{"diamond, edges given in another order", 3, edgesOf("b>c", "a>c", "a>b"), "cba", []int{2, 1, 0}, nil},
		{"wide diamond", 4, edgesOf("a>b", "a>c", "b>d", "c>d"), "dbca", []int{0, 1, 2, 3}, nil},
		// Plugins without dependencies keep the user's order, not the alphabet.
		{"independent plugins", 3, nil, "abc", nil, nil},
		{"only leaves needed", 4, edgesOf("d>a"), "abcd", nil, nil},
		// A dependency is pulled up to its first dependent; others stay put.
		{"pull up", 4, edgesOf("b>d"), "adbc", []int{0}, nil},
		// The role raises "Dependency cycle detected" naming one plugin; a
		// cycle here is reported whole, edge by edge.
		{"cycle", 3, edgesOf("a>b", "b>c", "c>a"), "cba", nil, [][]int{{0, 1, 2}}},
		{"cycle with a tail", 4, edgesOf("d>b", "b>c", "c>b"), "acbd", nil, [][]int{{1, 2}}},
		{"two cycles", 4, edgesOf("c>d", "d>c", "a>b", "b>a"), "badc", nil, [][]int{{2, 3}, {0, 1}}},
		// The role drops self-requirements; so do we.
		{"self requirement", 2, edgesOf("a>a", "b>a"), "ab", nil, nil},
		{"repeated edge", 2, edgesOf("a>b", "a>b"), "ba", []int{0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Analyze(tt.n, tt.edges)
			if got := names(res.Order); got != tt.order {
				t.Errorf("order %s, want %s", got, tt.order)
			}
			if !slices.Equal(res.Violations, tt.violations) {
				t.Errorf("violations %v, want %v", res.Violations, tt.violations)
			}
			var cycles [][]int
			for _, c := range res.Cycles {
				cycles = append(cycles, c.Edges)
			}
			if fmt.Sprint(cycles) != fmt.Sprint(tt.cycles) {
				t.Errorf("cycles %v, want %v", cycles, tt.cycles)
			}
		})
	}
}

// randomGraph makes a graph of up to maxN nodes. With acyclic set, edges
// follow a hidden random ranking, so the graph is a DAG whose topological
// orders are unrelated to the user's order.
func randomGraph(r *rand.Rand, maxN int, acyclic bool) (int, []Edge) {
	n := r.IntN(maxN + 1)
	rank := r.Perm(max(n, 1))
	var edges []Edge
	if n < 2 {
		return n, nil
	}
	m := r.IntN(2*n + 1)
	for range m {
		u, v := r.IntN(n), r.IntN(n)
		if acyclic && rank[u] <= rank[v] {
			if u == v {
				continue
			}
			u, v = v, u
		}
		edges = append(edges, Edge{From: u, To: v})
		if r.IntN(10) == 0 {
			edges = append(edges, Edge{From: u, To: v}) // a repeat
		}
	}
	return n, edges
}

// reach returns reach[u][v]: v is a transitive requirement of u.
func reach(n int, edges []Edge) [][]bool {
	r := make([][]bool, n)
	for i := range r {
		r[i] = make([]bool, n)
	}
	for _, e := range edges {
		if e.From != e.To {
			r[e.From][e.To] = true
		}
	}
	for k := range n {
		for i := range n {
			if r[i][k] {
				for j := range n {
					if r[k][j] {
						r[i][j] = true
					}
				}
			}
		}
	}
	return r
}

func positions(order []int) []int {
	pos := make([]int, len(order))
	for i, v := range order {
		pos[v] = i
	}
	return pos
}

func checkPermutation(t *testing.T, n int, order []int) {
	t.Helper()
	if len(order) != n {
		t.Fatalf("order has %d nodes, want %d", len(order), n)
	}
	seen := make([]bool, n)
	for _, v := range order {
		if v < 0 || v >= n || seen[v] {
			t.Fatalf("order %v is not a permutation", order)
		}
		seen[v] = true
	}
}

// TestOrderProperties checks the documented properties on random DAGs.
func TestOrderProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 3000 {
		n, edges := randomGraph(r, 12, true)
		res := Analyze(n, edges)
		tag := fmt.Sprintf("iteration %d: n=%d edges=%v", iter, n, edges)
		checkPermutation(t, n, res.Order)
		pos := positions(res.Order)
		// Every edge respected.
		for _, e := range edges {
			if e.From != e.To && pos[e.To] > pos[e.From] {
				t.Fatalf("%s: %d requires %d but comes first in %v", tag, e.From, e.To, res.Order)
			}
		}
		if len(res.Cycles) != 0 {
			t.Fatalf("%s: cycles %v in a DAG", tag, res.Cycles)
		}
		// Violations are exactly the edges to a later node, first of each repeat.
		var want []int
		seen := map[[2]int]bool{}
		for i, e := range edges {
			k := [2]int{e.From, e.To}
			if e.To > e.From && !seen[k] {
				want = append(want, i)
			}
			seen[k] = true
		}
		got := slices.Clone(res.Violations)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: violations %v, want %v", tag, got, want)
		}
		// The user's order is kept when it is free.
		if len(want) == 0 {
			for i, v := range res.Order {
				if v != i {
					t.Fatalf("%s: valid user order changed to %v", tag, res.Order)
				}
			}
		}
		// A node moves ahead of an earlier one only because a node at or
		// before that one requires it.
		re := reach(n, edges)
		for x := range n {
			for y := x + 1; y < n; y++ {
				if pos[y] > pos[x] {
					continue
				}
				needed := false
				for z := 0; z <= x && !needed; z++ {
					needed = re[z][y]
				}
				if !needed {
					t.Fatalf("%s: %d moved ahead of %d in %v, but nothing at or before %d requires it", tag, y, x, res.Order, x)
				}
			}
		}
		// Stable: the same graph given in another edge order gives the same order.
		shuffled := slices.Clone(edges)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if again := Analyze(n, shuffled); !slices.Equal(again.Order, res.Order) {
			t.Fatalf("%s: order %v, with shuffled edges %v", tag, res.Order, again.Order)
		}
		// And equal to the obvious recursive definition.
		if ref := referenceOrder(n, edges); !slices.Equal(ref, res.Order) {
			t.Fatalf("%s: order %v, reference %v", tag, res.Order, ref)
		}
	}
}

// referenceOrder is the order's definition written recursively.
func referenceOrder(n int, edges []Edge) []int {
	reqs := make([][]int, n)
	for _, e := range edges {
		if e.From != e.To {
			reqs[e.From] = append(reqs[e.From], e.To)
		}
	}
	placed := make([]bool, n)
	var out []int
	var place func(u int)
	place = func(u int) {
		placed[u] = true
		rs := slices.Clone(reqs[u])
		slices.Sort(rs)
		for _, v := range rs {
			if !placed[v] {
				place(v)
			}
		}
		out = append(out, u)
	}
	for u := range n {
		if !placed[u] {
			place(u)
		}
	}
	return out
}

// TestCycleProperties checks cycles on random graphs that may have them.
func TestCycleProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 3000 {
		n, edges := randomGraph(r, 10, false)
		res := Analyze(n, edges)
		tag := fmt.Sprintf("iteration %d: n=%d edges=%v", iter, n, edges)
		checkPermutation(t, n, res.Order)
		re := reach(n, edges)
		same := func(u, v int) bool { return u == v || re[u][v] && re[v][u] }
		pos := positions(res.Order)
		// Edges between components are respected; edges inside are cycles.
		for _, e := range edges {
			if !same(e.From, e.To) && pos[e.To] > pos[e.From] {
				t.Fatalf("%s: %d requires %d outside any cycle but comes first in %v", tag, e.From, e.To, res.Order)
			}
		}
		for _, i := range res.Violations {
			if e := edges[i]; same(e.From, e.To) {
				t.Fatalf("%s: violation %v lies on a cycle", tag, e)
			}
		}
		// Each component of several nodes is reported once, with a closed cycle.
		covered := make([]bool, n)
		for _, c := range res.Cycles {
			if len(c.Edges) < 2 {
				t.Fatalf("%s: cycle %v too short", tag, c.Edges)
			}
			for k, i := range c.Edges {
				next := edges[c.Edges[(k+1)%len(c.Edges)]]
				if edges[i].To != next.From {
					t.Fatalf("%s: cycle %v is not closed", tag, c.Edges)
				}
			}
			if edges[c.Edges[0]].From != c.Members[0] {
				t.Fatalf("%s: cycle %v does not start at the first member %d", tag, c.Edges, c.Members[0])
			}
			for _, m := range c.Members {
				if covered[m] || !same(m, c.Members[0]) {
					t.Fatalf("%s: bad members %v", tag, c.Members)
				}
				covered[m] = true
			}
		}
		for u := range n {
			onCycle := false
			for v := range n {
				if v != u && same(u, v) {
					onCycle = true
				}
			}
			if onCycle != covered[u] {
				t.Fatalf("%s: node %d on a cycle: %v, reported: %v", tag, u, onCycle, covered[u])
			}
		}
	}
}

// TestLongChain walks a 100,000-node chain: nothing is recursive.
func TestLongChain(t *testing.T) {
	const n = 100_000
	edges := make([]Edge, n-1)
	for i := range edges {
		edges[i] = Edge{From: i, To: i + 1}
	}
	res := Analyze(n, edges)
	for i, v := range res.Order {
		if v != n-1-i {
			t.Fatalf("order[%d] = %d, want %d", i, v, n-1-i)
		}
	}
	if len(res.Violations) != n-1 {
		t.Errorf("%d violations, want %d", len(res.Violations), n-1)
	}
	edges = append(edges, Edge{From: n - 1, To: 0})
	res = Analyze(n, edges)
	if len(res.Cycles) != 1 || len(res.Cycles[0].Edges) != n || len(res.Violations) != 0 {
		t.Errorf("closed chain: %d cycles, %d violations", len(res.Cycles), len(res.Violations))
	}
}

func TestOutOfRangeEdgesIgnored(t *testing.T) {
	res := Analyze(2, []Edge{{From: 0, To: 5}, {From: -1, To: 0}, {From: 0, To: 1}})
	if !slices.Equal(res.Ignored, []int{0, 1}) || names(res.Order) != "ba" {
		t.Errorf("ignored %v, order %s", res.Ignored, names(res.Order))
	}
}
