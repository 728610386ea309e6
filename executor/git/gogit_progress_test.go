package git

import (
	"slices"
	"testing"
)

// TestProgressWriterWholeLines feeds go-git's progress in the chunks a
// server may send, split mid-word: only whole lines come out.
func TestProgressWriterWholeLines(t *testing.T) {
	var got []string
	w := &progressWriter{emit: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"Enumerating obj", "ects: 3, done.\nCounting objects:  50% (1/2)\rCounting", " objects: 100% (2/2), done.\n", "Total 3 (delta 0)", ""} {
		w.Write([]byte(chunk))
	}
	want := []string{"Enumerating objects: 3, done.", "Counting objects:  50% (1/2)", "Counting objects: 100% (2/2), done."}
	if !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}
