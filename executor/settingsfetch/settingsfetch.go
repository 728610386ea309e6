// Package settingsfetch finds each plugin's devstack/settings, where its
// requirements (plugin_requires) are declared: in the plugin's checkout
// (DEST/NAME), else in a cache of shallow clones, cloned there first when
// fetching is asked for (lint and plan --fetch). It only reads and clones;
// nothing in a plugin runs.
package settingsfetch

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/sync/errgroup"

	"github.com/stackplan/stackplan/compiler/pluginsettings"
	"github.com/stackplan/stackplan/executor"
	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/schema"
)

// File is where a plugin declares its requirements.
const File = "devstack/settings"

// maxFetchBytes bounds each clone a fetch makes: a plugin's checkout,
// shallow, is a few megabytes.
const maxFetchBytes = 256 << 20

// DefaultTimeout bounds one clone when Reader.Timeout is zero.
const DefaultTimeout = 20 * time.Second

// Reader reads the settings of a configuration's plugins. One Reader
// serves one run: a plugin is fetched at most once in it.
type Reader struct {
	// CacheDir holds the clones, one per plugin URL and ref; "" reads
	// checkouts only.
	CacheDir string
	// Fetch clones a plugin that has no checkout into CacheDir.
	Fetch bool
	// Timeout bounds each clone (DefaultTimeout when zero).
	Timeout time.Duration
	// DisplayPath names a settings file in diagnostics (a path shortened
	// for the user); nil keeps the path.
	DisplayPath func(string) string
	// Warn receives the problems that are no finding about the
	// configuration (a settings path that leaves its checkout).
	Warn func(error)

	mu sync.Mutex // serialises Read, which guards fetched
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

// Read returns the declarations of cfg's plugins by name, and a finding
// for each plugin a fetch could not clone (reported once: a later Read
// does not fetch again). ctx cancels the clones.
func (r *Reader) Read(ctx context.Context, cfg *schema.Config) (map[string]*pluginsettings.Declarations, hcl.Diagnostics) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fetched == nil {
		r.fetched = map[string]bool{}
	}
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
			if _, found, _ := executor.PluginFile(p.Dir.String(), File); found {
				jobs = append(jobs, job{name: name, dir: p.Dir.String()})
				continue
			}
		}
		if r.CacheDir == "" || !p.URL.Known() || !p.Ref.Known() {
			continue
		}
		dir := filepath.Join(r.CacheDir, cacheKey(name, p.URL.String(), p.Ref.String()))
		j := job{name: name, dir: dir}
		if r.Fetch && !r.fetched[dir] {
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
			cctx, cancel := context.WithTimeout(ctx, cmp.Or(r.Timeout, DefaultTimeout))
			defer cancel()
			_, errs[i] = git.Ensure(cctx, cloner, j.req, j.clone, git.Policy{Reclone: true})
			if errs[i] != nil && cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
				errs[i] = fmt.Errorf("plugin %s: no clone within %s", j.name, r.Timeout)
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
		file, found, err := executor.PluginFile(j.dir, File)
		if err != nil && r.Warn != nil {
			r.Warn(err)
		}
		if !found {
			continue // no settings: the plugin declares nothing
		}
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		name := filepath.Join(j.dir, File)
		if r.DisplayPath != nil {
			name = r.DisplayPath(name)
		}
		out[j.name] = pluginsettings.Parse(name, data)
	}
	return out, diags
}
