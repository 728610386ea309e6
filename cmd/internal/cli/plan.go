package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/plan/stale"
)

type planArgs struct {
	config   configFlags
	online   onlineFlags
	zuul     zuulFlags
	deps     depsFlags
	json     bool
	out      string
	verbose  bool
	color    string
	devstack string
	files    []string
}

const planHelp = "Usage: stackplan plan [flags] [FILE...]\n\nCompiles FILE (default: ./local.conf) and shows the plan. Several local.conf files are\ncombined in order as fragments of one, as CI jobs assemble theirs."

func (a *planArgs) flags(fs *pflag.FlagSet) {
	a.config.register(fs)
	a.online.register(fs)
	a.zuul.register(fs)
	a.deps.register(fs, true, false)
	fs.BoolVar(&a.json, "json", false, "print the plan as JSON (with a diagnostics array when there are problems)")
	fs.StringVar(&a.out, "out", "", "write the plan to `FILE` for a later apply (never when it has errors)")
	fs.BoolVarP(&a.verbose, "verbose", "v", false, "list every step")
	fs.StringVar(&a.color, "color", "auto", "colour diagnostics: auto, always or never")
	fs.StringVar(&a.devstack, "devstack", "", "a DevStack checkout: plan clone steps for DevStack's own repositories its stackrc names for the enabled services")
}

func (a *planArgs) check(operands []string) error {
	a.files = operands
	return nil
}

func (c *Command) runPlan(a *planArgs) int {
	if a.zuul.given() {
		return c.planZuul(a, a.files)
	}
	files, opts, err := c.configuration(a.files, a.config, a.devstack)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
		return ExitUsage
	}
	if len(files) == 1 && c.isMultiNodeHCL(files[0], opts) {
		return c.planHCLNodes(a, files[0], opts)
	}
	cp := c.newCompilation(&a.online, &a.deps, a.config.dest != "")
	res, err := cp.compileFiles(files, opts)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
		return ExitUsage
	}
	p := res.plan
	hasErrors := res.diags.HasErrors()

	if a.json {
		data, err := planfile.Marshal(p)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
			return ExitInternal
		}
		c.Stdout.Write(data)
	} else {
		if len(res.diags) > 0 {
			files := res.sources
			opts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
			if err := diagview.Write(c.Stderr, diagview.Pretty, res.diags, files, opts); err != nil {
				fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
				return ExitInternal
			}
		}
		writePlanText(c.Stdout, p, a.verbose)
	}
	if hasErrors {
		if a.out != "" {
			fmt.Fprintf(c.Stderr, "stackplan plan: the plan has errors; %s not written\n", a.out)
		}
		return ExitFindings
	}
	if a.out != "" && len(res.exposed) > 0 {
		fmt.Fprintf(c.Stderr, "stackplan plan: %s not written: %v\n", a.out, errSecretInPlanFile)
		return ExitFindings
	}
	if a.out != "" {
		p.Diagnostics = nil // warnings were shown; a plan file records what to do
		if err := stale.InputsRelativeTo(p, a.out); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
			return ExitInternal
		}
		if err := planfile.Write(a.out, p); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan plan: %v\n", err)
			return ExitInternal
		}
		if !a.json {
			fmt.Fprintf(c.Stdout, "\nPlan written to %s; apply it with: stackplan apply %s\n", a.out, a.out)
		}
	}
	return ExitOK
}
