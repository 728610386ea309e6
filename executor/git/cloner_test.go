package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// fixture is one upstream repository with every kind of ref DevStack accepts.
type fixture struct {
	root, name                         string
	master, feature, tagged, annotated string
	change, orphan                     string
}

func newFixture(t *testing.T) *fixture {
	root := t.TempDir()
	r := gittest.NewRepo(t, root, "plugin", map[string]string{"devstack/plugin.sh": "echo one\n"})
	f := &fixture{root: root, name: "plugin"}
	r.Commit("second", map[string]string{"devstack/settings": "X=1\n"})
	f.tagged = r.Head()
	r.Run("tag", "v1")
	r.Commit("third", map[string]string{"README": "r\n"})
	f.annotated = r.Head()
	r.Run("tag", "-a", "-m", "release 2", "v2")
	r.Run("checkout", "-q", "-b", "stable/x")
	f.feature = r.Commit("on stable", map[string]string{"STABLE": "s\n"})
	r.Run("checkout", "-q", "master")
	// A Gerrit-style change ref, reachable from no branch.
	r.Run("checkout", "-q", "--detach")
	f.change = r.Commit("a change", map[string]string{"CHANGE": "c\n"})
	r.Run("update-ref", "refs/changes/42/42/1", f.change)
	// A commit reachable from no ref at all.
	f.orphan = r.Commit("orphan", map[string]string{"ORPHAN": "o\n"})
	r.Run("checkout", "-q", "master")
	f.master = r.Commit("fourth", map[string]string{"MASTER": "m\n"})
	return f
}

// cloners lists every way a checkout is made: git, go-git, and Auto handing
// every pack to git after go-git's negotiation (SmallObjects 1).
func cloners() []git.Cloner {
	return []git.Cloner{&git.SystemGit{}, git.GoGit{}, &git.Auto{SmallObjects: 1}}
}

func TestCloneEveryRefKindEveryTransport(t *testing.T) {
	f := newFixture(t)
	daemon := gittest.ServeDaemon(t, f.root)
	httpSrv := gittest.ServeHTTP(t, f.root)
	transports := map[string]string{
		"path":   filepath.Join(f.root, f.name),
		"file":   "file://" + filepath.Join(f.root, f.name),
		"daemon": daemon.URL + "/" + f.name,
		"http":   httpSrv.URL + "/" + f.name,
	}
	refs := map[string]string{
		"master":               f.master,
		"stable/x":             f.feature,
		"v1":                   f.tagged,
		"v2":                   f.annotated,
		"refs/changes/42/42/1": f.change,
		f.tagged:               f.tagged,
	}
	type tc struct {
		transport, ref string
		depth          int
		transportCase  bool
	}
	var cases []tc
	// Every ref kind at both depths over one transport per implementation,
	// and every transport for two refs.
	for ref := range refs {
		for _, d := range []int{0, 1} {
			cases = append(cases, tc{"daemon", ref, d, false}, tc{"http", ref, d, false})
		}
	}
	for tname := range transports {
		cases = append(cases, tc{tname, "v2", 1, true}, tc{tname, "stable/x", 0, true})
	}
	for _, c := range cloners() {
		for _, k := range cases {
			if !k.transportCase && (c.Name() == "git") != (k.transport == "daemon") {
				continue
			}
			url, ref, depth := transports[k.transport], k.ref, k.depth
			want := refs[ref]
			name := c.Name() + "/" + k.transport + "/" + strings.ReplaceAll(ref, "/", "_") + "/depth" + string(rune('0'+depth))
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dest := filepath.Join(t.TempDir(), "plugin")
				out, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: url, Ref: ref, Depth: depth}, dest, git.Policy{})
				if err != nil {
					t.Fatal(err)
				}
				if out.Commit != want || out.Action != git.Cloned {
					t.Fatalf("got %+v, want commit %s cloned", out, want)
				}
				if head := gittest.Git(t, dest, "rev-parse", "HEAD"); head != want {
					t.Fatalf("HEAD %s, want %s", head, want)
				}
				if st := gittest.Git(t, dest, "status", "--porcelain"); st != "" {
					t.Fatalf("worktree not clean: %s", st)
				}
				// go-git serves local repositories in-process, in full.
				inProcess := c.Name() == "go-git" && (k.transport == "file" || k.transport == "path")
				if depth == 1 && !inProcess {
					if n := gittest.Git(t, dest, "rev-list", "--count", "HEAD"); n != "1" {
						t.Fatalf("depth 1 clone has %s commits", n)
					}
				}
			})
		}
	}
}

