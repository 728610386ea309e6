package git

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	gitproto "github.com/go-git/go-git/v5/plumbing/transport/git"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/stackplan/stackplan/executor/internal/proc"
)

// This file is the one place that decides what every git process
// stackplan starts may read and run. A configuration, the process
// environment, a git configuration file and a repository are all untrusted
// at plan time (SECURITY.md), and none of them may name a program that git
// then runs: hooks, templates, fsmonitor, credential helpers and prompts,
// askpass, ssh and proxy commands, filter drivers, a pack-objects hook.
// What a fetch needs from the user's configuration (URL rewrites, proxies,
// certificates) is read once and passed on; nothing else is.

func init() {
	// go-git's file transport runs git-upload-pack with this process's
	// environment. Serve local repositories in-process instead: go-git then
	// starts no program at all, whatever the URL.
	client.InstallProtocol("file", server.NewClient(localLoader{}))
	// A remote's list of refs is read with bounded memory (plan --online,
	// and every go-git fetch over http(s) and git://).
	limited := githttp.NewClient(&http.Client{Transport: advertisementLimit{http.DefaultTransport}})
	client.InstallProtocol("http", limited)
	client.InstallProtocol("https", limited)
	// And over git:// (gitproto_limit.go) and ssh (ssh_limit.go).
	client.InstallProtocol("git", boundedGitProtocol{gitproto.DefaultClient})
	client.InstallProtocol("ssh", boundedSSH{gitssh.DefaultClient})
}

// MaxAdvertisement is the most bytes of refs a remote may advertise over
// http(s) to go-git. A hostile remote otherwise streams refs until the
// timeout, all of them kept in memory. Gerrit's refs/changes of a large
// project take a few tens of megabytes.
const MaxAdvertisement = 64 << 20

// ErrAdvertisementTooLarge is returned when a remote advertises more than
// MaxAdvertisement bytes of refs.
var ErrAdvertisementTooLarge = fmt.Errorf("the remote advertises more than %d MiB of refs", MaxAdvertisement>>20)

// advertisementLimit bounds the body of info/refs responses.
type advertisementLimit struct{ base http.RoundTripper }

func (t advertisementLimit) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/info/refs") {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxAdvertisement}
	}
	return resp, err
}

// limitedBody reads an advertisement up to MaxAdvertisement bytes, and
// within the process's advertisementBudget until it is closed.
type limitedBody struct {
	io.ReadCloser
	left   int64
	charge charge
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.charge.fail()
		return 0, ErrAdvertisementTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if cerr := b.charge.add(n); cerr != nil {
		return 0, cerr
	}
	return n, err
}

func (b *limitedBody) Close() error {
	b.charge.end()
	return b.ReadCloser.Close()
}

// localLoader finds the repository of a local path for go-git's in-process
// server: a bare repository, or the .git directory of a worktree.
type localLoader struct{}

func (localLoader) Load(ep *transport.Endpoint) (storer.Storer, error) {
	dir := ep.Path
	if st, err := os.Stat(filepath.Join(dir, ".git")); err == nil && st.IsDir() {
		dir = filepath.Join(dir, ".git")
	} else if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return nil, transport.ErrRepositoryNotFound
	}
	return filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault()), nil
}

// keptGitVars are the GIT_* variables git processes still see: TLS and
// proxy settings, which name files and hosts, never programs. Every other
// GIT_* variable is dropped (GIT_TEMPLATE_DIR, GIT_EXEC_PATH,
// GIT_SSH_COMMAND, GIT_ASKPASS, GIT_CONFIG_*, GIT_DIR, GIT_TRACE, ...).
var keptGitVars = map[string]bool{
	"GIT_SSL_NO_VERIFY": true, "GIT_SSL_CERT": true, "GIT_SSL_KEY": true,
	"GIT_SSL_CERT_PASSWORD_PROTECTED": true, "GIT_SSL_CAINFO": true, "GIT_SSL_CAPATH": true,
	"GIT_SSL_VERSION": true, "GIT_SSL_CIPHER_LIST": true, "GIT_SSL_PINNEDPUBKEY": true,
	"GIT_HTTP_PROXY_AUTHMETHOD": true, "GIT_PROXY_SSL_CERT": true, "GIT_PROXY_SSL_KEY": true,
	"GIT_PROXY_SSL_CERT_PASSWORD_PROTECTED": true, "GIT_PROXY_SSL_CAINFO": true,
	"GIT_HTTP_LOW_SPEED_LIMIT": true, "GIT_HTTP_LOW_SPEED_TIME": true, "GIT_HTTP_USER_AGENT": true,
}

// droppedVars are variables outside GIT_* that make git or ssh run a program.
var droppedVars = map[string]bool{"SSH_ASKPASS": true, "SSH_ASKPASS_REQUIRE": true}

