package cli

import (
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
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
