package cli

import (
	"fmt"
	"maps"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/schema"
)

type lintArgs struct {
	config    configFlags
	online    onlineFlags
	deps      depsFlags
	format    string
	failLevel string
	color     string
	combine   bool
}

func (c *Command) runLint(args []string) int {
	var a lintArgs
	fs := c.newFlagSet("lint", "Usage: stackplan lint [flags] FILE...\n\nReports every finding of every FILE (- reads standard input).\nExit status: 0 clean, 1 findings, 2 usage error, 3 internal failure.")
	a.config.register(fs)
	a.online.register(fs)
	a.deps.register(fs, false, true)
	fs.StringVarP(&a.format, "format", "f", "pretty", "output format: pretty, compact, json, sarif or github")
	fs.BoolVar(&a.combine, "combine", false, "lint the files as fragments of one local.conf, combined in order (default: each file on its own)")
	fs.StringVar(&a.failLevel, "fail-level", "warning", "exit 1 when a finding is at or above this severity: warning (any finding, as actionlint and shellcheck do) or error")
	fs.StringVar(&a.color, "color", "auto", "colour: auto, always or never (auto honours NO_COLOR and FORCE_COLOR)")
	if code, ok := c.parseFlags(fs, args); !ok {
		return code
	}
	format, err := diagview.ParseFormat(a.format)
	if err != nil {
		return c.usageFailure("lint", "%v", err)
	}
	var failOn hcl.DiagnosticSeverity
	switch a.failLevel {
	case "error":
		failOn = hcl.DiagError
	case "warning":
		failOn = hcl.DiagWarning
	default:
		return c.usageFailure("lint", "--fail-level %q: expected error or warning", a.failLevel)
	}
	files := fs.Args()
	if len(files) == 0 {
		name, err := c.defaultConfig()
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
			return ExitUsage
		}
		files = []string{name}
	}
	opts, err := a.config.options(c)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
		return ExitUsage
	}
	a.online.use(c)
	a.deps.use(c)
	if a.deps.fix && !c.fixFiles(files, opts) {
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
			job, err := c.compileHCLNodes(group[0], "", opts)
			if err != nil {
				fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
				unreadable = true
				continue
			}
			maps.Copy(sources, job.files)
			all = append(all, job.diagnostics()...)
			continue
		}
		res, err := c.compileFiles(group, opts)
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
	if err := diagview.Write(c.Stdout, format, all, sources, vopts); err != nil {
		fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
		return ExitInternal
	}
	if unreadable {
		return ExitUsage
	}
	for _, d := range all {
		if d.Severity <= failOn { // hcl orders DiagError before DiagWarning
			return ExitFindings
		}
	}
	return ExitOK
}

func (c *Command) runRules(args []string) int {
	fs := c.newFlagSet("rules", "Usage: stackplan rules\n\nLists every rule lint applies: its name, its severity and what it finds.\ndocs/rules.md explains each one with a bad and a good example.")
	if code, ok := c.parseFlags(fs, args); !ok {
		return code
	}
	if code, ok := c.noArgs(fs); !ok {
		return code
	}
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