func TestCloneUnadvertisedCommit(t *testing.T) {
	f := newFixture(t)
	daemon := gittest.ServeDaemon(t, f.root)
	for _, c := range []git.Cloner{&git.SystemGit{}} {
		dest := filepath.Join(t.TempDir(), "plugin")
		out, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: daemon.URL + "/plugin", Ref: f.orphan}, dest, git.Policy{})
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		if out.Commit != f.orphan {
			t.Fatalf("%s: got %s want %s", c.Name(), out.Commit, f.orphan)
		}
	}
}

func TestMissingRefLeavesNothing(t *testing.T) {
	f := newFixture(t)
	httpSrv := gittest.ServeHTTP(t, f.root)
	for _, c := range cloners() {
		for _, depth := range []int{0, 1} {
			parent := t.TempDir()
			dest := filepath.Join(parent, "plugin")
			_, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: httpSrv.URL + "/plugin", Ref: "no-such-branch", Depth: depth}, dest, git.Policy{})
			var ge *git.Error
			if !errors.As(err, &ge) || ge.Plugin != "plugin" || !strings.Contains(err.Error(), "no-such-branch") {
				t.Fatalf("%s depth %d: want a git.Error naming the plugin and ref, got %v", c.Name(), depth, err)
			}
			assertEmptyDir(t, parent)
		}
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Fatalf("%s should be empty (no partial clone, no temporary directory), has %v", dir, names)
	}
}

func TestPolicies(t *testing.T) {
	f := newFixture(t)
	url := "file://" + filepath.Join(f.root, "plugin")
	for _, c := range cloners() {
		t.Run(c.Name(), func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "plugin")
			ctx := context.Background()
			req := git.Request{Name: "plugin", URL: url, Ref: "master"}

			if _, err := git.Ensure(ctx, c, req, dest, git.Policy{Offline: true}); !errors.Is(err, git.ErrOfflineMissing) {
				t.Fatalf("offline, missing: %v", err)
			}
			if _, err := git.Ensure(ctx, c, req, dest, git.Policy{ErrorOnClone: true}); !errors.Is(err, git.ErrErrorOnClone) {
				t.Fatalf("error-on-clone, missing: %v", err)
			}
			assertEmptyDir(t, parent)

			// Shallow clone of master, then a changed ref without RECLONE: kept as is.
			req.Depth = 1
			if out, err := git.Ensure(ctx, c, req, dest, git.Policy{}); err != nil || out.Commit != f.master {
				t.Fatalf("clone: %+v %v", out, err)
			}
			req.Ref = "stable/x"
			if out, err := git.Ensure(ctx, c, req, dest, git.Policy{}); err != nil || out.Action != git.Kept || out.Commit != f.master {
				t.Fatalf("existing checkout must be kept: %+v %v", out, err)
			}
			if out, err := git.Ensure(ctx, c, req, dest, git.Policy{ErrorOnClone: true, Offline: true}); err != nil || out.Commit != f.master {
				t.Fatalf("offline with checkout: %+v %v", out, err)
			}
			// RECLONE to a non-default branch of a shallow clone, where DevStack dies.
			if out, err := git.Ensure(ctx, c, req, dest, git.Policy{Reclone: true}); err != nil || out.Action != git.Updated || out.Commit != f.feature {
				t.Fatalf("reclone to branch: %+v %v", out, err)
			}
			// RECLONE to a commit id, where DevStack dies too.
			req.Ref = f.tagged
			if out, err := git.Ensure(ctx, c, req, dest, git.Policy{Reclone: true}); err != nil || out.Commit != f.tagged {
				t.Fatalf("reclone to sha: %+v %v", out, err)
			}
			req.Ref, req.Depth = "refs/changes/42/42/1", 0
			if out, err := git.Ensure(ctx, c, req, dest, git.Policy{Reclone: true}); err != nil || out.Commit != f.change {
				t.Fatalf("reclone to change: %+v %v", out, err)
			}
			if head := gittest.Git(t, dest, "rev-parse", "HEAD"); head != f.change {
				t.Fatalf("HEAD %s", head)
			}
		})
	}
}

