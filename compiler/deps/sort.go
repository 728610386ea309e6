package deps

import (
	"cmp"
	"slices"
)

// mergeSorted merges two sorted slices.
func mergeSorted(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0] <= b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// sortCycles orders cycles by their first member; members are disjoint
// across components, so first members are distinct.
func sortCycles(cs []Cycle) {
	slices.SortFunc(cs, func(a, b Cycle) int { return cmp.Compare(a.Members[0], b.Members[0]) })
}
