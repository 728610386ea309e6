package cli

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/internal/atomicfile"
	"github.com/stackplan/stackplan/schema"
)

// parseConfig reads one configuration with the front-end its name (or
// --kind) selects: stack.hcl, *.stack.hcl and their .json forms are
// stack.hcl, anything else a local.conf or legacy localrc.
func parseConfig(name string, data []byte, opts evaluator.Options) (*schema.Config, hcl.Diagnostics) {
	if opts.Kind == "" && name == schema.StdinName && looksLikeHCL(data) {
		opts.Kind = schema.KindHCL
	}
	if opts.Kind == schema.KindHCL || opts.Kind == "" && hclconf.IsHCLFile(name) {
		opts.Kind = ""
		return hclconf.Parse(name, data, opts)
	}
	return localconf.Parse(name, data, opts)
}

type convertArgs struct {
	config configFlags
	zuul   zuulFlags
	from   string
	to     string
	out    string
	color  string
	files  []string
}

const convertHelp = "Usage: stackplan convert --to hcl|localconf [flags] FILE\n       stackplan convert --from zuul --zuul FILE... --job NAME [--node NAME] --to hcl|localconf\n\nConverts a local.conf to stack.hcl or back, or a Zuul job's nodes to either. What\nstack.hcl cannot say is kept verbatim in bash blocks, with a warning."

func (a *convertArgs) flags(fs *pflag.FlagSet) {
	a.config.register(fs)
	a.zuul.register(fs)
	fs.StringVar(&a.from, "from", "", "input format: zuul (a Zuul job, with --zuul and --job); default: from the file name")
	fs.StringVar(&a.to, "to", "", "output format: hcl or localconf (required)")
	fs.StringVarP(&a.out, "out", "o", "", "write to `FILE` (atomically) instead of standard output")
	fs.StringVar(&a.color, "color", "auto", "colour diagnostics: auto, always or never")
}

func (a *convertArgs) check(operands []string) error {
	if a.to != "hcl" && a.to != "localconf" && a.to != "local.conf" {
		return usagef("--to %q: expected hcl or localconf", a.to)
	}
	a.files = operands
	if a.from == "zuul" || a.zuul.given() {
		if a.from != "" && a.from != "zuul" {
			return fmt.Errorf("--zuul is for --from zuul, not --from %s", a.from)
		}
		a.zuul.files = append(a.zuul.files, operands...)
		if !a.zuul.given() {
			return fmt.Errorf("--from zuul needs --zuul FILE... and --job NAME")
		}
		return nil
	}
	if a.from != "" {
		return usagef("--from %q: expected zuul (local.conf and stack.hcl are told by the file name, or --kind)", a.from)
	}
	return nil
}

func (c *Command) runConvert(a *convertArgs) int {
	if a.from == "zuul" || a.zuul.given() {
		return c.convertZuul(a)
	}
	opts, err := a.config.options(c)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
		return ExitUsage
	}
	if len(a.files) > 1 && a.to != "hcl" {
		return c.combineFragments(a, a.files, opts)
	}
	if len(a.files) != 1 {
		return c.usageFailure("convert", "name one FILE to convert (several local.conf fragments combine with --to localconf)")
	}
	file := a.files[0]
	if a.to == "localconf" && c.isMultiNodeHCL(file, opts) {
		j, err := c.newCompilation(nil, nil, false).compileHCLNodes(file, a.zuul.node, opts)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
			return ExitUsage
		}
		return c.convertNodes(a, j, opts)
	}
	name, data, tooBig, err := c.readInput(file)
	if err == nil && tooBig {
		err = fmt.Errorf("%s is larger than %d MiB", name, localconf.MaxSize>>20)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
		return ExitUsage
	}
	cfg, front := parseConfig(name, data, opts)
	files := map[string][]byte{name: data}
	show := func(diags hcl.Diagnostics) bool {
		if len(diags) == 0 {
			return true
		}
		vopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
		if err := diagview.Write(c.Stderr, diagview.Pretty, schema.SortDiagnostics(diags), files, vopts); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
			return false
		}
		return true
	}
	if cfg.Inputs[0].Kind == schema.KindHCL && front.HasErrors() {
		var errs hcl.Diagnostics
		for _, d := range front {
			if d.Severity == hcl.DiagError {
				errs = append(errs, d)
			}
		}
		show(errs)
		fmt.Fprintln(c.Stderr, "stackplan convert: the stack.hcl has errors; nothing converted")
		return ExitFindings
	}
	var out []byte
	var diags hcl.Diagnostics
	if a.to == "hcl" {
		out, diags = convert.ToHCL(cfg, data)
	} else {
		out, diags = convert.ToLocalConf(cfg)
	}
	if !show(diags) {
		return ExitInternal
	}
	if diags.HasErrors() {
		return ExitFindings
	}
	return c.writeConverted(a.out, out)
}

// combineFragments writes the one local.conf that several fragments make:
// their localrc sections joined in order, their meta-sections after.
func (c *Command) combineFragments(a *convertArgs, files []string, opts evaluator.Options) int {
	res, err := c.newCompilation(nil, nil, false).compileFiles(files, opts)
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
		return ExitUsage
	}
	out, diags := convert.ToLocalConf(res.cfg)
	diags = append(res.diags, diags...)
	if len(diags) > 0 {
		vopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
		if err := diagview.Write(c.Stderr, diagview.Pretty, schema.SortDiagnostics(diags), res.sources, vopts); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
			return ExitInternal
		}
	}
	if diags.HasErrors() {
		fmt.Fprintln(c.Stderr, "stackplan convert: the fragments have errors; nothing written")
		return ExitFindings
	}
	return c.writeConverted(a.out, out)
}

// writeConverted prints a conversion, or writes it atomically to path,
// readable by its owner only: a configuration may hold passwords.
func (c *Command) writeConverted(path string, out []byte) int {
	if path == "" {
		c.Stdout.Write(out)
		return ExitOK
	}
	if err := atomicfile.Write(path, out, 0o600); err != nil {
		fmt.Fprintf(c.Stderr, "stackplan convert: %v\n", err)
		return ExitInternal
	}
	return ExitOK
}
