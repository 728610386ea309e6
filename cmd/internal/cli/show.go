package cli

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/plan/stale"
)

type showArgs struct {
	verbose, json bool
	path          string
}

const showHelp = "Usage: stackplan show [flags] PLAN.json\n\nPrints a plan written by 'stackplan plan --out' as 'stackplan plan' shows it."

func (a *showArgs) flags(fs *pflag.FlagSet) {
	fs.BoolVarP(&a.verbose, "verbose", "v", false, "list every step")
	fs.BoolVar(&a.json, "json", false, "print the plan as JSON, as 'plan --json' does")
}

func (a *showArgs) check(operands []string) error {
	if len(operands) != 1 {
		return usagef("name one plan file")
	}
	a.path = operands[0]
	return nil
}

// runShow prints a plan saved by 'plan --out' as plan prints it, so a
// plan can be reviewed where it is applied, without its inputs.
func (c *Command) runShow(a *showArgs) int {
	path, verbose, asJSON := a.path, a.verbose, a.json
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
		p.Inputs[i].Path = stale.InputOf(path, in.Path)
	}
	writePlanText(c.Stdout, p, verbose)
	return ExitOK
}
