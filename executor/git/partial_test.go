package git_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// pbrProject is a Python project versioned by pbr, as OpenStack's are:
// annotated release tags, authors, a Sem-Ver footer after the last tag,
// and blobs of old versions a blobless clone does not fetch.
type pbrProject struct {
	root, name string
	repo       *gittest.Repo
	// release is the commit of tag 1.0.0.
	release string
}

func newPbrProject(t *testing.T, allowFilter bool) *pbrProject {
	t.Helper()
	root := t.TempDir()
	p := &pbrProject{root: root, name: "demo"}
	p.repo = gittest.NewRepo(t, root, p.name, map[string]string{
		"setup.py":         "import setuptools\nsetuptools.setup(setup_requires=['pbr'], pbr=True)\n",
		"setup.cfg":        "[metadata]\nname = demo\nsummary = demo\n\n[files]\npackages = demo\n",
		"demo/__init__.py": "\n",
		"demo/data.txt":    strings.Repeat("version one\n", 500),
	})
	if allowFilter {
		p.repo.Run("config", "uploadpack.allowFilter", "true")
	}
	p.repo.Run("tag", "-a", "-m", "release 1.0.0", "1.0.0")
	p.release = p.repo.Head()
	p.repo.Run("commit", "-q", "--allow-empty", "--author=Alice <alice@example.com>", "-m", "Alice's fix")
	p.repo.Commit("data v2", map[string]string{"demo/data.txt": strings.Repeat("version two\n", 500)})
	p.repo.Run("tag", "-a", "-m", "release 1.1.0", "1.1.0")
	p.repo.Commit("data v3", map[string]string{"demo/data.txt": strings.Repeat("version three\n", 500), "demo/b.py": "b = 1\n"})
	p.repo.Run("commit", "-q", "--allow-empty", "--author=Bob <bob@example.com>", "-m", "A feature\n\nSem-Ver: feature")
	return p
}

// debianPython is Debian's python3 with its python3-pbr, which the tests
// run as pip and DevStack would; the test is skipped, saying so, without it.
func debianPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pbr, setuptools, venv").Run(); err != nil {
		t.Skipf("skipped: %s with pbr and venv is needed (Debian: apt-get install python3-pbr python3-venv): %v", py, err)
	}
	return py
}

// pbrOutputs runs pbr in a checkout as pip's build and sdist do, and
// returns the version it computes and the ChangeLog and AUTHORS it writes
// from git log.
func pbrOutputs(t *testing.T, py, dir string) (version, changelog, authors string) {
	t.Helper()
	run := func(args ...string) string {
		cmd := exec.Command(py, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PBR_VERSION=", "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v in %s: %v\n%s", py, args, dir, err, out)
		}
		return string(out)
	}
	lines := strings.Fields(run("setup.py", "-q", "--version"))
	version = lines[len(lines)-1]
	run("setup.py", "-q", "sdist")
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	return version, read("ChangeLog"), read("AUTHORS")
}

// missingBlobs counts the objects of every ref that the repository at dir
// lacks (a blobless clone's old blobs).
func missingBlobs(t *testing.T, dir string) int {
	t.Helper()
	out := gittest.Git(t, dir, "-c", "fetch.negotiationAlgorithm=noop", "rev-list", "--objects", "--missing=print", "--all")
	n := 0
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, "?") {
			n++
		}
	}
	return n
}

