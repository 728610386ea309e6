package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/job"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/remote"
	"github.com/stackplan/stackplan/executor/settingsfetch"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// compilation compiles the configurations of one command run with what
// the command's flags let it know about the plugins: their remotes
// (--online), the checkouts already in DEST (plan --dest), their
// devstack/settings (--fetch, --cache-dir) and the order (--sort). A
// command builds one from its arguments with newCompilation; the zero
// value knows nothing beyond the configuration itself.
type compilation struct {
	c *Command
	// remotes lists the refs of plugin remotes; nil: offline.
	remotes *remote.Resolver
	// checkouts inspects the checkouts at the plugins' directories.
	checkouts bool
	// settings reads plugins' devstack/settings; nil: none read.
	settings *settingsfetch.Reader
	// sort plans plugins in requirement order.
	sort bool
}

// newCompilation is the compilation the flags ask for; online and deps
// may be nil for a command without those flags.
func (c *Command) newCompilation(online *onlineFlags, deps *depsFlags, checkouts bool) *compilation {
	cp := &compilation{c: c, checkouts: checkouts}
	if online != nil && online.online {
		cp.remotes = &remote.Resolver{Parallel: online.parallel, Timeout: online.timeout, CacheDir: c.cacheDir(), TTL: online.ttl}
	}
	if deps != nil {
		dir := deps.cacheDir
		if dir == "" {
			dir = c.cacheDir()
		}
		if dir != "" {
			dir = filepath.Join(dir, "plugins")
		}
		cp.settings = &settingsfetch.Reader{CacheDir: dir, Fetch: deps.fetch, Timeout: deps.fetchTimeout, DisplayPath: c.displayPath,
			Warn: func(err error) { fmt.Fprintf(c.Stderr, "stackplan: %v\n", err) }}
		cp.sort = deps.sort
	}
	return cp
}

// compileFile reads, parses and compiles one file. A file that cannot be
// read is an error for the caller (a usage problem); everything about its
// content is a diagnostic.
func (cp *compilation) compileFile(path string, opts evaluator.Options) (*compiled, error) {
	return cp.compileFiles([]string{path}, opts)
}

// compileFiles compiles one configuration, or several local.conf fragments
// combined in order as the one local.conf their concatenation makes.
func (cp *compilation) compileFiles(paths []string, opts evaluator.Options) (*compiled, error) {
	var frags []evaluator.Fragment
	var front hcl.Diagnostics
	for _, path := range paths {
		name, data, tooBig, err := cp.c.readInput(path)
		if err != nil {
			return nil, &unreadableError{err}
		}
		if tooBig {
			start := hcl.Pos{Line: 1, Column: 1}
			front = append(front, schema.RuleInput.Diag(fmt.Sprintf("the file is larger than %d MiB: not a local.conf", localconf.MaxSize>>20),
				"Nothing in it is read further.", hcl.Range{Filename: name, Start: start, End: start}))
			data = nil
		}
		frags = append(frags, evaluator.Fragment{Name: name, Src: data})
	}
	var cfg *schema.Config
	var parsed hcl.Diagnostics
	switch {
	case len(frags) == 1 && front == nil:
		opts, err := cp.c.withLocalrcBeside(paths[0], opts)
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
	p, diags, sources := cp.compile(cfg, append(front, parsed...), opts)
	exposed := exposedSecrets(cfg)
	cp.c.maskOutput(exposed)
	return &compiled{sources: sources, cfg: cfg, plan: p, diags: diags, exposed: exposed}, nil
}

// compile compiles one configuration (a file's, or a node's). It also
// returns the source of every file the diagnostics may be about (the
// inputs and the settings files read), secrets masked.
func (cp *compilation) compile(cfg *schema.Config, front hcl.Diagnostics, opts evaluator.Options) (*plan.Plan, hcl.Diagnostics, map[string][]byte) {
	settings, fetchDiags := cp.readSettings(cfg)
	p, diags := compiler.Compile(cfg, append(front, fetchDiags...), compiler.Options{ToolVersion: Version, Remotes: cp.remotesFor(cfg), Checkouts: cp.checkoutsFor(cfg), Env: opts.Env,
		Settings: settings, Sort: cp.sort})
	red := compiler.RedactorFor(cfg)
	sources := compiler.Sources(cfg, settings)
	for name, src := range sources {
		sources[name] = red.MaskSource(name, src)
	}
	return p, diags, sources
}

// compileFunc is compile for the nodes of a job.
func (cp *compilation) compileFunc(opts evaluator.Options) job.CompileFunc {
	return func(cfg *schema.Config, front hcl.Diagnostics) (*plan.Plan, hcl.Diagnostics, map[string][]byte) {
		return cp.compile(cfg, front, opts)
	}
}

// settingsFor reads the devstack/settings of cfg's plugins, when enabled.
func (cp *compilation) settingsFor(cfg *schema.Config) map[string]*pluginsettings.Declarations {
	settings, _ := cp.readSettings(cfg)
	return settings
}

// readSettings is settingsFor with a finding for each plugin --fetch
// could not clone (reported once: a later read does not fetch again).
func (cp *compilation) readSettings(cfg *schema.Config) (map[string]*pluginsettings.Declarations, hcl.Diagnostics) {
	if cp.settings == nil {
		return nil, nil
	}
	return cp.settings.Read(cp.c.ctx(), cfg)
}

// remotesFor lists the remotes of cfg's plugins when --online is in force.
func (cp *compilation) remotesFor(cfg *schema.Config) map[string]compiler.Remote {
	if cp.remotes == nil {
		return nil
	}
	var urls []string
	for _, p := range cfg.Plugins {
		// Only URLs the compiler accepts are ever contacted.
		if p.URL.Known() {
			if prob, _ := schema.CheckURL(p.URL.String()); prob == schema.URLOK {
				urls = append(urls, p.URL.String())
			}
		}
	}
	out := map[string]compiler.Remote{}
	for url, res := range cp.remotes.ListAll(cp.c.ctx(), urls) {
		rem := compiler.Remote{Err: res.Err}
		if res.Refs != nil {
			rem.Head, rem.Refs = res.Refs.Head, res.Refs.Refs
		}
		out[url] = rem
	}
	return out
}

// checkoutsFor inspects the checkouts already at cfg's plugin directories
// (plan --dest), so the plan can say what apply would do with each. It
// only reads: git status and rev-parse, under stackplan's git restrictions.
func (cp *compilation) checkoutsFor(cfg *schema.Config) map[string]compiler.CheckoutState {
	if !cp.checkouts {
		return nil
	}
	out := map[string]compiler.CheckoutState{}
	for _, p := range cfg.Plugins {
		if !p.Dir.Known() || schema.CheckName(p.Name.String()) != nil {
			continue
		}
		dir := p.Dir.String()
		if _, err := os.Lstat(dir); err != nil {
			continue // nothing there: apply clones
		}
		st, err := git.Inspect(cp.c.ctx(), dir)
		if err != nil {
			out[dir] = compiler.CheckoutState{Err: err}
			continue
		}
		out[dir] = compiler.CheckoutState{URL: st.URL, Commit: st.Commit, Branch: st.Branch, Changed: len(st.Changed), LocalCommits: st.LocalCommits}
	}
	return out
}
