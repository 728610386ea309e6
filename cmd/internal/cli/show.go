package cli

import (
	"fmt"
	"os"

	"github.com/stackplan/stackplan/plan/planfile"
)

// runShow prints a plan saved by 'plan --out' as plan prints it, so a
// plan can be reviewed where it is applied, without its inputs.
func (c *Command) runShow(args []string) int {
	var verbose, asJSON bool
	fs := c.newFlagSet("show", "Usage: stackplan show [flags] PLAN.json\n\nPrints a plan written by 'stackplan plan --out' as 'stackplan plan' shows it.")
	fs.BoolVarP(&verbose, "verbose", "v", false, "list every step")
	fs.BoolVar(&asJSON, "json", false, "print the plan as JSON, as 'plan --json' does")
	if code, ok := c.parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return c.usageFailure("show", "name one plan file")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan show: %v\n", err)
		return ExitUsage
	}
	defer f.Close()
	p, err := planfile.Read(f, path)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan show: %v\n", err)
		return ExitUsage
	}
	if asJSON {
		data, err := planfile.Marshal(p)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan show: %v\n", err)
			return ExitInternal
		}
		c.Stdout.Write(data)
		return ExitOK
	}
	for i, in := range p.Inputs {
		p.Inputs[i].Path = inputOfPlan(path, in.Path)
	}
	writePlanText(c.Stdout, p, verbose)
	return ExitOK
}
