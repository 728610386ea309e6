package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// newFlagSet makes the flag set of the subcommand name. help is the text
// --help prints above the flags: a "Usage:" line and what the command does.
func (c *Command) newFlagSet(name, help string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), help)
		if fs.HasFlags() {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses a subcommand's arguments as the tools DevStack users
// know do: --help prints the usage on standard output and exits 0; a bad
// flag or value prints the error and a hint on standard error and exits 2.
// ok is false when the command must return code at once.
func (c *Command) parseFlags(fs *pflag.FlagSet, args []string) (code int, ok bool) {
	fs.SetOutput(c.Stdout) // pflag prints the usage itself on --help
	err := fs.Parse(args)
	fs.SetOutput(c.Stderr)
	switch {
	case err == nil:
		return ExitOK, true
	case errors.Is(err, pflag.ErrHelp):
		return ExitOK, false
	}
	return c.usageFailure(fs.Name(), "%s%s", err, singleDashHint(fs, args)), false
}

// usageFailure prints a usage error of the subcommand name with a pointer
// to its --help, and returns the exit code of usage errors.
func (c *Command) usageFailure(name, format string, args ...any) int {
	fmt.Fprintf(c.Stderr, "stackplan %s: %s\n", name, fmt.Sprintf(format, args...))
	fmt.Fprintf(c.Stderr, "Run 'stackplan %s --help' for usage.\n", name)
	return ExitUsage
}

// singleDashHint names the flag meant by a Go-style "-json", which pflag
// reads as the shorthands -j -s -o -n, or by the common --no-color.
func singleDashHint(fs *pflag.FlagSet, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 && fs.Lookup(name) != nil {
			return fmt.Sprintf(" (long flags take two dashes: --%s)", name)
		}
		if a == "--no-color" && fs.Lookup("color") != nil {
			return " (use --color never, or set NO_COLOR=1)"
		}
	}
	return ""
}

// noArgs refuses operands to a command that takes none.
func (c *Command) noArgs(fs *pflag.FlagSet) (int, bool) {
	if fs.NArg() > 0 {
		return c.usageFailure(fs.Name(), "unexpected argument %q", fs.Arg(0)), false
	}
	return ExitOK, true
}
