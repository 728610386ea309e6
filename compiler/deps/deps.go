// Package deps orders plugins by their declared requirements. It is pure:
// nodes are plugins numbered in the user's order (the order of their
// enable_plugin lines), edges say which plugin requires which, and the
// result is an order, the edges that the user's order violates, and the
// cycles. Nothing here reads files or knows where a declaration came from
// beyond the source range it carries.
//
// # The order
//
// [Analyze] returns the dependencies-first depth-first order: plugins are
// taken in the user's order, and each one is preceded by those of its
// (transitive) requirements not yet placed, themselves visited in the
// user's order. This keeps the user's order wherever the requirements allow,
// in a precise sense that the property tests check:
//
//   - every requirement that is not part of a cycle comes before the plugin
//     that needs it;
//   - when the user's order already satisfies every requirement, it is
//     returned unchanged;
//   - a plugin moves ahead of one the user wrote before it only because a
//     plugin at or before that one (transitively) requires it: plugins are
//     pulled up to just before their first dependent, never pushed down;
//   - the result depends only on the graph, not on the order the edges are
//     given in.
//
// This is what `lint --fix` does to a local.conf: it moves a requirement's
// enable_plugin line above the first line that needs it, and leaves every
// other line where it is. It differs from the lexicographically smallest
// topological order (Kahn's algorithm with a min-heap on the user index),
// which pushes a dependent down below unrelated plugins instead; the
// depth-first order also costs O(V+E) where the heap costs O((V+E) log V).
//
// The same depth-first pass is Tarjan's strongly connected components
// algorithm, so cycles come out of it at no extra cost. Everything is
// iterative: a chain of 100,000 plugins does not deepen the Go stack.
package deps

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// Edge says that plugin From requires plugin To (both node indices, in the
// user's order).
type Edge struct {
	From, To int
	// Source is where the requirement is declared: a plugin_requires line
	// in a plugin's devstack/settings, a "# stackplan: requires=" comment,
	// or an HCL requires attribute.
	Source hcl.Range
}

// Cycle is one cycle of requirements: Edges[0].From requires Edges[0].To,
// which is Edges[1].From, and so on back to Edges[0].From.
type Cycle struct {
	// Edges are indices into the edge list given to [Analyze].
	Edges []int
	// Members lists every node of the strongly connected component the cycle
	// lies in (at least those of Edges), in the user's order: all of them
	// must lose a requirement before any can be ordered.
	Members []int
}

// Result is what [Analyze] finds.
type Result struct {
	// Order is a permutation of the nodes: the order to enable them in.
	Order []int
	// Violations are the indices of the edges whose required plugin comes
	// after its dependent in the user's order, excluding edges inside a
	// cycle (those are reported as cycles). Sorted by dependent, then by
	// required plugin.
	Violations []int
	// Cycles has one entry per strongly connected component with more than
	// one node, ordered by the component's first node in the user's order.
	Cycles []Cycle
	// Ignored lists edges that take no part: self-requirements (the Zuul role
	// drops them) and repetitions of an earlier edge with the same ends.
	Ignored []int
}

// Analyze orders n nodes under edges. Edges with an end outside [0, n) are
// ignored and listed in Result.Ignored.
func Analyze(n int, edges []Edge) Result {
	g := build(n, edges)
	var res Result
	res.Ignored = g.ignored
	res.Order, res.Cycles = g.walk()
	// Violations: each kept edge to a later node, outside a cycle. The
	// adjacency is sorted by dependent and then by requirement, which gives
	// the documented order.
	for u := 0; u < n; u++ {
		for k := g.start[u]; k < g.start[u+1]; k++ {
			v := int(g.to[k])
			if v > u && g.comp[v] != g.comp[u] {
				res.Violations = append(res.Violations, int(g.edge[k]))
			}
		}
	}
	return res
}

// graph is the adjacency in compressed rows: the requirements of u are
// to[start[u]:start[u+1]], sorted by node index without repeats, and
// edge[k] is the index of the input edge that gave to[k].
type graph struct {
	n           int
	start       []int
	to, edge    []int32
	ignored     []int
	comp        []int // strongly connected component of each node, set by walk
	compMembers [][]int
}

