package evaluator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitLinesOffsets(t *testing.T) {
	src := "ab\n\nc\r\nd"
	got := SplitLines([]byte(src))
	want := []Line{{"ab", 0, 1}, {"", 3, 2}, {"c\r", 4, 3}, {"d", 7, 4}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SplitLines mismatch (-want +got):\n%s", diff)
	}
}
