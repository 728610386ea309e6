package cli

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files and testscript expectations")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"stackplan": func() {
			c := Command{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: os.Environ(), Getwd: os.Getwd}
			os.Exit(c.Main(os.Args[1:]))
		},
	})
}

// TestScripts runs the CLI end to end from testdata/script/*.txtar: each
// script holds its inputs and the exact expected output.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
	})
}

// TestExitCodesDistinct: CI tells the outcomes apart by the exit code
// alone, so no two may share one.
func TestExitCodesDistinct(t *testing.T) {
	codes := map[string]int{"ExitOK": ExitOK, "ExitFindings": ExitFindings, "ExitUsage": ExitUsage, "ExitInternal": ExitInternal,
		"ExitUnformatted": ExitUnformatted, "ExitInterrupted": ExitInterrupted}
	seen := map[int]string{}
	for name, code := range codes {
		if other, dup := seen[code]; dup {
			t.Errorf("%s and %s are both %d", name, other, code)
		}
		seen[code] = name
	}
}