// build sorts the edges into rows with two counting passes, so that it is
// linear: first by required node, then (stable) by dependent. The ends are
// first copied into compact arrays: edges carry source ranges, and reading
// them scattered would cost a cache miss each.
func build(n int, edges []Edge) *graph {
	g := &graph{n: n, start: make([]int, n+1)}
	from := make([]int32, len(edges))
	to := make([]int32, len(edges))
	byTo := make([]int32, n+1)
	kept := 0
	for i := range edges {
		e := &edges[i]
		if e.From < 0 || e.From >= n || e.To < 0 || e.To >= n || e.From == e.To {
			g.ignored = append(g.ignored, i)
			from[i] = -1
			continue
		}
		from[i], to[i] = int32(e.From), int32(e.To)
		byTo[e.To+1]++
		kept++
	}
	for v := 0; v < n; v++ {
		byTo[v+1] += byTo[v]
	}
	sortedTo := make([]int32, kept)
	for i, u := range from {
		if u >= 0 {
			v := to[i]
			sortedTo[byTo[v]] = int32(i)
			byTo[v]++
		}
	}
	// Rows by dependent; within a row, increasing required node, and for the
	// same required node increasing edge index, so repeats are adjacent and
	// the first one is kept.
	counts := byTo[:n+1]
	clear(counts)
	for _, u := range from {
		if u >= 0 {
			counts[u+1]++
		}
	}
	for u := 0; u < n; u++ {
		counts[u+1] += counts[u]
	}
	row := make([]int32, kept)
	fill := make([]int32, n)
	copy(fill, counts[:n])
	for _, i := range sortedTo {
		u := from[i]
		row[fill[u]] = i
		fill[u]++
	}
	g.to = make([]int32, 0, kept)
	g.edge = make([]int32, 0, kept)
	var dup []int
	for u := 0; u < n; u++ {
		g.start[u] = len(g.to)
		last := int32(-1)
		for _, i := range row[counts[u]:counts[u+1]] {
			if v := to[i]; v == last {
				dup = append(dup, int(i))
				continue
			}
			last = to[i]
			g.to = append(g.to, last)
			g.edge = append(g.edge, i)
		}
	}
	g.start[n] = len(g.to)
	if len(dup) > 0 {
		slices.Sort(dup)
		g.ignored = mergeSorted(g.ignored, dup)
	}
	return g
}

// walk is Tarjan's algorithm, iterative, with roots and requirements taken
// in the user's order. Nodes are appended to the order when they finish
// (dependencies first); a component is complete when its root finishes.
func (g *graph) walk() ([]int, []Cycle) {
	const unvisited = -1
	n := g.n
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	g.comp = make([]int, n)
	for i := range index {
		index[i] = unvisited
	}
	order := make([]int, 0, n)
	var sccStack []int
	type frame struct{ node, next int }
	var calls []frame
	counter := 0
	var cycles []Cycle
	compCount := 0
	for root := 0; root < n; root++ {
		if index[root] != unvisited {
			continue
		}
		calls = append(calls, frame{root, g.start[root]})
		index[root], low[root] = counter, counter
		counter++
		sccStack = append(sccStack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			u := f.node
			if f.next < g.start[u+1] {
				v := int(g.to[f.next])
				f.next++
				switch {
				case index[v] == unvisited:
					index[v], low[v] = counter, counter
					counter++
					sccStack = append(sccStack, v)
					onStack[v] = true
					calls = append(calls, frame{v, g.start[v]})
				case onStack[v]:
					low[u] = min(low[u], index[v])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			order = append(order, u)
			if len(calls) > 0 {
				p := calls[len(calls)-1].node
				low[p] = min(low[p], low[u])
			}
			if low[u] != index[u] {
				continue
			}
			// u roots a component: pop it.
			k := len(sccStack) - 1
			for sccStack[k] != u {
				k--
			}
			members := sccStack[k:]
			for _, m := range members {
				onStack[m] = false
				g.comp[m] = compCount
			}
			if len(members) > 1 {
				ms := slices.Clone(members)
				slices.Sort(ms)
				cycles = append(cycles, Cycle{Members: ms})
			}
			compCount++
			sccStack = sccStack[:k]
		}
	}
	// Components finish in an order unrelated to the user's; report them
	// by first member, and find one cycle through that member.
	sortCycles(cycles)
	for i := range cycles {
		cycles[i].Edges = g.cycleThrough(cycles[i].Members[0])
	}
	return order, cycles
}

// cycleThrough finds a shortest cycle through s inside its component, by
// breadth-first search over requirements in the user's order.
func (g *graph) cycleThrough(s int) []int {
	c := g.comp[s]
	via := map[int]int{s: -1} // node -> adjacency slot it was reached by
	from := map[int]int{}     // node -> predecessor
	queue := []int{s}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for k := g.start[u]; k < g.start[u+1]; k++ {
			v := int(g.to[k])
			if g.comp[v] != c {
				continue
			}
			if v == s {
				// Walk back from u to s.
				path := []int{int(g.edge[k])}
				for x := u; x != s; x = from[x] {
					path = append(path, int(g.edge[via[x]]))
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if _, seen := via[v]; !seen {
				via[v] = k
				from[v] = u
				queue = append(queue, v)
			}
		}
	}
	return nil // unreachable for a component of more than one node
}