func TestRefusesDangerousInput(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "p")
	for _, req := range []git.Request{
		{Name: "p", URL: "ext::sh -c touch% /tmp/pwned", Ref: "master"},
		{Name: "p", URL: "--upload-pack=touch /tmp/x", Ref: "master"},
		{Name: "p", URL: "fd::3", Ref: "master"},
		{Name: "p", URL: "/tmp/x", Ref: "--upload-pack=/bin/true"},
		{Name: "p", URL: "/tmp/x", Ref: "a b"},
		{Name: "p", URL: "/tmp/x", Ref: "master:refs/heads/evil"},
		{Name: "p", URL: "/tmp/x", Ref: "+refs/heads/*"},
	} {
		for _, c := range cloners() {
			if _, err := git.Ensure(context.Background(), c, req, dest, git.Policy{}); err == nil {
				t.Errorf("%s: %+v accepted", c.Name(), req)
			}
		}
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("destination created")
	}
}

func TestServerDiesMidClone(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	for i := range 200 {
		files[filepath.Join("d", string(rune('a'+i%26)), "f"+strings.Repeat("x", i%7)+string(rune('0'+i%10))+".txt")] = strings.Repeat("data ", 400+i)
	}
	gittest.NewRepo(t, root, "big", files)
	srv := gittest.ServeHTTP(t, root)
	srv.SetDieAfter(2000)
	for _, c := range cloners() {
		parent := t.TempDir()
		dest := filepath.Join(parent, "big")
		_, err := git.Ensure(context.Background(), c, git.Request{Name: "big", URL: srv.URL + "/big", Ref: "master"}, dest, git.Policy{})
		if err == nil || !strings.Contains(err.Error(), "plugin big") {
			t.Fatalf("%s: want an error naming the plugin, got %v", c.Name(), err)
		}
		assertEmptyDir(t, parent)
	}
	srv.SetDieAfter(0)
	dest := filepath.Join(t.TempDir(), "big")
	if _, err := git.Ensure(context.Background(), &git.SystemGit{}, git.Request{Name: "big", URL: srv.URL + "/big", Ref: "master"}, dest, git.Policy{}); err != nil {
		t.Fatalf("after the server recovered: %v", err)
	}
}

func TestCancelDuringClone(t *testing.T) {
	root := t.TempDir()
	gittest.NewRepo(t, root, "p", map[string]string{"a": strings.Repeat("x", 100000)})
	srv := gittest.ServeHTTP(t, root)
	for _, c := range cloners() {
		srv.Stall()
		parent := t.TempDir()
		dest := filepath.Join(parent, "p")
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := git.Ensure(ctx, c, git.Request{Name: "p", URL: srv.URL + "/p", Ref: "master"}, dest, git.Policy{})
			errc <- err
		}()
		<-srv.Stalled
		cancel()
		err := <-errc
		srv.Release()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: want context.Canceled, got %v", c.Name(), err)
		}
		assertEmptyDir(t, parent)
	}
}

