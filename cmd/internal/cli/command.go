// Package cli is stackplan's command line: argument parsing (one pflag
// FlagSet per subcommand), views, and the glue between front-ends, the
// compiler and the executor. It is the only package that prints.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Exit codes, as pre-commit and CI scripts rely on them: each means one
// thing, so that a script can tell an unformatted file from a crash.
const (
	ExitOK          = 0   // success, no finding at or above the fail level
	ExitFindings    = 1   // findings, or a plan with errors
	ExitUsage       = 2   // bad command line or unreadable input
	ExitInternal    = 3   // stackplan itself failed
	ExitUnformatted = 4   // fmt --check: a file is not formatted
	ExitInterrupted = 130 // Ctrl-C, as shells report SIGINT
)

// Version is the tool version recorded in plans.
var Version = "0.1.0-dev"

// Command is one run of stackplan with its process surroundings, so tests
// can run it in-process.
type Command struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Env is the process environment as KEY=VALUE pairs. It is read only
	// for NO_COLOR/FORCE_COLOR and for --env KEY given without a value.
	Env   []string
	Getwd func() (string, error)
	// Context, when set, cancels long operations (apply); Main uses
	// context.Background otherwise.
	Context context.Context
}

type subcommand struct {
	name    string
	summary string
	// run parses the arguments and runs the command (see command).
	run func(c *Command, args []string) int
}

func subcommands() []subcommand {
	return []subcommand{
		command("plan", "compile a configuration and show the plan", planHelp, (*Command).runPlan),
		command("lint", "check configurations and report every finding", lintHelp, (*Command).runLint),
		command("show", "print a plan saved by 'plan --out'", showHelp, (*Command).runShow),
		command("apply", "clone the plugins and run their hooks as DevStack would", applyHelp, (*Command).runApply),
		command("export", "write an Ansible inventory and playbook that apply each node's plan on its host", exportHelp, (*Command).runExport),
		command("graph", "draw the plugin dependency graph", graphHelp, (*Command).runGraph),
		command("rules", "list the lint rules", rulesHelp, (*Command).runRules),
		command("convert", "convert a local.conf to stack.hcl or back", convertHelp, (*Command).runConvert),
		command("fmt", "format stack.hcl files", fmtHelp, (*Command).runFmt),
		command("version", "print the version", versionHelp, (*Command).runVersion),
	}
}

// Main runs the command line and returns the exit code.
func (c *Command) Main(args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(c.Stderr, "stackplan: internal error: %v\n", r)
			code = ExitInternal
		}
	}()
	switch {
	case len(args) == 0:
		c.usage(c.Stderr)
		return ExitUsage
	case args[0] == "-h" || args[0] == "--help":
		c.usage(c.Stdout)
		return ExitOK
	case args[0] == "--version" || args[0] == "-V":
		sc, _ := findSubcommand("version")
		return sc.run(c, args[1:])
	case args[0] == "help":
		// "help CMD" is "CMD --help", as git and go have it.
		if len(args) == 1 {
			c.usage(c.Stdout)
			return ExitOK
		}
		if sc, ok := findSubcommand(args[1]); ok {
			return sc.run(c, []string{"--help"})
		}
		args = args[1:]
	default:
		if sc, ok := findSubcommand(args[0]); ok {
			return sc.run(c, args[1:])
		}
	}
	fmt.Fprintf(c.Stderr, "stackplan: unknown command %q\n\n", args[0])
	c.usage(c.Stderr)
	return ExitUsage
}

func findSubcommand(name string) (subcommand, bool) {
	for _, sc := range subcommands() {
		if sc.name == name {
			return sc, true
		}
	}
	return subcommand{}, false
}

func (c *Command) usage(w io.Writer) {
	fmt.Fprintln(w, "stackplan compiles DevStack local.conf files into validated, ordered plans.")
	fmt.Fprintln(w, "\nUsage: stackplan COMMAND [flags] [FILE...]\n\nCommands:")
	for _, sc := range subcommands() {
		fmt.Fprintf(w, "  %-8s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w, "\nRun 'stackplan help COMMAND' (or 'stackplan COMMAND --help') for the flags of one command,\nand 'stackplan --version' for the version.")
}

func (c *Command) getenv(key string) (string, bool) {
	for _, kv := range c.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func (c *Command) ctx() context.Context {
	if c.Context != nil {
		return c.Context
	}
	return context.Background()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor decides colour for w from --color, NO_COLOR and FORCE_COLOR.
func (c *Command) useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if v, ok := c.getenv("FORCE_COLOR"); ok && v != "0" && v != "false" {
		return true
	}
	if v, ok := c.getenv("NO_COLOR"); ok && v != "" {
		return false
	}
	return isTerminal(w)
}

const versionHelp = "Usage: stackplan version\n\nPrints the version of stackplan (also: stackplan --version)."

func (c *Command) runVersion(*noArguments) int {
	fmt.Fprintf(c.Stdout, "stackplan %s\n", Version)
	return ExitOK
}
