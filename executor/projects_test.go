package executor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
	"github.com/stackplan/stackplan/plan"
)

// DevStack's own repositories are cloned in the clone stage with the
// plugins: requirements with its whole history whatever GIT_DEPTH says, as
// stack.sh does; the journal records them as it records the plugins.
// With a cache directory, a second DEST takes everything from the cache.
func TestApplyClonesDevstackProjects(t *testing.T) {
	e := newEnv(t, true)
	for _, name := range []string{"requirements", "nova"} {
		r := gittest.NewRepo(t, e.root, name, map[string]string{"README": name + "\n"})
		r.Commit("second", map[string]string{"NEWS": "n\n"})
		r.Run("config", "uploadpack.allowFilter", "true")
	}
	withProjects := func(dest string) *plan.Plan {
		p := buildPlan(dest, e.srv.URL, e.names, e.localrc)
		var steps []plan.Step
		for _, name := range []string{"requirements", "nova"} {
			p.Projects = append(p.Projects, plan.Project{Name: name, URL: e.srv.URL + "/" + name, Ref: "master", Dir: filepath.Join(dest, name), Service: "stack.sh", FullHistory: name == "requirements"})
			steps = append(steps, plan.Step{ID: plan.StepID(plan.Stack, "", plan.KindClone, "project", name), Kind: plan.KindClone, Lifecycle: plan.Stack, Project: name})
		}
		p.Steps = append(steps, p.Steps...)
		return p
	}
	cache := t.TempDir()
	opts := func() Options {
		o := e.opts()
		o.Only, o.GitDepth, o.Cloner, o.CacheDir = "clone", 1, nil, cache
		return o
	}
	res, err := Apply(context.Background(), withProjects(e.dest), opts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	history := map[string]git.History{}
	for _, c := range res.Clones {
		history[c.Plugin] = c.History
	}
	if len(res.Clones) != 4 || history["requirements"] != git.HistoryBlobless || history["nova"] != git.HistoryShallow || history["alpha"] != git.HistoryShallow {
		t.Fatalf("clones %+v", res.Clones)
	}
	if n := gittest.Git(t, filepath.Join(e.dest, "requirements"), "rev-list", "--count", "HEAD"); n != "2" {
		t.Fatalf("requirements has %s commits, want its whole history (2)", n)
	}
	j := ReadJournal(filepath.Join(e.dest, StateDirName))
	if j.Commits["project:nova"] == "" || j.Commits["project:requirements"] == "" {
		t.Fatalf("journal commits %v", j.Commits)
	}
	// A re-apply finds the projects' checkouts where the journal says.
	if _, err := Apply(context.Background(), withProjects(e.dest), opts(), nil); err != ErrAlreadyApplied {
		t.Fatalf("re-apply: %v", err)
	}
	// A second DEST: requirements (the only one cloned without
	// GIT_DEPTH) comes from the cache.
	dest2 := filepath.Join(t.TempDir(), "opt-stack")
	res, err = Apply(context.Background(), withProjects(dest2), opts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Clones {
		if c.Plugin == "requirements" && (len(c.Notes) != 1 || !strings.HasPrefix(c.Notes[0], "object cache: everything came from "+cache+"/")) {
			t.Fatalf("requirements in a second DEST: %+v", c)
		}
	}
}