func TestAutoChoosesBySize(t *testing.T) {
	f := newFixture(t)
	daemon := gittest.ServeDaemon(t, f.root)
	local := filepath.Join(f.root, f.name)
	remote := daemon.URL + "/" + f.name
	// The same repository, served with filters allowed.
	filtering := newFixture(t)
	gittest.Git(t, filepath.Join(filtering.root, filtering.name), "config", "uploadpack.allowFilter", "true")
	filteringRemote := gittest.ServeDaemon(t, filtering.root).URL + "/" + filtering.name
	cases := []struct {
		name string
		auto *git.Auto
		url  string
		want string
	}{
		{"small local repository", &git.Auto{}, local, "go-git"},
		{"large local repository", &git.Auto{SmallBytes: 1}, local, "git"},
		{"small pack", &git.Auto{}, remote, "go-git"},
		{"small pack, filters", &git.Auto{}, filteringRemote, "go-git"},
		// The fixture's pack holds 20-odd objects. Its server refuses
		// filters: git index-pack takes the pack go-git negotiated.
		{"large pack", &git.Auto{SmallObjects: 10}, remote, git.HandedOff},
		// With filters, git clones it, asking for a blobless partial
		// clone, before go-git reads the pack.
		{"large pack, filters", &git.Auto{SmallObjects: 10, BloblessObjects: 10}, filteringRemote, "git"},
		// Unless its history is too short for a blobless clone to pay:
		// then git index-pack takes the pack go-git negotiated.
		{"large pack, filters, short history", &git.Auto{SmallObjects: 10}, filteringRemote, git.HandedOff},
		// So it does at once for a repository with many refs.
		{"many refs, filters", &git.Auto{ManyRefs: 2}, filteringRemote, "git"},
		{"many refs, no filters", &git.Auto{ManyRefs: 2}, remote, "go-git"},
		// When full clones are asked for, git index-pack takes the pack.
		{"large pack, full clones", &git.Auto{SmallObjects: 10, Git: &git.SystemGit{Full: true}}, filteringRemote, git.HandedOff},
		{"ssh", &git.Auto{}, "ssh://127.0.0.1:1/nothing", "git"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dest := filepath.Join(t.TempDir(), "plugin")
			var progress []string
			var mu sync.Mutex
			req := git.Request{Name: "plugin", URL: c.url, Ref: "master", Progress: func(l string) {
				mu.Lock()
				defer mu.Unlock()
				progress = append(progress, l)
			}}
			out, err := git.Ensure(context.Background(), c.auto, req, dest, git.Policy{})
			if got := c.auto.Chosen(c.url); got != c.want {
				t.Fatalf("chose %q, want %q (%v)", got, c.want, err)
			}
			if c.name == "ssh" {
				return // nothing listens there; git was asked, which is the point
			}
			if err != nil || out.Commit != f.master {
				t.Fatalf("got %+v %v, want %s", out, err, f.master)
			}
			gittest.Git(t, dest, "fsck", "--no-progress", "--no-dangling")
			if st := gittest.Git(t, dest, "status", "--porcelain"); st != "" {
				t.Fatalf("worktree not clean: %s", st)
			}
			if head := gittest.Git(t, dest, "rev-parse", "HEAD", "v2^{commit}", "origin/stable/x"); head != f.master+"\n"+f.annotated+"\n"+f.feature {
				t.Fatalf("HEAD, v2 and origin/stable/x: %s", head)
			}
			if c.want == git.HandedOff && !slices.ContainsFunc(progress, func(l string) bool { return strings.HasPrefix(l, "Receiving objects") }) {
				t.Fatalf("no progress from git index-pack: %q", progress)
			}
			if c.name == "large pack, filters, short history" && (out.History != git.HistoryFull || !slices.ContainsFunc(out.Notes, func(n string) bool {
				return strings.Contains(n, "fewer than the 30000 above which a blobless clone is faster")
			})) {
				t.Fatalf("got %s history, notes %q: want a full clone that says why", out.History, out.Notes)
			}
			// An update measures the checkout: the fixture is small.
			c.auto.SmallBytes = 0
			if _, err := git.Ensure(context.Background(), c.auto, git.Request{Name: "plugin", URL: c.url, Ref: "v1"}, dest, git.Policy{Reclone: true}); err != nil {
				t.Fatal(err)
			}
			// go-git cannot fetch the blobs a blobless clone lacks.
			wantUpdate := "go-git"
			if out.History == git.HistoryBlobless {
				wantUpdate = "git"
			}
			if got := c.auto.Chosen(c.url); got != wantUpdate {
				t.Fatalf("update of a small %s checkout chose %q", out.History, got)
			}
			c.auto.SmallBytes = 1
			if _, err := git.Ensure(context.Background(), c.auto, git.Request{Name: "plugin", URL: c.url, Ref: "master"}, dest, git.Policy{Reclone: true}); err != nil {
				t.Fatal(err)
			}
			if got := c.auto.Chosen(c.url); got != "git" {
				t.Fatalf("update of a large checkout chose %q", got)
			}
		})
	}
}

