//go:build bench

// Command benchcmd runs the executor's clone stage alone, for
// scripts/bench-clone.sh:
//
//	benchcmd [-cloner auto|git|go-git] [-parallel N] [-depth N]
//	         [-small-objects N] [-full] [-apply [-force] [-cache DIR]]
//	         -dest DIR NAME=URL@REF...
//
// Without -apply it calls git.Ensure for each repository with a pool of
// workers. With -apply it builds a plan of the repositories' clone steps
// and calls executor.Apply with Only "clone", as the CLI does, so a second
// run against the same DIR is the no-op re-apply (the journal says the
// plan was applied: ErrAlreadyApplied, a success here); -force re-applies
// it anyway, checking every existing checkout. -small-objects sets
// git.Auto's SmallObjects: 1 hands every pack and checkout to git after
// go-git's negotiation. -full asks git for full clones instead of blobless
// ones; -cache DIR is apply's --cache-dir.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stackplan/stackplan/executor"
	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/plan"
)

type repo struct{ name, url, ref string }

func main() {
	cloner := flag.String("cloner", "auto", "auto, git or go-git")
	parallel := flag.Int("parallel", 4, "clone workers")
	depth := flag.Int("depth", 0, "GIT_DEPTH")
	dest := flag.String("dest", "", "destination directory")
	smallObjects := flag.Uint("small-objects", 0, "git.Auto's SmallObjects (0: its default; 1 hands every pack to git)")
	apply := flag.Bool("apply", false, "run executor.Apply (Only: clone) on a plan of the repositories")
	force := flag.Bool("force", false, "with -apply: apply again although the journal says it was applied")
	full := flag.Bool("full", false, "full clones: no blobless partial clones")
	cache := flag.String("cache", "", "with -apply: the object cache directory (--cache-dir)")
	flag.Parse()
	var c git.Cloner
	sys := &git.SystemGit{Full: *full}
	switch *cloner {
	case "git":
		c = sys
	case "go-git":
		c = git.GoGit{}
	default:
		c = &git.Auto{SmallObjects: uint32(*smallObjects), Git: sys}
	}
	var repos []repo
	for _, arg := range flag.Args() {
		name, rest, _ := strings.Cut(arg, "=")
		i := strings.LastIndex(rest, "@")
		repos = append(repos, repo{name, rest[:i], rest[i+1:]})
	}
	if *apply {
		if *cloner == "auto" && *smallObjects == 0 && !*full {
			c = nil // the executor's own Auto
		}
		os.Exit(runApply(c, *dest, repos, *parallel, *depth, *force, *cache))
	}
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, r := range repos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := git.Ensure(context.Background(), c, git.Request{Name: r.name, URL: r.url, Ref: r.ref, Depth: *depth}, filepath.Join(*dest, r.name), git.Policy{})
			if err != nil {
				mu.Lock()
				failed++
				fmt.Fprintln(os.Stderr, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(1)
	}
}

func runApply(c git.Cloner, dest string, repos []repo, parallel, depth int, force bool, cache string) int {
	dest, err := filepath.Abs(dest)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Dest: dest}
	for _, r := range repos {
		p.Plugins = append(p.Plugins, plan.Plugin{Name: r.name, URL: r.url, Ref: r.ref, Dir: filepath.Join(dest, r.name)})
		p.Steps = append(p.Steps, plan.Step{ID: plan.StepID(plan.Stack, "", plan.KindClone, r.name), Kind: plan.KindClone, Lifecycle: plan.Stack, Plugin: r.name})
	}
	res, err := executor.Apply(context.Background(), p, executor.Options{Only: "clone", Parallel: parallel, GitDepth: depth, Force: force, Cloner: c, CacheDir: cache}, nil)
	switch {
	case errors.Is(err, executor.ErrAlreadyApplied):
		fmt.Println("already applied")
		return 0
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	counts := map[string]int{}
	for _, r := range res.Clones {
		counts[string(r.Action)+"/"+r.Cloner+"/"+string(r.History)]++
	}
	fmt.Println(counts)
	return 0
}
