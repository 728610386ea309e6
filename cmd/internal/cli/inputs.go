package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// configFlags are the flags every command that reads a configuration takes.
type configFlags struct {
	dest string
	env  []string
	kind string
}

func (f *configFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.dest, "dest", "", "plugin base directory, replacing DevStack's /opt/stack (a DEST= in localrc still wins)")
	fs.StringArrayVar(&f.env, "env", nil, "environment variable DevStack would inherit, as KEY=VALUE, or KEY to take it from this process (repeatable)")
	fs.StringVar(&f.kind, "kind", "", "input kind: local.conf, localrc or hcl (default: from the file name and content)")
}

// options turns the flags into front-end options.
func (f *configFlags) options(c *Command) (evaluator.Options, error) {
	opts := evaluator.Options{Dest: f.dest, Env: map[string]string{}}
	if f.dest != "" && !filepath.IsAbs(f.dest) {
		abs, err := filepath.Abs(f.dest)
		if err != nil {
			return opts, err
		}
		opts.Dest = abs
	}
	for _, kv := range f.env {
		k, v, hasValue := strings.Cut(kv, "=")
		if k == "" {
			return opts, fmt.Errorf("--env %q: expected KEY=VALUE or KEY", kv)
		}
		if err := schema.CheckEnvName(k); err != nil {
			return opts, fmt.Errorf("--env %s: %w", k, err)
		}
		if !hasValue {
			var ok bool
			if v, ok = c.getenv(k); !ok {
				return opts, fmt.Errorf("--env %s: not set in this environment", k)
			}
		}
		opts.Env[k] = v
	}
	switch f.kind {
	case "", schema.KindLocalConf, schema.KindLocalrc, schema.KindHCL:
		opts.Kind = f.kind
	default:
		return opts, fmt.Errorf("--kind %q: expected local.conf, localrc or hcl", f.kind)
	}
	return opts, nil
}

// readInput reads one input file (or standard input for "-"), refusing
// more than localconf.MaxSize bytes without reading them all.
func (c *Command) readInput(path string) (name string, data []byte, tooBig bool, err error) {
	var r io.Reader
	name = path
	if path == "-" {
		name, r = schema.StdinName, c.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return name, nil, false, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return name, nil, false, fmt.Errorf("%s is a directory", path)
		}
		r = f
	}
	data, err = io.ReadAll(io.LimitReader(r, localconf.MaxSize+1))
	if err != nil {
		return name, nil, false, err
	}
	if len(data) > localconf.MaxSize {
		return name, data[:0], true, nil
	}
	if isPlanFile(data) {
		return name, nil, false, fmt.Errorf("%s is a plan written by 'stackplan plan --out', not a configuration: 'stackplan show %s' prints it, 'stackplan apply %s' applies it", name, path, path)
	}
	return name, data, false, nil
}

// isPlanFile tells a saved plan (a JSON object with a format_version)
// from a configuration, which never starts with "{" and names it.
func isPlanFile(data []byte) bool {
	head := bytes.TrimSpace(data[:min(len(data), 4096)])
	return bytes.HasPrefix(head, []byte("{")) && bytes.Contains(head, []byte(`"format_version"`))
}

// hclStart matches the first line of a stack.hcl: one of its blocks, or
// the "{" of its JSON syntax. No local.conf line looks like this: bash
// has no "NAME {" or "NAME "LABEL" {" statement.
var hclStart = regexp.MustCompile(`^(\{|(localrc|localrc_append|services|bash)\s*\{|(plugin|node|config)\s+"[^"]*"(\s+"[^"]*")?\s*\{)`)

// looksLikeHCL sniffs standard input, which has no file name to tell its
// kind by: its first line that is not blank or a comment starts a
// stack.hcl block.
func looksLikeHCL(data []byte) bool {
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		return hclStart.MatchString(line)
	}
	return false
}

// compiled is a configuration (one file, or local.conf fragments) compiled
// to a plan.
type compiled struct {
	// sources maps the name of each input and plugin settings file to its
	// bytes with secrets masked byte for byte, for diagnostic snippets.
	sources map[string][]byte
	cfg     *schema.Config
	plan    *plan.Plan
	diags   hcl.Diagnostics
	// exposed are secret values that flow into DEST or a plugin field, so
	// that the plan holds them in clear.
	exposed []string
}

// configuration is what plan, lint, graph and apply read: the files given
// (default: the configuration in the current directory) and the front-end
// options of the flags, knowing the DevStack checkout devstack when given.
// Every error is a usage error.
func (c *Command) configuration(files []string, flags configFlags, devstack string) ([]string, evaluator.Options, error) {
	if len(files) == 0 {
		name, err := c.defaultConfig()
		if err != nil {
			return nil, evaluator.Options{}, err
		}
		files = []string{name}
	}
	opts, err := flags.options(c)
	if err == nil {
		err = useDevstack(&opts, devstack)
	}
	return files, opts, err
}

// defaultConfig finds the configuration in the current directory when no
// file is named.
func (c *Command) defaultConfig() (string, error) {
	dir, err := c.Getwd()
	if err != nil {
		return "", err
	}
	for _, name := range []string{"local.conf", "localrc", hclconf.DefaultFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return name, nil
		}
	}
	return "", errors.New("no local.conf or stack.hcl in the current directory; name the file to use")
}

// unreadableError is an input that cannot be read at all (missing, a
// directory, no permission): a usage error, exit 2, unlike anything about
// its content.
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() }
func (e *unreadableError) Unwrap() error { return e.err }