// A blobless partial clone gives pbr the version, ChangeLog and AUTHORS a
// full clone gives, pip installs it in editable mode with that version, and
// RECLONE moves it to another ref, fetching the blobs it lacked.
func TestBloblessCloneKeepsPbrVersions(t *testing.T) {
	py := debianPython(t)
	p := newPbrProject(t, true)
	daemon := gittest.ServeDaemon(t, p.root)
	url := daemon.URL + "/" + p.name

	full := filepath.Join(t.TempDir(), "full")
	outFull, err := git.Ensure(context.Background(), &git.SystemGit{Full: true}, git.Request{Name: "demo", URL: url, Ref: "master"}, full, git.Policy{})
	if err != nil || outFull.History != git.HistoryFull {
		t.Fatalf("full clone: %+v %v", outFull, err)
	}
	vf, cf, af := pbrOutputs(t, py, full)
	for _, c := range []git.Cloner{&git.SystemGit{}, &git.Auto{SmallObjects: 1, BloblessObjects: 1}} {
		t.Run(c.Name(), func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "demo")
			out, err := git.Ensure(context.Background(), c, git.Request{Name: "demo", URL: url, Ref: "master"}, dest, git.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if out.History != git.HistoryBlobless || out.Commit != outFull.Commit {
				t.Fatalf("got %+v, want a blobless clone at %s", out, outFull.Commit)
			}
			if n := missingBlobs(t, dest); n != 2 {
				t.Fatalf("the blobless clone lacks %d objects, want the 2 older versions of demo/data.txt", n)
			}
			vb, cb, ab := pbrOutputs(t, py, dest)
			if vb != vf || cb != cf || ab != af {
				t.Fatalf("pbr differs:\nblobless %s\n%s\n%s\nfull %s\n%s\n%s", vb, cb, ab, vf, cf, af)
			}
			if vb != "1.2.0.dev2" || !strings.Contains(ab, "Alice <alice@example.com>") || !strings.Contains(cb, "1.1.0\n-----") {
				t.Fatalf("pbr computed version %s, AUTHORS %q, ChangeLog %q", vb, ab, cb)
			}
			if c.Name() == "git" {
				venv := filepath.Join(t.TempDir(), "venv")
				for _, args := range [][]string{
					{py, "-m", "venv", "--system-site-packages", venv},
					{filepath.Join(venv, "bin", "pip"), "install", "-q", "--no-build-isolation", "--no-deps", "--no-index", "-e", dest},
				} {
					if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
						t.Fatalf("%v: %v\n%s", args, err, out)
					}
				}
				got, err := exec.Command(filepath.Join(venv, "bin", "python"), "-c", "import importlib.metadata as m; print(m.version('demo'))").Output()
				if err != nil || strings.TrimSpace(string(got)) != vf {
					t.Fatalf("pip install -e: version %q (%v), want %s", got, err, vf)
				}
			}
			// RECLONE to the first release: git fetches the blobs it lacks.
			out, err = git.Ensure(context.Background(), c, git.Request{Name: "demo", URL: url, Ref: "1.0.0"}, dest, git.Policy{Reclone: true, Force: true})
			if err != nil || out.Commit != p.release {
				t.Fatalf("reclone to 1.0.0: %+v %v", out, err)
			}
			data, err := os.ReadFile(filepath.Join(dest, "demo", "data.txt"))
			if err != nil || !strings.HasPrefix(string(data), "version one") {
				t.Fatalf("demo/data.txt at 1.0.0: %.20q %v", data, err)
			}
		})
	}
}

// A server that refuses filters sends everything: the clone is full, a
// plain repository, and a note says why.
func TestBloblessCloneFallsBackWhereFiltersAreRefused(t *testing.T) {
	p := newPbrProject(t, false)
	daemon := gittest.ServeDaemon(t, p.root)
	url := daemon.URL + "/" + p.name
	for _, c := range []git.Cloner{&git.SystemGit{}, &git.Auto{SmallObjects: 1, BloblessObjects: 1}} {
		t.Run(c.Name(), func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "demo")
			out, err := git.Ensure(context.Background(), c, git.Request{Name: "demo", URL: url, Ref: "1.1.0"}, dest, git.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if out.History != git.HistoryFull || !slices.Contains(out.Notes, git.NoteFilterRefused) {
				t.Fatalf("got %+v, want a full clone noted as such", out)
			}
			if n := missingBlobs(t, dest); n != 0 {
				t.Fatalf("%d objects missing", n)
			}
			if cfg := gittest.Git(t, dest, "config", "--local", "--list"); strings.Contains(cfg, "promisor") || strings.Contains(cfg, "repositoryformatversion=1") {
				t.Fatalf("the full clone is still configured as a partial one:\n%s", cfg)
			}
		})
	}
}

// GIT_DEPTH keeps its meaning: a shallow clone, never a partial one.
func TestGitDepthStaysShallow(t *testing.T) {
	p := newPbrProject(t, true)
	daemon := gittest.ServeDaemon(t, p.root)
	dest := filepath.Join(t.TempDir(), "demo")
	out, err := git.Ensure(context.Background(), &git.Auto{}, git.Request{Name: "demo", URL: daemon.URL + "/" + p.name, Ref: "master", Depth: 1}, dest, git.Policy{})
	if err != nil || out.History != git.HistoryShallow {
		t.Fatalf("got %+v %v, want a shallow clone", out, err)
	}
	if n := gittest.Git(t, dest, "rev-list", "--count", "HEAD"); n != "1" {
		t.Fatalf("%s commits, want 1", n)
	}
}
