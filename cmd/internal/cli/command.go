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

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/schema"
)

// Exit codes, as pre-commit and CI scripts rely on them.
const (
	ExitOK       = 0 // success, no finding at or above the fail level
	ExitFindings = 1 // findings, or a plan with errors
	ExitUsage    = 2 // bad command line or unreadable input
	ExitInternal = 3 // stackplan itself failed
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

	// remotes lists plugin remotes for compilations (--online); nil offline.
	remotes func(*schema.Config) map[string]compiler.Remote
	// inspectCheckouts compares existing checkouts with the config (plan --dest).
	inspectCheckouts bool
	// settings reads plugins' devstack/settings for their requirements,
	// with a finding for each --fetch that failed; nil: none read.
	settings func(*schema.Config) (map[string]*pluginsettings.Declarations, hcl.Diagnostics)
	// sortPlugins plans plugins in requirement order (plan --sort).
	sortPlugins bool
}

type subcommand struct {
	name    string
	summary string
	run     func(c *Command, args []string) int
}

func subcommands() []subcommand {
	return []subcommand{
		{"plan", "compile a configuration and show the plan", (*Command).runPlan},
		{"lint", "check configurations and report every finding", (*Command).runLint},
		{"show", "print a plan saved by 'plan --out'", (*Command).runShow},
		{"apply", "clone the plugins and run their hooks as DevStack would", (*Command).runApply},
		{"export", "write an Ansible inventory and playbook that apply each node's plan on its host", (*Command).runExport},
		{"graph", "draw the plugin dependency graph", (*Command).runGraph},
		{"rules", "list the lint rules", (*Command).runRules},
		{"convert", "convert a local.conf to stack.hcl or back", (*Command).runConvert},
		{"fmt", "format stack.hcl files", (*Command).runFmt},
		{"version", "print the version", (*Command).runVersion},
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
		return c.runVersion(args[1:])
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

func (c *Command) runVersion(args []string) int {
	fs := c.newFlagSet("version", "Usage: stackplan version\n\nPrints the version of stackplan (also: stackplan --version).")
	if code, ok := c.parseFlags(fs, args); !ok {
		return code
	}
	if code, ok := c.noArgs(fs); !ok {
		return code
	}
	fmt.Fprintf(c.Stdout, "stackplan %s\n", Version)
	return ExitOK
}
