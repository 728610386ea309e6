package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/fix"
	"github.com/stackplan/stackplan/internal/atomicfile"
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

// fixFiles rewrites each file so that every plugin's enable_plugin line
// comes after those of the plugins it requires, moving those lines only.
// It returns false when a file could not be fixed or written.
func (cp *compilation) fixFiles(files []string, opts evaluator.Options) bool {
	c := cp.c
	ok := true
	for _, f := range files {
		if f == "-" {
			fmt.Fprintln(c.Stderr, "stackplan lint: --fix cannot rewrite standard input")
			ok = false
			continue
		}
		res, err := cp.compileFile(f, opts)
		if err != nil {
			continue // reported by the lint pass
		}
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
			ok = false
			continue
		}
		g, _ := compiler.Dependencies(res.cfg, compiler.Options{Settings: cp.settingsFor(res.cfg)})
		fixed, moved, err := fix.ReorderPlugins(data, g)
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
		if err := atomicfile.Write(target, fixed, mode); err != nil {
			fmt.Fprintf(c.Stderr, "stackplan lint: %v\n", err)
			ok = false
			continue
		}
		fmt.Fprintf(c.Stderr, "stackplan lint: %s: moved %d enable_plugin line(s)\n", f, moved)
	}
	return ok
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