// go-git has no credential helpers: a clone it cannot authenticate is made
// again by git, which finds the credentials its configuration names.
func TestAutoFallsBackToGitForCredentials(t *testing.T) {
	f := newFixture(t)
	srv := gittest.ServeHTTP(t, f.root)
	srv.RequireAuth("stack", "s3cret")
	home := t.TempDir()
	store := filepath.Join(home, "credentials")
	u := strings.Replace(srv.URL, "http://", "http://stack:s3cret@", 1)
	if err := os.WriteFile(store, []byte(u+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	global := filepath.Join(home, ".gitconfig")
	if err := os.WriteFile(global, []byte("[credential]\n\thelper = store --file "+store+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home)
	url := srv.URL + "/" + f.name
	// Without Credentials (plan time), the helper is never started.
	plain := &git.Auto{Git: &git.SystemGit{Env: env}}
	if _, err := git.Ensure(context.Background(), plain, git.Request{Name: "plugin", URL: url, Ref: "master"}, filepath.Join(t.TempDir(), "plugin"), git.Policy{}); err == nil {
		t.Fatal("a clone without Credentials used the credential helper")
	}
	dest := filepath.Join(t.TempDir(), "plugin")
	a := &git.Auto{Git: &git.SystemGit{Env: env, Credentials: true}}
	out, err := git.Ensure(context.Background(), a, git.Request{Name: "plugin", URL: url, Ref: "master"}, dest, git.Policy{})
	if err != nil || out.Commit != f.master {
		t.Fatalf("got %+v %v, want %s", out, err, f.master)
	}
	if got := a.Chosen(url); got != "git" {
		t.Fatalf("chose %q, want git", got)
	}
	// Without the credentials nobody gets in, and nothing is left behind.
	srv.RequireAuth("stack", "other")
	dest2 := filepath.Join(t.TempDir(), "plugin")
	if _, err := git.Ensure(context.Background(), a, git.Request{Name: "plugin", URL: url, Ref: "master"}, dest2, git.Policy{}); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	assertEmptyDir(t, filepath.Dir(dest2))
}

// go-git reads no git configuration: where the user's would make git fetch
// differently (a URL rewrite, http settings), Auto lets git clone.
func TestAutoHonorsGitConfiguration(t *testing.T) {
	f := newFixture(t)
	daemon := gittest.ServeDaemon(t, f.root)
	httpSrv := gittest.ServeHTTP(t, f.root)
	home := t.TempDir()
	global := filepath.Join(home, ".gitconfig")
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home)
	for _, c := range []struct {
		name, config, url, want string
	}{
		{"no settings", "", httpSrv.URL + "/plugin", "go-git"},
		{"insteadOf", "[url \"" + daemon.URL + "/\"]\n\tinsteadOf = https://mirror.invalid/\n", "https://mirror.invalid/plugin", "git"},
		{"http settings", "[http]\n\tlowSpeedLimit = 1\n", httpSrv.URL + "/plugin", "git"},
		{"http settings, git://", "[http]\n\tlowSpeedLimit = 1\n", daemon.URL + "/plugin", "go-git"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(global, []byte(c.config), 0o600); err != nil {
				t.Fatal(err)
			}
			a := &git.Auto{Git: &git.SystemGit{Env: env}}
			dest := filepath.Join(t.TempDir(), "plugin")
			out, err := git.Ensure(context.Background(), a, git.Request{Name: "plugin", URL: c.url, Ref: "master"}, dest, git.Policy{})
			if err != nil || out.Commit != f.master {
				t.Fatalf("got %+v %v, want %s", out, err, f.master)
			}
			if got := a.Chosen(c.url); got != c.want {
				t.Errorf("clone chose %q, want %q", got, c.want)
			}
			// An update of the (small) checkout is decided the same way.
			if _, err := git.Ensure(context.Background(), a, git.Request{Name: "plugin", URL: c.url, Ref: "v1"}, dest, git.Policy{Reclone: true}); err != nil {
				t.Fatal(err)
			}
			if got := a.Chosen(c.url); got != c.want {
				t.Errorf("update chose %q, want %q", got, c.want)
			}
		})
	}
}

// A branch or tag is cloned with one git clone, which leaves HEAD on a
// branch; the checkout must still be detached, as DevStack's is.
func TestCloneDetachesHead(t *testing.T) {
	f := newFixture(t)
	daemon := gittest.ServeDaemon(t, f.root)
	for _, c := range cloners() {
		for _, depth := range []int{0, 1} {
			for ref, want := range map[string]string{"master": f.master, "stable/x": f.feature, "v2": f.annotated} {
				dest := filepath.Join(t.TempDir(), "plugin")
				out, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: daemon.URL + "/plugin", Ref: ref, Depth: depth}, dest, git.Policy{})
				if err != nil || out.Commit != want {
					t.Fatalf("%s %s depth %d: %+v %v", c.Name(), ref, depth, out, err)
				}
				if sym := gittest.Git(t, dest, "rev-parse", "--symbolic-full-name", "HEAD"); sym != "HEAD" {
					t.Fatalf("%s %s depth %d: HEAD is attached to %s", c.Name(), ref, depth, sym)
				}
				if st := gittest.Git(t, dest, "status", "--porcelain"); st != "" {
					t.Fatalf("%s %s: worktree not clean: %s", c.Name(), ref, st)
				}
				if url := gittest.Git(t, dest, "remote", "get-url", "origin"); url != daemon.URL+"/plugin" {
					t.Fatalf("origin is %q", url)
				}
			}
		}
	}
}

