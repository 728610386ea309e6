// Package fix rewrites a configuration file in place for lint --fix: it
// moves whole lines and changes no other byte, so that what a user wrote
// stays theirs.
package fix

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/stackplan/stackplan/compiler"
)

// ReorderPlugins puts the enable_plugin lines of g's plugins in g's order:
// the lines those plugins occupy keep their places, and take the plugins in
// the new order. Every other byte stays where it is.
func ReorderPlugins(data []byte, g *compiler.DepGraph) ([]byte, int, error) {
	if len(g.Result.Cycles) > 0 {
		return nil, 0, fmt.Errorf("the plugin requirements form a cycle; no order satisfies them")
	}
	if len(g.Result.Violations) == 0 {
		return data, 0, nil
	}
	// Line i spans starts[i] to starts[i+1] (newline included).
	starts := []int{0}
	for i, b := range data {
		if b == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	starts = append(starts, len(data))
	type block struct{ first, last int } // 0-based line numbers, inclusive
	blocks := make([]block, len(g.Plugins))
	for i, p := range g.Plugins {
		if p.Conditional {
			return nil, 0, fmt.Errorf("line %d: enable_plugin %s is inside a condition; move it by hand", p.Range.Start.Line, p.Name.String())
		}
		b := block{p.Range.Start.Line - 1, p.Range.End.Line - 1}
		if b.first < 0 || b.last >= len(starts)-1 {
			return nil, 0, fmt.Errorf("enable_plugin %s is not in this file", p.Name.String())
		}
		before := data[starts[b.first]:p.Range.Start.Byte]
		after := data[p.Range.End.Byte:starts[b.last+1]]
		if len(bytes.TrimSpace(before)) > 0 || !onlyComment(after) {
			return nil, 0, fmt.Errorf("line %d: enable_plugin %s shares its line with other commands; move it by hand", p.Range.Start.Line, p.Name.String())
		}
		if i > 0 && b.first <= blocks[i-1].last {
			return nil, 0, fmt.Errorf("line %d: enable_plugin %s does not follow the previous plugin's line", p.Range.Start.Line, p.Name.String())
		}
		blocks[i] = b
	}
	text := func(b block) []byte {
		t := data[starts[b.first]:starts[b.last+1]]
		if len(t) == 0 || t[len(t)-1] != '\n' {
			return append(append([]byte(nil), t...), '\n') // the last line of a file without a final newline
		}
		return t
	}
	var out bytes.Buffer
	moved := 0
	prev := 0
	for slot, n := range g.Result.Order {
		out.Write(data[starts[prev]:starts[blocks[slot].first]])
		t := text(blocks[n])
		if blocks[slot].last == len(starts)-2 && data[len(data)-1] != '\n' {
			t = bytes.TrimSuffix(t, []byte("\n"))
		}
		out.Write(t)
		prev = blocks[slot].last + 1
		if n != slot {
			moved++
		}
	}
	out.Write(data[starts[prev]:])
	return out.Bytes(), moved, nil
}

// onlyComment reports whether the rest of a line after a command is blank
// or a comment.
func onlyComment(rest []byte) bool {
	t := strings.TrimSpace(string(rest))
	return t == "" || strings.HasPrefix(t, "#")
}
