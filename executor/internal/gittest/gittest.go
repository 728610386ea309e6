// Package gittest builds real git repositories for tests and serves them on
// 127.0.0.1 with git's own servers: git daemon (one --inetd process per
// connection, so no port is guessed) and git http-backend behind
// net/http/cgi. Faults are injected at the connection level.
package gittest

import (
	"errors"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Git runs git in dir with a fixed identity and returns its trimmed stdout.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_AUTHOR_DATE=2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
	)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("git %v in %s: %v: %s", args, dir, err, ee.Stderr)
		}
		t.Fatalf("git %v in %s: %v", args, dir, err)
	}
	return strings.TrimSpace(string(out))
}

// Repo is a repository under a served root.
type Repo struct {
	Dir string // the working repository (non-bare)
	t   testing.TB
}

// NewRepo creates root/name with a "master" branch holding files.
func NewRepo(t testing.TB, root, name string, files map[string]string) *Repo {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Git(t, dir, "init", "-q", "-b", "master")
	Git(t, dir, "config", "uploadpack.allowAnySHA1InWant", "true")
	r := &Repo{Dir: dir, t: t}
	r.Commit("initial", files)
	return r
}

// Commit writes files (a "" value deletes) and commits on the current branch.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, body := range files {
		p := filepath.Join(r.Dir, name)
		if body == "" {
			os.Remove(p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			r.t.Fatal(err)
		}
	}
	Git(r.t, r.Dir, "add", "-A")
	Git(r.t, r.Dir, "commit", "-q", "--allow-empty", "-m", msg)
	return r.Head()
}

// Head is the current commit.
func (r *Repo) Head() string { return Git(r.t, r.Dir, "rev-parse", "HEAD") }

// Run runs git in the repository.
func (r *Repo) Run(args ...string) string { r.t.Helper(); return Git(r.t, r.Dir, args...) }

// Server serves a root directory of repositories.
type Server struct {
	Root string
	// URL is the base URL; a repository is URL + "/" + name.
	URL string
	// Conns counts connections (daemon) or requests (http).
	Conns atomic.Int64
	// Upload counts git-upload-pack POSTs (http).
	Upload atomic.Int64

	mu sync.Mutex
	// DieAfter, when above zero, cuts every upload-pack response after that
	// many bytes, as a server dying mid-clone would.
	dieAfter int64
	// stall, when set, makes upload-pack responses stop after their first
	// bytes until the channel is closed; Stalled receives once per stall.
	stall   chan struct{}
	Stalled chan struct{}
	down    bool
	// user and password, when set, are the HTTP basic credentials every
	// request must carry.
	user, password string
}

// SetDieAfter makes upload-pack responses end abruptly after n bytes (0: never).
func (s *Server) SetDieAfter(n int64) { s.mu.Lock(); s.dieAfter = n; s.mu.Unlock() }

// Stall makes the next upload-pack responses hang after their first bytes
// until Release; Stalled is signalled when one does.
func (s *Server) Stall() { s.mu.Lock(); s.stall = make(chan struct{}); s.mu.Unlock() }

// Release ends a Stall.
func (s *Server) Release() {
	s.mu.Lock()
	if s.stall != nil {
		close(s.stall)
		s.stall = nil
	}
	s.mu.Unlock()
}

// RequireAuth makes the HTTP server answer 401 to requests without these
// basic credentials.
func (s *Server) RequireAuth(user, password string) {
	s.mu.Lock()
	s.user, s.password = user, password
	s.mu.Unlock()
}

// SetDown makes the server refuse to talk (the connection is closed at once).
func (s *Server) SetDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

func (s *Server) state() (int64, chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dieAfter, s.stall, s.down
}

func (s *Server) authorized(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.user == "" {
		return true
	}
	user, password, ok := r.BasicAuth()
	return ok && user == s.user && password == s.password
}

// ServeDaemon serves root with git daemon on a 127.0.0.1 listener.
func ServeDaemon(t testing.TB, root string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Root: root, URL: "git://" + ln.Addr().String(), Stalled: make(chan struct{}, 16)}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.Conns.Add(1)
			if _, _, down := s.state(); down {
				c.Close()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				f, err := c.(*net.TCPConn).File()
				if err != nil {
					return
				}
				defer f.Close()
				cmd := exec.Command("git", "daemon", "--inetd", "--export-all", "--informative-errors",
					"--base-path="+root, root)
				cmd.Stdin, cmd.Stdout = f, f
				cmd.Run()
			}()
		}
	}()
	return s
}

// ServeHTTP serves root with git http-backend (smart HTTP) on 127.0.0.1.
func ServeHTTP(t testing.TB, root string) *Server {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	s := &Server{Root: root, Stalled: make(chan struct{}, 16)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Conns.Add(1)
		dieAfter, stall, down := s.state()
		if down {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			s.Upload.Add(1)
			if dieAfter > 0 || stall != nil {
				w = &faultyWriter{ResponseWriter: w, limit: dieAfter, stall: stall, stalled: s.Stalled}
			}
		}
		backend.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { s.Release(); srv.Close() })
	s.URL = "http://" + ln.Addr().String()
	return s
}

type faultyWriter struct {
	http.ResponseWriter
	limit    int64
	n        int64
	stall    chan struct{}
	stalled  chan struct{}
	signaled bool
}

func (f *faultyWriter) Write(p []byte) (int, error) {
	if f.stall != nil && f.n > 0 && !f.signaled {
		f.signaled = true
		if fl, ok := f.ResponseWriter.(http.Flusher); ok {
			fl.Flush()
		}
		select {
		case f.stalled <- struct{}{}:
		default:
		}
		<-f.stall
	}
	if f.limit > 0 && f.n+int64(len(p)) > f.limit {
		k := f.limit - f.n
		if k > 0 {
			f.ResponseWriter.Write(p[:k])
		}
		if fl, ok := f.ResponseWriter.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // net/http closes the connection mid-response
	}
	n, err := f.ResponseWriter.Write(p)
	f.n += int64(n)
	return n, err
}