// git fetch origin REF takes the tag REF before the branch REF; git clone
// --branch takes the branch. A full clone must follow git fetch.
func TestTagBeforeBranchOfSameName(t *testing.T) {
	f := newFixture(t)
	gittest.Git(t, filepath.Join(f.root, f.name), "branch", "dup", f.feature)
	gittest.Git(t, filepath.Join(f.root, f.name), "tag", "dup", f.tagged)
	daemon := gittest.ServeDaemon(t, f.root)
	for _, c := range cloners() {
		dest := filepath.Join(t.TempDir(), "plugin")
		out, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: daemon.URL + "/plugin", Ref: "dup"}, dest, git.Policy{})
		if err != nil || out.Commit != f.tagged {
			t.Fatalf("%s: %+v %v, want the tag's commit %s", c.Name(), out, err, f.tagged)
		}
		if head := gittest.Git(t, dest, "rev-parse", "HEAD"); head != f.tagged {
			t.Fatalf("%s: HEAD %s", c.Name(), head)
		}
	}
}

// Head reads HEAD from the repository's files, starting no process (the
// no-op re-apply reads one per plugin), and agrees with git rev-parse HEAD
// for loose and packed refs, attached and detached; other layouts go to git.
func TestHeadWithoutProcess(t *testing.T) {
	f := newFixture(t)
	noGit := &git.SystemGit{Path: filepath.Join(t.TempDir(), "no-such-git")}
	src := filepath.Join(f.root, f.name)
	clone := func(args ...string) string {
		dir := filepath.Join(t.TempDir(), "c")
		gittest.Git(t, f.root, append([]string{"clone", "-q"}, append(args, "--", src, dir)...)...)
		return dir
	}
	loose := clone()
	packed := clone("--branch", "stable/x")
	gittest.Git(t, packed, "pack-refs", "--all")
	detached := clone()
	gittest.Git(t, detached, "checkout", "-q", "--detach", f.tagged)
	for _, dir := range []string{loose, packed, detached} {
		want := gittest.Git(t, dir, "rev-parse", "HEAD")
		for _, c := range []git.Cloner{noGit, git.GoGit{}, &git.Auto{Git: noGit}} {
			if got, err := c.Head(context.Background(), dir); err != nil || got != want {
				t.Fatalf("%s Head(%s) = %s %v, want %s", c.Name(), dir, got, err, want)
			}
		}
	}
	// A linked worktree (.git is a file) is left to git.
	wt := filepath.Join(t.TempDir(), "wt")
	gittest.Git(t, loose, "worktree", "add", "-q", "--detach", wt, f.tagged)
	if _, err := noGit.Head(context.Background(), wt); err == nil {
		t.Fatal("a .git file was read in-process")
	}
	if got, err := (&git.SystemGit{}).Head(context.Background(), wt); err != nil || got != f.tagged {
		t.Fatalf("worktree: %s %v", got, err)
	}
	// An unborn branch has no commit.
	empty := filepath.Join(t.TempDir(), "e")
	gittest.Git(t, f.root, "init", "-q", empty)
	if _, err := (&git.SystemGit{}).Head(context.Background(), empty); err == nil {
		t.Fatal("unborn HEAD gave a commit")
	}
}

