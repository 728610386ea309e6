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

	"github.com/stackplan/stackplan/compiler"
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
func (f *configFlags) options(c *Command) (localconf.Options, error) {
	opts := localconf.Options{Dest: f.dest, Env: map[string]string{}}
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

// stdinName is how standard input is named in diagnostics.
const stdinName = "<stdin>"

// readInput reads one input file (or standard input for "-"), refusing
// more than localconf.MaxSize bytes without reading them all.
func (c *Command) readInput(path string) (name string, data []byte, tooBig bool, err error) {
	var r io.Reader
	name = path
	if path == "-" {
		name, r = stdinName, c.Stdin
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

// compileFile reads, parses and compiles one file. A file that cannot be
// read is an error for the caller (a usage problem); everything about its
// content is a diagnostic.
func (c *Command) compileFile(path string, opts localconf.Options) (*compiled, error) {
	return c.compileFiles([]string{path}, opts)
}

// compileFiles compiles one configuration, or several local.conf fragments
// combined in order as the one local.conf their concatenation makes.
func (c *Command) compileFiles(paths []string, opts localconf.Options) (*compiled, error) {
	var frags []localconf.Fragment
	var front hcl.Diagnostics
	for _, path := range paths {
		name, data, tooBig, err := c.readInput(path)
		if err != nil {
			return nil, &unreadableError{err}
		}
		if tooBig {
			start := hcl.Pos{Line: 1, Column: 1}
			front = append(front, schema.RuleInput.Diag(fmt.Sprintf("the file is larger than %d MiB: not a local.conf", localconf.MaxSize>>20),
				"Nothing in it is read further.", hcl.Range{Filename: name, Start: start, End: start}))
			data = nil
		}
		frags = append(frags, localconf.Fragment{Name: name, Src: data})
	}
	var cfg *schema.Config
	var parsed hcl.Diagnostics
	switch {
	case len(frags) == 1 && front == nil:
		opts, err := c.withLocalrcBeside(paths[0], opts)
		if err != nil {
			return nil, err
		}
		cfg, parsed = parseConfig(frags[0].Name, frags[0].Src, opts)
	case len(frags) == 1:
		cfg = &schema.Config{Inputs: []schema.Input{{Path: frags[0].Name, Kind: schema.KindLocalConf}}}
	default:
		for _, f := range frags {
			if opts.Kind == schema.KindHCL || hclconf.IsHCLFile(f.Name) {
				return nil, fmt.Errorf("%s: only local.conf files can be combined as fragments", f.Name)
			}
		}
		cfg, parsed = localconf.ParseFragments(frags, opts)
	}
	p, diags, sources := c.compile(cfg, append(front, parsed...), opts)
	exposed := exposedSecrets(cfg)
	c.maskOutput(exposed)
	return &compiled{sources: sources, cfg: cfg, plan: p, diags: diags, exposed: exposed}, nil
}

// compile compiles one configuration (a file's, or a node's) with what the
// command's flags let it know about the plugins: their remotes (--online),
// checkouts (--dest) and settings files, in --sort order when asked. It
// also returns the source of every file the diagnostics may be about (the
// inputs and the settings files read), secrets masked.
func (c *Command) compile(cfg *schema.Config, front hcl.Diagnostics, opts localconf.Options) (*plan.Plan, hcl.Diagnostics, map[string][]byte) {
	settings, fetchDiags := c.readSettings(cfg)
	p, diags := compiler.Compile(cfg, append(front, fetchDiags...), compiler.Options{ToolVersion: Version, Remotes: c.remotesFor(cfg), Checkouts: c.checkoutsFor(cfg), Env: opts.Env,
		Settings: settings, Sort: c.sortPlugins})
	red := compiler.RedactorFor(cfg)
	sources := compiler.Sources(cfg, settings)
	for name, src := range sources {
		sources[name] = red.MaskSource(name, src)
	}
	return p, diags, sources
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
