package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor"
)

// TestCloneProgressLines checks what a terminal shows of git's progress:
// whole lines, at most one per progressEvery and plugin, and the final
// "done." line always.
func TestCloneProgressLines(t *testing.T) {
	var out bytes.Buffer
	v := newTextApplyView(&out, &out, false)
	v.terminal = true // as on a terminal, without colour to compare
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v.CloneProgress(executor.CloneEvent{Plugin: "a", Stage: executor.CloneStart, Time: t0, Dir: "/opt/stack/a"})
	for i := range 10 { // 10 updates 50ms apart: 500ms
		at := t0.Add(time.Duration(i) * 50 * time.Millisecond)
		v.CloneProgress(executor.CloneEvent{Plugin: "a", Stage: executor.CloneProgress, Time: at, Message: "Receiving objects: " + string(rune('0'+i)) + "0%"})
		v.CloneProgress(executor.CloneEvent{Plugin: "b", Stage: executor.CloneProgress, Time: at, Message: "Counting objects: " + string(rune('0'+i))})
	}
	v.CloneProgress(executor.CloneEvent{Plugin: "a", Stage: executor.CloneProgress, Time: t0.Add(460 * time.Millisecond), Message: "Receiving objects: 100% (9/9), done."})
	want := "\x1b[36mclone\x1b[0m +0ms a: git clone /opt/stack/a\n" +
		"\x1b[2mclone\x1b[0m a: Receiving objects: 00%\n" +
		"\x1b[2mclone\x1b[0m b: Counting objects: 0\n" +
		"\x1b[2mclone\x1b[0m a: Receiving objects: 50%\n" +
		"\x1b[2mclone\x1b[0m b: Counting objects: 5\n" +
		"\x1b[2mclone\x1b[0m a: Receiving objects: 100% (9/9), done.\n"
	if got := out.String(); got != want {
		t.Errorf("terminal lines:\n%q\nwant\n%q", got, want)
	}
}

// TestClonePipedLines checks the piped view: git is not asked for progress,
// and each clone gives a line at its start and one at its end, with times.
func TestClonePipedLines(t *testing.T) {
	var out bytes.Buffer
	v := newTextApplyView(&out, &out, false)
	if v.showsCloneProgress() {
		t.Fatal("a piped view asks git for progress lines")
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v.CloneProgress(executor.CloneEvent{Plugin: "a", Stage: executor.CloneStart, Time: t0, Dir: "/opt/stack/a"})
	v.CloneProgress(executor.CloneEvent{Plugin: "a", Stage: executor.CloneDone, Time: t0.Add(1500 * time.Millisecond),
		Result: &executor.CloneResult{Action: "cloned", Commit: "0123456789abcdef", Start: t0, End: t0.Add(1500 * time.Millisecond)}})
	want := "clone +0ms a: git clone /opt/stack/a\nclone a: cloned at 0123456789ab (1.5s)\n"
	if got := out.String(); got != want {
		t.Errorf("piped lines:\n%q\nwant\n%q", got, want)
	}
}