// safetyConfig is configuration of the command scope (it overrides every
// configuration file, a repository's own included) that every git process
// gets: no hooks, no templates, no fsmonitor, no credential helper or
// prompt, no ssh or pack-objects program other than the standard ones, no
// implicit bare repository, no background gc, and only the allowed
// protocols.
var safetyConfig = [][2]string{
	{"core.hooksPath", os.DevNull},
	{"core.fsmonitor", "false"},
	{"core.askPass", ""},
	{"core.sshCommand", "ssh"},
	// git runs this with the shell, the alternate's path as "$1", where a
	// repository's configuration could name any program. An empty value
	// is run too, fails, and leaves a clone with --reference (the object
	// cache) without the alternate's refs, fetching everything: so this
	// is what git does when the key is unset.
	{"core.alternateRefsCommand", alternateRefsCommand},
	{"credential.helper", ""},
	{"init.templateDir", ""},
	{"safe.bareRepository", "explicit"},
	{"remote.origin.uploadpack", "git-upload-pack"},
	{"log.showSignature", "false"},
	{"gc.auto", "0"},
	{"maintenance.auto", "false"},
	{"advice.detachedHead", "false"},
	{"protocol.allow", "never"},
	{"protocol.file.allow", "always"},
	{"protocol.git.allow", "always"},
	{"protocol.http.allow", "always"},
	{"protocol.https.allow", "always"},
	{"protocol.ssh.allow", "always"},
}

// alternateRefsCommand lists an alternate's refs as git does by default.
const alternateRefsCommand = `f() { git --git-dir="$1" for-each-ref --format='%(objectname)'; }; f`

// userConfigKept reports whether a key of the user's system or global git
// configuration is passed on: URL rewrites and http.* (proxies,
// certificates, headers), except the cookie file git would write; and,
// when credentials is set (apply's clones, never plan time), the
// credential helpers the user configured.
func userConfigKept(key string, credentials bool) bool {
	key = strings.ToLower(key)
	switch {
	case strings.HasPrefix(key, "credential."):
		return credentials
	case strings.HasPrefix(key, "url.") && strings.HasSuffix(key, ".insteadof"):
		return true
	case strings.HasPrefix(key, "http."):
		return !strings.HasSuffix(key, ".savecookies") && !strings.HasSuffix(key, ".cookiefile")
	}
	return false
}

// userConfig is the part of the user's git configuration that is kept.
type userConfig struct {
	once    sync.Once
	entries [][2]string
}

// read lists, once, the kept keys of the system and global git
// configuration (includes followed), as bin reads them from base.
func (u *userConfig) read(bin string, base []string, credentials bool) [][2]string {
	u.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Run at the root with only the environment's variables cleaned: the
		// user's files are read, no repository's.
		cmd := exec.CommandContext(ctx, bin, "config", "-z", "--list")
		cmd.Dir = "/"
		cmd.Env = append(sanitisedEnv(base), "GIT_CEILING_DIRECTORIES=/", "LC_ALL=C")
		cmd.SysProcAttr = proc.Attr()
		out, _ := cmd.Output()
		for entry := range strings.SplitSeq(string(out), "\x00") {
			key, value, _ := strings.Cut(entry, "\n")
			if userConfigKept(key, credentials) {
				u.entries = append(u.entries, [2]string{key, value})
			}
		}
	})
	return u.entries
}

func hasKey(cfg [][2]string, key string) bool {
	return slices.ContainsFunc(cfg, func(kv [2]string) bool { return strings.EqualFold(kv[0], key) })
}

// sanitisedEnv drops from env every variable that could make git run a
// program, read another configuration or work on another repository.
func sanitisedEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if droppedVars[k] || strings.HasPrefix(k, "GIT_") && !keptGitVars[k] {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// gitEnviron is the environment of a git process working in dir: base
// cleaned, the user's kept configuration and the safety configuration
// passed as GIT_CONFIG_COUNT entries (never in argv, where ps shows
// headers), and extra configuration after them.
func gitEnviron(user [][2]string, base []string, dir string, extra [][2]string) []string {
	cfg := append(append(append([][2]string{}, user...), safetyConfig...), extra...)
	if hasKey(user, "credential.helper") {
		// The user's helpers come first; the safety entry would reset them.
		cfg = slices.DeleteFunc(cfg, func(kv [2]string) bool { return kv == [2]string{"credential.helper", ""} })
	}
	env := append(sanitisedEnv(base),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_ALLOW_PROTOCOL="+AllowedProtocols,
		"GIT_PROTOCOL_FROM_USER=0",
		"GIT_TERMINAL_PROMPT=0",
		// Set and empty: neither core.askPass nor SSH_ASKPASS is consulted.
		"GIT_ASKPASS=",
		// Set and empty: core.gitProxy of any configuration is ignored.
		"GIT_PROXY_COMMAND=",
		"SSH_ASKPASS_REQUIRE=never",
		"GCM_INTERACTIVE=never",
		// Never let git discover a repository above dir (DEST may sit
		// inside another checkout).
		"GIT_CEILING_DIRECTORIES="+filepath.Dir(filepath.Clean(dir)),
		"LC_ALL=C",
		"GIT_CONFIG_COUNT="+strconv.Itoa(len(cfg)),
	)
	for i, kv := range cfg {
		n := strconv.Itoa(i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+kv[0], "GIT_CONFIG_VALUE_"+n+"="+kv[1])
	}
	return env
}

type inheritKey struct{}

// WithInherited returns a context under which every git process started
// inherits f (as a descriptor above 2), and so do its helpers: apply
// passes its lock, so that the lock stays held while a git helper of a
// killed apply (git-remote-https, index-pack) still writes its clone.
func WithInherited(ctx context.Context, f *os.File) context.Context {
	return context.WithValue(ctx, inheritKey{}, f)
}

func inherited(ctx context.Context) []*os.File {
	if f, ok := ctx.Value(inheritKey{}).(*os.File); ok && f != nil {
		return []*os.File{f}
	}
	return nil
}