// Symbolic links are checked out as committed, absolute targets included,
// by every implementation: go-git's default filesystem would rewrite an
// absolute target under the temporary clone directory, which dangles once
// the clone is renamed into place.
func TestSymlinksKeptAsCommitted(t *testing.T) {
	root := t.TempDir()
	r := gittest.NewRepo(t, root, "plugin", map[string]string{"devstack/plugin.sh": "echo one\n"})
	links := map[string]string{"abs": "/etc/hostname", "devstack/rel": "plugin.sh", "up": "../outside"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(r.Dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	r.Commit("links", nil)
	daemon := gittest.ServeDaemon(t, root)
	for _, c := range cloners() {
		for _, url := range []string{r.Dir, daemon.URL + "/plugin"} {
			dest := filepath.Join(t.TempDir(), "plugin")
			if _, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: url, Ref: "master"}, dest, git.Policy{}); err != nil {
				t.Fatalf("%s %s: %v", c.Name(), url, err)
			}
			for name, want := range links {
				if got, err := os.Readlink(filepath.Join(dest, name)); err != nil || got != want {
					t.Errorf("%s %s: %s -> %q (%v), want %q", c.Name(), url, name, got, err, want)
				}
			}
		}
	}
}

// A new checkout has the mode git clone gives its directory under the
// umask, not os.MkdirTemp's 0700: services running as other users read it.
func TestCheckoutModeFollowsUmask(t *testing.T) {
	f := newFixture(t)
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	for _, c := range cloners() {
		dest := filepath.Join(t.TempDir(), "plugin")
		if _, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: "file://" + filepath.Join(f.root, f.name), Ref: "master"}, dest, git.Policy{}); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(dest)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o750 {
			t.Errorf("%s: checkout mode %o, want 750 (umask 027)", c.Name(), got)
		}
	}
}

// A clone larger than Request.MaxBytes (plan --fetch) fails, naming the
// bound, and leaves nothing.
func TestCloneSizeBound(t *testing.T) {
	f := newFixture(t)
	for _, c := range cloners() {
		dest := filepath.Join(t.TempDir(), "plugin")
		_, err := git.Ensure(context.Background(), c, git.Request{Name: "plugin", URL: "file://" + filepath.Join(f.root, f.name), Ref: "master", MaxBytes: 1024}, dest, git.Policy{})
		if !errors.Is(err, git.ErrTooLarge) {
			t.Fatalf("%s: got %v, want ErrTooLarge", c.Name(), err)
		}
		assertEmptyDir(t, filepath.Dir(dest))
	}
}
