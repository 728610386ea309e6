//go:build bench

// Command benchcmd runs the executor's clone stage alone, for
// scripts/bench-clone.sh: benchcmd [-cloner auto|git|go-git] [-parallel N]
// [-depth N] -dest DIR NAME=URL@REF...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/stackplan/stackplan/executor/git"
)

func main() {
	cloner := flag.String("cloner", "auto", "auto, git or go-git")
	parallel := flag.Int("parallel", 4, "clone workers")
	depth := flag.Int("depth", 0, "GIT_DEPTH")
	dest := flag.String("dest", "", "destination directory")
	flag.Parse()
	var c git.Cloner
	switch *cloner {
	case "git":
		c = &git.SystemGit{}
	case "go-git":
		c = git.GoGit{}
	default:
		c = &git.Auto{}
	}
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, arg := range flag.Args() {
		name, rest, _ := strings.Cut(arg, "=")
		i := strings.LastIndex(rest, "@")
		url, ref := rest[:i], rest[i+1:]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := git.Ensure(context.Background(), c, git.Request{Name: name, URL: url, Ref: ref, Depth: *depth}, filepath.Join(*dest, name), git.Policy{})
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
