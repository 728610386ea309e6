package cli

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/executor"
	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema"
)

// depsFlags say where plugin requirements (plugin_requires in each plugin's
// devstack/settings) are read from, and what to do with them.
type depsFlags struct {
	fetch        bool
	fetchTimeout time.Duration
	cacheDir     string
	sort         bool
	fix          bool
}

// maxFetchBytes bounds each clone --fetch makes: a plugin's checkout,
// shallow, is a few megabytes.
const maxFetchBytes = 256 << 20

// register adds --fetch and --cache-dir, and --sort (plan, graph) or --fix (lint).
func (f *depsFlags) register(fs *pflag.FlagSet, sortFlag, fixFlag bool) {
	fs.BoolVar(&f.fetch, "fetch", false, "shallow-clone plugins that have no checkout into the cache to read their devstack/settings")
	fs.DurationVar(&f.fetchTimeout, "fetch-timeout", 20*time.Second, "give up on a --fetch clone after this long (each is also bounded to 256 MiB)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "`DIR` holding the plugin clones read for requirements (default $XDG_CACHE_HOME/stackplan or ~/.cache/stackplan)")
	if sortFlag {
		fs.BoolVar(&f.sort, "sort", false, "order the plugins by their requirements, keeping the written order wherever they allow")
	}
	if fixFlag {
		fs.BoolVar(&f.fix, "fix", false, "move enable_plugin lines in place so that each plugin comes after what it requires")
	}
}

// use makes the command's compilations read plugin settings.
func (f *depsFlags) use(c *Command) {
	dir := f.cacheDir
	if dir == "" {
		if root := c.cacheDir(); root != "" {
			dir = root
		}
	}
	if dir != "" {
		dir = filepath.Join(dir, "plugins")
	}
	r := &settingsReader{cacheDir: dir, fetch: f.fetch, timeout: f.fetchTimeout, stderr: c.Stderr, fetched: map[string]bool{}}
	c.settings = func(cfg *schema.Config) (map[string]*pluginsettings.Declarations, hcl.Diagnostics) {
		return r.read(c, cfg)
	}
	c.sortPlugins = f.sort
}

// settingsFor reads the devstack/settings of cfg's plugins, when enabled.
func (c *Command) settingsFor(cfg *schema.Config) map[string]*pluginsettings.Declarations {
	settings, _ := c.readSettings(cfg)
	return settings
}

// readSettings is settingsFor with a finding for each plugin --fetch
// could not clone (reported once: a later read does not fetch again).
func (c *Command) readSettings(cfg *schema.Config) (map[string]*pluginsettings.Declarations, hcl.Diagnostics) {
	if c.settings == nil {
		return nil, nil
	}
	return c.settings(cfg)
}

// settingsReader finds each plugin's devstack/settings: in its checkout
// (DEST/NAME, so under --dest), else in the clone cache, cloned there
// first with --fetch.
type settingsReader struct {
	cacheDir string
	fetch    bool
	timeout  time.Duration
	stderr   io.Writer
	mu       sync.Mutex
	// fetched holds the cache directories already fetched in this run.
	fetched map[string]bool
}

// cacheKey names a plugin's clone in the cache: readable, and unique per
// URL and ref.
func cacheKey(name, url, ref string) string {
	sum := sha256.Sum256([]byte(url + "\x00" + ref))
	safe := regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(name, "_")
	return safe + "-" + hex.EncodeToString(sum[:6])
}

func (r *settingsReader) read(c *Command, cfg *schema.Config) (map[string]*pluginsettings.Declarations, hcl.Diagnostics) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*pluginsettings.Declarations{}
	type job struct {
		name, dir string
		req       git.Request
		clone     string
		url       hcl.Range // where the failure of the clone is reported
	}
	var jobs []job
	seen := map[string]bool{}
	for _, p := range cfg.Plugins {
		name := p.Name.String()
		if !p.Name.Known() || seen[name] || schema.CheckName(name) != nil {
			continue
		}
		seen[name] = true
		if p.Dir.Known() {
			if _, found, _ := executor.PluginFile(p.Dir.String(), settingsFile); found {
				jobs = append(jobs, job{name: name, dir: p.Dir.String()})
				continue
			}
		}
		if r.cacheDir == "" || !p.URL.Known() || !p.Ref.Known() {
			continue
		}
		dir := filepath.Join(r.cacheDir, cacheKey(name, p.URL.String(), p.Ref.String()))
		j := job{name: name, dir: dir}
		if r.fetch && !r.fetched[dir] {
			r.fetched[dir] = true
			if prob, _ := schema.CheckURL(p.URL.String()); prob == schema.URLOK {
				j.req = git.Request{Name: name, URL: p.URL.String(), Ref: p.Ref.String(), Depth: 1, MaxBytes: maxFetchBytes}
				j.clone, j.url = dir, p.URL.Range
			}
		}
		jobs = append(jobs, j)
	}
	// Clone in parallel, a few at a time; equivalent to
	// git clone --depth 1 --branch REF URL CACHE/NAME-HASH.
	var g errgroup.Group
	g.SetLimit(8)
	errs := make([]error, len(jobs))
	cloner := &git.Auto{}
	for i, j := range jobs {
		if j.clone == "" {
			continue
		}
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(c.ctx(), cmp.Or(r.timeout, 20*time.Second))
			defer cancel()
			_, errs[i] = git.Ensure(ctx, cloner, j.req, j.clone, git.Policy{Reclone: true})
			if errs[i] != nil && ctx.Err() == context.DeadlineExceeded && c.ctx().Err() == nil {
				errs[i] = fmt.Errorf("plugin %s: no clone within %s", j.name, r.timeout)
			}
			return nil
		})
	}
	g.Wait()
	var diags hcl.Diagnostics
	for i, j := range jobs {
		if errs[i] != nil {
			diags = append(diags, schema.RuleRemoteUnreachable.DiagSeverity(hcl.DiagError, fmt.Sprintf("--fetch could not clone plugin %s", j.name),
				fmt.Sprintf("%v. Its devstack/settings were not read, so what it requires is not known: an error, since the check asked for was not made. Check its URL and ref, or run without --fetch.", errs[i]), j.url))
		}
		// Never through a symbolic link that leaves the checkout.
		file, found, err := executor.PluginFile(j.dir, settingsFile)
		if err != nil {
			fmt.Fprintf(r.stderr, "stackplan: %v\n", err)
		}
		if !found {
			continue // no settings: the plugin declares nothing
		}
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		out[j.name] = pluginsettings.Parse(c.displayPath(filepath.Join(j.dir, settingsFile)), data)
	}
	return out, diags
}

