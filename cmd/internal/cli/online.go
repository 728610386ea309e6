package cli

import (
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/executor/remote"
	"github.com/stackplan/stackplan/schema"
)

// onlineFlags turn on checking every plugin's ref against its remote.
// Offline is the default, so pre-commit stays fast and needs no network.
type onlineFlags struct {
	online   bool
	timeout  time.Duration
	parallel int
	ttl      time.Duration
}

func (f *onlineFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.online, "online", false, "check every plugin's ref against its remote and record the commit it resolves to")
	fs.DurationVar(&f.timeout, "online-timeout", 20*time.Second, "give up on a remote after this long")
	fs.IntVar(&f.parallel, "online-parallel", 8, "ask this many remotes at once")
	fs.DurationVar(&f.ttl, "online-cache-ttl", 5*time.Minute, "reuse a remote's refs listed this recently (0 turns the cache off)")
}

// use makes the command's compilations check refs online.
func (f *onlineFlags) use(c *Command) {
	if !f.online {
		return
	}
	r := &remote.Resolver{Parallel: f.parallel, Timeout: f.timeout, CacheDir: c.cacheDir(), TTL: f.ttl}
	c.remotes = func(cfg *schema.Config) map[string]compiler.Remote {
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
		for url, res := range r.ListAll(c.ctx(), urls) {
			rem := compiler.Remote{Err: res.Err}
			if res.Refs != nil {
				rem.Head, rem.Refs = res.Refs.Head, res.Refs.Refs
			}
			out[url] = rem
		}
		return out
	}
}

// remotesFor lists the remotes of cfg's plugins when --online is in force.
func (c *Command) remotesFor(cfg *schema.Config) map[string]compiler.Remote {
	if c.remotes == nil {
		return nil
	}
	return c.remotes(cfg)
}

// cacheDir is stackplan's cache: $XDG_CACHE_HOME/stackplan, else
// ~/.cache/stackplan, from the command's environment; "" when neither is set.
func (c *Command) cacheDir() string {
	if d, ok := c.getenv("XDG_CACHE_HOME"); ok && filepath.IsAbs(d) {
		return filepath.Join(d, "stackplan")
	}
	if h, ok := c.getenv("HOME"); ok && filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "stackplan")
	}
	return ""
}
