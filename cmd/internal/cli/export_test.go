package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exportFixture makes plugin repositories whose plugin.sh logs every hook
// to DEST/hooks.log and to one log shared by all nodes, and a Zuul file
// with a two-node job; "broken" fails at stack install.
func exportFixture(t *testing.T) (work, zuulFile string) {
	work = t.TempDir()
	shared := filepath.Join(work, "all-hooks.log")
	env := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid"}
	for _, name := range []string{"alpha", "beta", "broken"} {
		repo := filepath.Join(work, "repos", name)
		script := `echo "` + name + `: $1 $2" >> "$DEST/hooks.log"
echo "$DEST ` + name + `: $1 $2" >> "` + shared + `"
`
		if name == "broken" {
			script += `if [[ "$1 $2" == "stack install" ]]; then echo "broken: cannot install" >&2; exit 1; fi
`
		}
		write(t, repo, "devstack/plugin.sh", script)
		run(t, repo, env, "git", "init", "-q", "-b", "master")
		run(t, repo, env, "git", "add", "-A")
		run(t, repo, env, "git", "commit", "-q", "-m", name)
	}
	url := func(name string) string { return "file://" + filepath.Join(work, "repos", name) }
	write(t, work, "zuul.yaml", `- nodeset:
    name: two-nodes
    nodes:
      - name: controller
        label: ubuntu-noble
      - name: compute1
        label: ubuntu-noble
    groups:
      - name: subnode
        nodes: [compute1]

- job:
    name: multi
    nodeset: two-nodes
    vars:
      devstack_plugins:
        beta: `+url("beta")+`
        alpha: `+url("alpha")+`
    group-vars:
      subnode:
        devstack_plugins:
          beta: `+url("beta")+`

- job:
    name: multi-broken-controller
    parent: multi
    vars:
      devstack_plugins:
        broken: `+url("broken")+`
`)
	return work, filepath.Join(work, "zuul.yaml")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// TestExportAnsible exports a two-node Zuul job and runs the playbook with
// the real ansible-playbook, both nodes on this machine (local connection,
// separate destinations): each node gets its own checkouts and runs its
// hooks in DevStack's order, the controller entirely before the subnode;
// a failing controller stops the run before the subnode, naming the node.
func TestExportAnsible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and runs ansible-playbook: skipped with -short")
	}
	ansible, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook is not installed (Debian: apt-get install ansible)")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	work, zuulFile := exportFixture(t)
	bin := filepath.Join(work, "stackplan")
	build := exec.Command("go", "build", "-o", bin, "github.com/stackplan/stackplan/cmd/stackplan")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	export := func(job, out string) (ctrl, sub string) {
		ctrl, sub = filepath.Join(out, "dest-controller"), filepath.Join(out, "dest-compute1")
		var stdout, stderr bytes.Buffer
		c := Command{Stdout: &stdout, Stderr: &stderr, Env: os.Environ(), Getwd: os.Getwd}
		code := c.Main([]string{"export", "ansible", "--zuul", zuulFile, "--job", job, "--out", out, "--connection", "local",
			"--node-dest", "controller=" + ctrl, "--node-dest", "compute1=" + sub, "--color", "never"})
		if code != ExitOK {
			t.Fatalf("export exited %d:\n%s", code, stderr.String())
		}
		return ctrl, sub
	}
	playbook := func(out string) (string, error) {
		cmd := exec.Command(ansible, "-i", "inventory.yml", "playbook.yml", "-e", "stackplan_bin="+bin)
		cmd.Dir = out
		tmp := filepath.Join(out, "ansible-tmp")
		cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
			"ANSIBLE_LOCAL_TEMP="+tmp, "ANSIBLE_REMOTE_TEMP="+tmp, "ANSIBLE_HOME="+tmp)
		data, err := cmd.CombinedOutput()
		return string(data), err
	}

	t.Run("two nodes", func(t *testing.T) {
		out := filepath.Join(work, "export-ok")
		ctrl, sub := export("multi", out)
		log, err := playbook(out)
		if err != nil {
			t.Fatalf("ansible-playbook: %v\n%s", err, log)
		}
		for _, dir := range []string{filepath.Join(ctrl, "alpha", ".git"), filepath.Join(ctrl, "beta", ".git"), filepath.Join(sub, "beta", ".git")} {
			if _, err := os.Stat(dir); err != nil {
				t.Errorf("checkout missing: %v", err)
			}
		}
		if _, err := os.Stat(filepath.Join(sub, "alpha")); err == nil {
			t.Error("the subnode has the controller's plugin alpha: group-vars did not replace devstack_plugins")
		}
		phases := []string{"stack pre-install", "stack install", "stack post-config", "stack extra", "stack test-config"}
		var wantCtrl, wantSub []string
		for _, ph := range phases {
			wantCtrl = append(wantCtrl, "alpha: "+ph, "beta: "+ph) // name order, as the Zuul role writes them
			wantSub = append(wantSub, "beta: "+ph)
		}
		if got := readLines(t, filepath.Join(ctrl, "hooks.log")); strings.Join(got, "\n") != strings.Join(wantCtrl, "\n") {
			t.Errorf("controller hooks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantCtrl, "\n"))
		}
		if got := readLines(t, filepath.Join(sub, "hooks.log")); strings.Join(got, "\n") != strings.Join(wantSub, "\n") {
			t.Errorf("subnode hooks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantSub, "\n"))
		}
		// Controller first: every controller hook before any subnode hook.
		seenSub := false
		for _, line := range readLines(t, filepath.Join(work, "all-hooks.log")) {
			switch {
			case strings.HasPrefix(line, sub+" "):
				seenSub = true
			case strings.HasPrefix(line, ctrl+" ") && seenSub:
				t.Errorf("controller hook after a subnode hook: %s", line)
			}
		}
	})

	t.Run("failing controller", func(t *testing.T) {
		out := filepath.Join(work, "export-fail")
		_, sub := export("multi-broken-controller", out)
		log, err := playbook(out)
		if err == nil {
			t.Fatalf("ansible-playbook succeeded with a failing controller:\n%s", log)
		}
		if !strings.Contains(log, "stackplan apply failed on node controller") {
			t.Errorf("the failure does not name the node:\n%s", log)
		}
		if !strings.Contains(log, "broken") {
			t.Errorf("the failure does not say what failed:\n%s", log)
		}
		if _, err := os.Stat(sub); err == nil {
			t.Errorf("the subnode ran although the controller failed:\n%s", log)
		}
	})
}