// settingsFile is where a plugin declares its requirements.
const settingsFile = "devstack/settings"

// fixFiles rewrites each file so that every plugin's enable_plugin line
// comes after those of the plugins it requires, moving those lines only.
// It returns false when a file could not be fixed or written.
func (c *Command) fixFiles(files []string, opts localconf.Options) bool {
	ok := true
	for _, f := range files {
		if f == "-" {
			fmt.Fprintln(c.Stderr, "stackplan lint: --fix cannot rewrite standard input")
			ok = false
			continue
		}
		res, err := c.compileFile(f, opts)
		if err != nil {
			continue // reported by the lint pass
		}
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
			ok = false
			continue
		}
		g, _ := compiler.Dependencies(res.cfg, compiler.Options{Settings: c.settingsFor(res.cfg)})
		fixed, moved, err := reorderLines(data, g)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: --fix %s: %v\n", f, err)
			ok = false
			continue
		}
		if moved == 0 {
			continue
		}
		mode := os.FileMode(0o644)
		if st, err := os.Stat(f); err == nil {
			mode = st.Mode().Perm()
		}
		// Through a symbolic link, rewrite its target: renaming over the
		// link would replace it with a copy.
		target := f
		if real, err := filepath.EvalSymlinks(f); err == nil {
			target = real
		}
		if err := planfile.WriteFileAtomic(target, fixed, mode); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
			ok = false
			continue
		}
		fmt.Fprintf(c.Stderr, "stackplan lint: %s: moved %d enable_plugin line(s)\n", f, moved)
	}
	return ok
}

// reorderLines puts the enable_plugin lines of g's plugins in g's order:
// the lines those plugins occupy keep their places, and take the plugins in
// the new order. Every other byte stays where it is.
func reorderLines(data []byte, g *compiler.DepGraph) ([]byte, int, error) {
	if len(g.Result.Cycles) > 0 {
		return nil, 0, fmt.Errorf("the plugin requirements form a cycle; no order satisfies them")
	}
	if len(g.Result.Violations) == 0 {
		return data, 0, nil
	}
	// Line i spans starts[i] to starts[i+1] (newline included).
	starts := []int{0}
	for i, b := range data {
		if b == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	starts = append(starts, len(data))
	type block struct{ first, last int } // 0-based line numbers, inclusive
	blocks := make([]block, len(g.Plugins))
	for i, p := range g.Plugins {
		if p.Conditional {
			return nil, 0, fmt.Errorf("line %d: enable_plugin %s is inside a condition; move it by hand", p.Range.Start.Line, p.Name.String())
		}
		b := block{p.Range.Start.Line - 1, p.Range.End.Line - 1}
		if b.first < 0 || b.last >= len(starts)-1 {
			return nil, 0, fmt.Errorf("enable_plugin %s is not in this file", p.Name.String())
		}
		before := data[starts[b.first]:p.Range.Start.Byte]
		after := data[p.Range.End.Byte:starts[b.last+1]]
		if len(bytes.TrimSpace(before)) > 0 || !onlyComment(after) {
			return nil, 0, fmt.Errorf("line %d: enable_plugin %s shares its line with other commands; move it by hand", p.Range.Start.Line, p.Name.String())
		}
		if i > 0 && b.first <= blocks[i-1].last {
			return nil, 0, fmt.Errorf("line %d: enable_plugin %s does not follow the previous plugin's line", p.Range.Start.Line, p.Name.String())
		}
		blocks[i] = b
	}
	text := func(b block) []byte {
		t := data[starts[b.first]:starts[b.last+1]]
		if len(t) == 0 || t[len(t)-1] != '\n' {
			return append(append([]byte(nil), t...), '\n') // the last line of a file without a final newline
		}
		return t
	}
	var out bytes.Buffer
	moved := 0
	prev := 0
	for slot, n := range g.Result.Order {
		out.Write(data[starts[prev]:starts[blocks[slot].first]])
		t := text(blocks[n])
		if blocks[slot].last == len(starts)-2 && data[len(data)-1] != '\n' {
			t = bytes.TrimSuffix(t, []byte("\n"))
		}
		out.Write(t)
		prev = blocks[slot].last + 1
		if n != slot {
			moved++
		}
	}
	out.Write(data[starts[prev]:])
	return out.Bytes(), moved, nil
}

// onlyComment reports whether the rest of a line after a command is blank
// or a comment.
func onlyComment(rest []byte) bool {
	t := strings.TrimSpace(string(rest))
	return t == "" || strings.HasPrefix(t, "#")
}

// displayPath shortens a path under the working directory for messages.
func (c *Command) displayPath(path string) string {
	wd, err := c.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return path
}
