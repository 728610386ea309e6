package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"
	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/internal/atomicfile"
	"github.com/stackplan/stackplan/schema"
)

type fmtArgs struct {
	checkOnly, diff, write bool
	color                  string
	files                  []string
}

const fmtHelp = "Usage: stackplan fmt [flags] [FILE...]\n\nFormats stack.hcl files in HCL's canonical style (default: the stack.hcl and\n*.stack.hcl files of the current directory; - reads standard input). Without\n--check, --diff or --write it prints the formatted text.\nExit status: 0 formatted, 4 not formatted (--check), 2 syntax error or usage, 3 internal failure."

func (a *fmtArgs) flags(fs *pflag.FlagSet) {
	fs.BoolVar(&a.checkOnly, "check", false, "list the files that are not formatted and exit 4 if any")
	fs.BoolVar(&a.diff, "diff", false, "print a diff of the formatting changes")
	fs.BoolVarP(&a.write, "write", "w", false, "rewrite the files in place (atomically)")
	fs.StringVar(&a.color, "color", "auto", "colour diagnostics: auto, always or never")
}

func (a *fmtArgs) check(operands []string) error {
	a.files = operands
	return nil
}

func (c *Command) runFmt(a *fmtArgs) int {
	files := a.files
	if len(files) == 0 {
		found, err := c.hclFilesHere()
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan fmt: %v\n", err)
			return ExitUsage
		}
		files = found
	}
	code := ExitOK
	for _, f := range files {
		if r := c.fmtFile(f, *a); r != ExitOK && (code == ExitOK || r == ExitUsage) {
			code = r
		}
	}
	return code
}

func (c *Command) hclFilesHere() ([]string, error) {
	dir, err := c.Getwd()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && hclconf.IsHCLFile(e.Name()) && !hclconf.IsJSON(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no stack.hcl in the current directory; name the files to format")
	}
	return out, nil
}

func (c *Command) fmtFile(path string, a fmtArgs) int {
	name, data, tooBig, err := c.readInput(path)
	if err == nil && tooBig {
		err = fmt.Errorf("%s is too large", name)
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "stackplan fmt: %v\n", err)
		return ExitUsage
	}
	if name != schema.StdinName && !hclconf.IsHCLFile(name) && !strings.HasSuffix(name, ".hcl") {
		return c.usageFailure("fmt", "%s is not a stack.hcl: fmt formats stack.hcl files; 'stackplan convert --to hcl %s' turns a local.conf into one", name, path)
	}
	if hclconf.IsJSON(name) {
		fmt.Fprintf(c.Stderr, "stackplan fmt: %s: HCL's JSON syntax is not formatted\n", name)
		return ExitUsage
	}
	if _, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos); diags.HasErrors() {
		vopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
		diagview.Write(c.Stderr, diagview.Pretty, diags, map[string][]byte{name: data}, vopts)
		return ExitUsage
	}
	out := hclwrite.Format(data)
	changed := !bytes.Equal(out, data)
	if !a.checkOnly && !a.diff && !a.write {
		c.Stdout.Write(out)
		return ExitOK
	}
	if a.diff && changed {
		c.Stdout.Write(diff.Diff(name, data, name+" (formatted)", out))
	}
	if a.checkOnly {
		if changed {
			fmt.Fprintln(c.Stdout, name)
			return ExitUnformatted
		}
		return ExitOK
	}
	if a.write && changed && path != "-" {
		perm := os.FileMode(0o644)
		if st, err := os.Stat(path); err == nil {
			perm = st.Mode().Perm()
		}
		if err := atomicfile.Write(filepath.Clean(path), out, perm); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan fmt: %v\n", err)
			return ExitInternal
		}
	}
	return ExitOK
}
