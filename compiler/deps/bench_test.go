package deps

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchGraph makes a DAG of n plugins and m edges whose requirements point
// at random earlier or later plugins, so about half the edges are violated
// and the order has to move most nodes.
func benchGraph(n, m int) []Edge {
	r := rand.New(rand.NewPCG(uint64(n), uint64(m)))
	rank := r.Perm(n)
	edges := make([]Edge, 0, m)
	for len(edges) < m {
		u, v := r.IntN(n), r.IntN(n)
		if rank[u] == rank[v] {
			continue
		}
		if rank[u] < rank[v] {
			u, v = v, u
		}
		edges = append(edges, Edge{From: u, To: v})
	}
	return edges
}

// BenchmarkAnalyze orders 10,000 plugins with 50,000 edges, and ten times
// that; scripts compare the two to check that the cost is linear
// (go test -bench Analyze ./compiler/deps).
func BenchmarkAnalyze(b *testing.B) {
	for _, size := range []struct{ n, m int }{{10_000, 50_000}, {100_000, 500_000}} {
		edges := benchGraph(size.n, size.m)
		b.Run(fmt.Sprintf("nodes=%d/edges=%d", size.n, size.m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := Analyze(size.n, edges)
				if len(res.Order) != size.n {
					b.Fatal("short order")
				}
			}
		})
	}
}
