// Command stackplan compiles DevStack configurations into validated plans and applies them.
package main

import (
	"os"

	"github.com/stackplan/stackplan/cmd/internal/cli"
)

func main() {
	c := cli.Command{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: os.Environ(), Getwd: os.Getwd}
	os.Exit(c.Main(os.Args[1:]))
}
