package remote

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// TestListOverLoopback lists real repositories served by git daemon and
// git http-backend on 127.0.0.1, as they look after typical upstream
// changes: a stable branch replaced by an -eol tag, a main-only
// repository.
func TestListOverLoopback(t *testing.T) {
	root := t.TempDir()
	eol := gittest.NewRepo(t, root, "eol.git", map[string]string{"devstack/settings": "x\n"})
	eol.Run("branch", "stable/zed")
	eol.Run("tag", "-a", "-m", "end of life", "zed-eol", "stable/zed")
	eol.Run("branch", "-D", "stable/zed")
	tagged := eol.Run("rev-parse", "zed-eol^{commit}")
	main := gittest.NewRepo(t, root, "main.git", map[string]string{"devstack/settings": "y\n"})
	main.Run("branch", "-m", "master", "main")

	for _, srv := range []*gittest.Server{gittest.ServeDaemon(t, root), gittest.ServeHTTP(t, root)} {
		t.Run(strings.SplitN(srv.URL, ":", 2)[0], func(t *testing.T) {
			r := &Resolver{}
			got := r.ListAll(context.Background(), []string{srv.URL + "/eol.git", srv.URL + "/main.git", srv.URL + "/eol.git"})
			if len(got) != 2 {
				t.Fatalf("%d answers for 2 distinct URLs", len(got))
			}
			e := got[srv.URL+"/eol.git"]
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			if _, ok := e.Refs.Refs["refs/heads/stable/zed"]; ok {
				t.Error("the deleted branch is still listed")
			}
			if c := e.Refs.Refs["refs/tags/zed-eol"]; c != tagged {
				t.Errorf("annotated tag zed-eol = %q, want the peeled commit %s", c, tagged)
			}
			m := got[srv.URL+"/main.git"]
			if m.Err != nil {
				t.Fatal(m.Err)
			}
			if m.Refs.Head != "main" {
				t.Errorf("HEAD = %q, want main", m.Refs.Head)
			}
			if _, ok := m.Refs.Refs["refs/heads/master"]; ok {
				t.Error("a master branch is listed for a main-only repository")
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	got := (&Resolver{Timeout: time.Minute}).ListAll(context.Background(), []string{"git://" + addr + "/x.git"})
	if got["git://"+addr+"/x.git"].Err == nil {
		t.Fatal("listing a closed port succeeded")
	}
}

func TestRefusesUnsafeURLs(t *testing.T) {
	for _, url := range []string{"ext::sh -c touch% /tmp/pwned", "-u/bin/sh", "https://user:pw@example.com/x"} {
		if _, err := (GoGit{}).List(context.Background(), url); err == nil {
			t.Errorf("List(%q) was attempted", url)
		}
	}
}

// TestCache: a second run within the TTL answers from the cache without
// contacting the remote; after the TTL it asks again.
func TestCache(t *testing.T) {
	root := t.TempDir()
	gittest.NewRepo(t, root, "a.git", map[string]string{"f": "1\n"})
	srv := gittest.ServeDaemon(t, root)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Resolver{CacheDir: filepath.Join(t.TempDir(), "cache"), TTL: 10 * time.Minute, Now: func() time.Time { return now }}
	url := srv.URL + "/a.git"
	if res := r.ListAll(context.Background(), []string{url})[url]; res.Err != nil {
		t.Fatal(res.Err)
	}
	conns := srv.Conns.Load()
	now = now.Add(5 * time.Minute)
	if res := r.ListAll(context.Background(), []string{url})[url]; res.Err != nil || res.Refs.Refs["refs/heads/master"] == "" {
		t.Fatalf("cached answer: %+v", res)
	}
	if srv.Conns.Load() != conns {
		t.Error("the remote was contacted within the TTL")
	}
	now = now.Add(10 * time.Minute)
	r.ListAll(context.Background(), []string{url})
	if srv.Conns.Load() == conns {
		t.Error("the remote was not contacted after the TTL")
	}
}

// A remote that advertises refs without end is read with bounded memory:
// the listing fails once MaxAdvertisement bytes came, long before the
// timeout, and holds no more than that.
func TestFloodingRemoteBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		io.WriteString(w, "001e# service=git-upload-pack\n0000")
		line := fmt.Sprintf("%04x%s refs/heads/%s\n", 4+40+1+11+26+1, strings.Repeat("a", 40), strings.Repeat("b", 26))
		io.WriteString(w, fmt.Sprintf("%04x%s HEAD\x00multi_ack\n", 4+40+6+10, strings.Repeat("a", 40)))
		chunk := strings.Repeat(line, 1000)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := GoGit{}.List(context.Background(), srv.URL+"/flood")
	if err == nil || !strings.Contains(err.Error(), "MiB of refs") {
		t.Fatalf("got %v, want the advertisement limit", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > 8*git.MaxAdvertisement {
		t.Errorf("allocated %d MiB for a %d MiB limit", grown>>20, git.MaxAdvertisement>>20)
	}
}
