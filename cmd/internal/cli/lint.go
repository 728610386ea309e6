package cli

import (
	"fmt"
	"maps"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/schema"
)

type lintArgs struct {
	config     configFlags
	online     onlineFlags
	deps       depsFlags
	formatName string
	failLevel  string
	color      string
	combine    bool
	files      []string
	// format and failOn are what --format and --fail-level name.
	format diagview.Format
	failOn hcl.DiagnosticSeverity
}

const lintHelp = "Usage: stackplan lint [flags] FILE...\n\nReports every finding of every FILE (- reads standard input).\nExit status: 0 clean, 1 findings, 2 usage error, 3 internal failure."

func (a *lintArgs) flags(fs *pflag.FlagSet) {
	a.config.register(fs)
	a.online.register(fs)
	a.deps.register(fs, false, true)
	fs.StringVarP(&a.formatName, "format", "f", "pretty", "output format: pretty, compact, json, sarif or github")
	fs.BoolVar(&a.combine, "combine", false, "lint the files as fragments of one local.conf, combined in order (default: each file on its own)")
	fs.StringVar(&a.failLevel, "fail-level", "warning", "exit 1 when a finding is at or above this severity: warning (any finding, as actionlint and shellcheck do) or error")
	fs.StringVar(&a.color, "color", "auto", "colour: auto, always or never (auto honours NO_COLOR and FORCE_COLOR)")
}

func (a *lintArgs) check(operands []string) error {
	var err error
	if a.format, err = diagview.ParseFormat(a.formatName); err != nil {
		return &usageError{err.Error()}
	}
	switch a.failLevel {
	case "error":
		a.failOn = hcl.DiagError
	case "warning":
		a.failOn = hcl.DiagWarning
	default:
		return usagef("--fail-level %q: expected error or warning", a.failLevel)
	}
	a.files = operands
	return nil
}

func (c *Command) runLint(a *lintArgs) int {
	files, opts, err := c.configuration(a.files, a.config, "")
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
		return ExitUsage
	}
	cp := c.newCompilation(&a.online, &a.deps, false)
	if a.deps.fix && !cp.fixFiles(files, opts) {
		return ExitFindings
	}

	var all hcl.Diagnostics
	sources := map[string][]byte{}
	unreadable := false
	groups := [][]string{files}
	if !a.combine {
		groups = groups[:0]
		for _, f := range files {
			groups = append(groups, []string{f})
		}
	}
	for _, group := range groups {
		if len(group) == 1 && c.isMultiNodeHCL(group[0], opts) {
			// Every node, not only the controller plan and apply default to.
			j, err := cp.compileHCLNodes(group[0], "", opts)
			if err != nil {
				fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
				unreadable = true
				continue
			}
			maps.Copy(sources, j.Files)
			all = append(all, j.Diagnostics()...)
			continue
		}
		res, err := cp.compileFiles(group, opts)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
			unreadable = true
			continue
		}
		maps.Copy(sources, res.sources)
		all = append(all, res.diags...)
	}
	all = schema.SortDiagnostics(all)
	vopts := diagview.Options{Color: c.useColor(a.color, c.Stdout), ToolVersion: Version}
	if err := diagview.Write(c.Stdout, a.format, all, sources, vopts); err != nil {
		fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
		return ExitInternal
	}
	if unreadable {
		return ExitUsage
	}
	for _, d := range all {
		if d.Severity <= a.failOn { // hcl orders DiagError before DiagWarning
			return ExitFindings
		}
	}
	return ExitOK
}

// noArguments are the arguments of a command that takes none.
type noArguments struct{}

func (*noArguments) flags(*pflag.FlagSet)          {}
func (*noArguments) check(operands []string) error { return noOperands(operands) }

const rulesHelp = "Usage: stackplan rules\n\nLists every rule lint applies: its name, its severity and what it finds.\ndocs/rules.md explains each one with a bad and a good example."

func (c *Command) runRules(*noArguments) int {
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 1, ' ', 0)
	for _, r := range schema.Rules() {
		sev := "error"
		if r.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, sev, r.Summary)
	}
	tw.Flush()
	return ExitOK
}
