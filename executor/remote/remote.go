// Package remote lists the refs of plugin repositories, as `git ls-remote`
// does, for `stackplan plan --online`: in parallel with a bound, with a
// timeout per remote, each URL asked once per run and, with a cache
// directory, once per TTL across runs. It only reads; judging what the refs
// mean for a plan is the compiler's job.
package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
	"golang.org/x/sync/errgroup"

	// go-git as stackplan configures it: local repositories served
	// in-process, refs over http(s) read with bounded memory.
	_ "github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/schema"
)

// Refs is what a remote advertises.
type Refs struct {
	// Head is the branch the remote's HEAD points to ("main"), or "".
	Head string `json:"head,omitempty"`
	// Refs maps full ref names (refs/heads/x, refs/tags/y, refs/changes/…)
	// to the commit they point to; annotated tags are peeled.
	Refs map[string]string `json:"refs"`
}

// Lister lists one remote's refs.
type Lister interface {
	List(ctx context.Context, url string) (*Refs, error)
}

// GoGit lists refs with go-git: one connection, no process.
type GoGit struct{}

// List implements Lister. The URL must pass schema.CheckURL: no transport
// that runs programs is ever contacted.
func (GoGit) List(ctx context.Context, url string) (*Refs, error) {
	if prob, why := schema.CheckURL(url); prob != schema.URLOK {
		return nil, errors.New(why)
	}
	r := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	list, err := r.ListContext(ctx, &gogit.ListOptions{PeelingOption: gogit.AppendPeeled})
	if err != nil {
		return nil, err
	}
	out := &Refs{Refs: map[string]string{}}
	for _, ref := range list {
		name := ref.Name().String()
		switch {
		case ref.Type() == plumbing.SymbolicReference && name == "HEAD":
			out.Head = strings.TrimPrefix(ref.Target().String(), "refs/heads/")
		case ref.Type() == plumbing.HashReference && strings.HasSuffix(name, "^{}"):
			out.Refs[strings.TrimSuffix(name, "^{}")] = ref.Hash().String() // the peeled commit wins
		case ref.Type() == plumbing.HashReference && name != "HEAD":
			if _, peeled := out.Refs[name]; !peeled {
				out.Refs[name] = ref.Hash().String()
			}
		}
	}
	return out, nil
}

// Result is one remote's answer.
type Result struct {
	Refs *Refs
	Err  error
}

// Resolver lists many remotes.
type Resolver struct {
	Lister Lister // nil means GoGit
	// Parallel bounds concurrent remotes; 0 means 8.
	Parallel int
	// Timeout bounds each remote; 0 means 20 seconds.
	Timeout time.Duration
	// CacheDir, when set, keeps answers for TTL across runs.
	CacheDir string
	TTL      time.Duration
	// Now is the clock for the cache; nil means time.Now.
	Now func() time.Time
}

// ListAll asks every distinct URL once and returns the answers by URL.
func (r *Resolver) ListAll(ctx context.Context, urls []string) map[string]Result {
	lister := r.Lister
	if lister == nil {
		lister = GoGit{}
	}
	parallel := r.Parallel
	if parallel <= 0 {
		parallel = 8
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	out := map[string]Result{}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(parallel)
	asked := map[string]bool{}
	for _, url := range urls {
		if asked[url] {
			continue
		}
		asked[url] = true
		g.Go(func() error {
			res := r.cached(url)
			if res == nil {
				cctx, cancel := context.WithTimeout(ctx, timeout)
				refs, err := lister.List(cctx, url)
				cancel()
				if err != nil && cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
					err = fmt.Errorf("no answer within %s", timeout)
				}
				res = &Result{Refs: refs, Err: err}
				if err == nil {
					r.store(url, refs)
				}
			}
			mu.Lock()
			out[url] = *res
			mu.Unlock()
			return nil
		})
	}
	g.Wait()
	return out
}

type cacheEntry struct {
	URL  string    `json:"url"`
	Time time.Time `json:"time"`
	Refs *Refs     `json:"refs"`
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) cachePath(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(r.CacheDir, "ls-remote", hex.EncodeToString(sum[:])+".json")
}

func (r *Resolver) cached(url string) *Result {
	if r.CacheDir == "" || r.TTL <= 0 {
		return nil
	}
	data, err := os.ReadFile(r.cachePath(url))
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.URL != url || e.Refs == nil || r.now().Sub(e.Time) > r.TTL || e.Time.After(r.now()) {
		return nil
	}
	return &Result{Refs: e.Refs}
}

func (r *Resolver) store(url string, refs *Refs) {
	if r.CacheDir == "" || r.TTL <= 0 {
		return
	}
	data, err := json.Marshal(cacheEntry{URL: url, Time: r.now(), Refs: refs})
	if err != nil {
		return
	}
	p := r.cachePath(url)
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	tmp := p + ".tmp"
	if os.WriteFile(tmp, data, 0o644) == nil {
		os.Rename(tmp, p) // a cache: a failed write only costs a later ls-remote
	}
}
