package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// arguments is a command's arguments step, as OpenTofu splits its
// commands: it registers the command's flags, then turns what was parsed
// (flags and operands) into typed values. It never prints; a problem is an
// error, which the glue shows (see command).
type arguments interface {
	// flags registers the command's flags, bound to its fields.
	flags(fs *pflag.FlagSet)
	// check validates the parsed flags and takes the operands. A
	// *usageError is shown with a pointer to --help, any other error as it
	// is; both exit 2.
	check(operands []string) error
}

// usageError is a bad command line: shown with a pointer to --help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// noOperands is check for a command that takes no operand.
func noOperands(operands []string) error {
	if len(operands) > 0 {
		return usagef("unexpected argument %q", operands[0])
	}
	return nil
}

// command makes the subcommand name, whose arguments are an A: parsing
// and checking them is the same for every command, and run gets them
// typed. help is the text --help prints above the flags: a "Usage:" line
// and what the command does.
func command[A any, P interface {
	*A
	arguments
}](name, summary, help string, run func(*Command, P) int) subcommand {
	return subcommand{name: name, summary: summary, run: func(c *Command, args []string) int {
		a := P(new(A))
		fs := newFlagSet(name, help)
		a.flags(fs)
		err := parseArguments(fs, a, args)
		switch {
		case err == nil:
			return run(c, a)
		case errors.Is(err, pflag.ErrHelp):
			fs.SetOutput(c.Stdout)
			fs.Usage()
			return ExitOK
		case errors.As(err, new(*usageError)):
			return c.usageFailure(name, "%v", err)
		}
		fmt.Fprintf(c.Stderr, "stackplan %s: %v\n", name, err)
		return ExitUsage
	}}
}

// newFlagSet makes the flag set of the subcommand name; its usage prints
// help above the flags.
func newFlagSet(name, help string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), help)
		if fs.HasFlags() {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseArguments parses args into a. It returns pflag.ErrHelp for --help,
// a *usageError for a bad flag or value (with a hint for the mistakes
// DevStack users make), or what a.check returns.
func parseArguments(fs *pflag.FlagSet, a arguments, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // pflag calls it on --help; the glue prints it
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, pflag.ErrHelp):
		return err
	case err != nil:
		return usagef("%s%s", err, singleDashHint(fs, args))
	}
	return a.check(fs.Args())
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

// usageFailure prints a usage error of the subcommand name with a pointer
// to its --help, and returns the exit code of usage errors.
func (c *Command) usageFailure(name, format string, args ...any) int {
	fmt.Fprintf(c.Stderr, "stackplan %s: %s\n", name, fmt.Sprintf(format, args...))
	fmt.Fprintf(c.Stderr, "Run 'stackplan %s --help' for usage.\n", name)
	return ExitUsage
}
