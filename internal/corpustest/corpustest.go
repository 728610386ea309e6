// Package corpustest serves the tests that read material kept beside the
// repository (the real-world corpus, a pinned DevStack tree), which a clone
// from the project's home does not have. When it is absent, those tests
// skip and say so where a newcomer running plain `go test ./...` sees it.
package corpustest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var noticed sync.Map // corpus directories already reported by this process

// Skip skips tb because the directory dir cannot be read (why).
// go test shows the output of a passing package only with -v, so the
// notice goes to the terminal as well, once per directory and package.
func Skip(tb testing.TB, dir string, why error) {
	tb.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	msg := fmt.Sprintf("NOTE: the tests that read %s did not run: it is absent (%v); see README.md, \"Tests\"", abs, why)
	if _, done := noticed.LoadOrStore(abs, true); !done {
		notify(msg)
	}
	tb.Skip(msg)
}

// notify writes one line to the controlling terminal, where go test does
// not capture it, or to standard error when there is none (CI logs show it
// with -v).
func notify(line string) {
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if _, err := fmt.Fprintln(tty, line); err == nil {
			return
		}
	}
	fmt.Fprintln(os.Stderr, line)
}
