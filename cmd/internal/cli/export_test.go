package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// twoNodes is a nodeset as DevStack defines its two-node nodesets: a
// controller and compute1, the latter in group subnode.
func twoNodes(name string) string {
	return `- nodeset:
    name: ` + name + `
    nodes:
      - name: controller
        label: ubuntu-noble
      - name: compute1
        label: ubuntu-noble
    groups:
      - name: subnode
        nodes: [compute1]
`
}

// writeMultiProject lays out a project's Zuul files as OpenStack projects
// do (zuul.d/ with a nested jobs/ folder) with a two-node job whose nodes
// learn each other's addresses the way DevStack's multi-node jobs do:
// SERVICE_HOST from hostvars['controller']['nodepool']['private_ipv4'],
// HOST_IP from the node's own, also inside a longer value and in a config
// file option. url gives each plugin's URL.
func writeMultiProject(t *testing.T, dir string, url func(string) string) {
	write(t, dir, "zuul.d/nodesets.yaml", twoNodes("two-nodes"))
	write(t, dir, "zuul.d/jobs/multi.yaml", `- job:
    name: multi
    nodeset: two-nodes
    vars:
      devstack_localrc:
        SERVICE_HOST: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
        HOST_IP: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
        GLANCE_HOSTPORT: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}:9292"
      devstack_plugins:
        beta: `+url("beta")+`
        alpha: `+url("alpha")+`
      devstack_local_conf:
        post-config:
          $DEST/node.conf:
            DEFAULT:
              my_ip: "{{ hostvars[inventory_hostname]['nodepool']['private_ipv4'] }}"
    group-vars:
      subnode:
        devstack_localrc:
          SERVICE_HOST: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
          HOST_IP: "{{ hostvars[inventory_hostname]['nodepool']['private_ipv4'] }}"
        devstack_plugins:
          beta: `+url("beta")+`

- job:
    name: multi-broken-controller
    parent: multi
    vars:
      devstack_plugins:
        broken: `+url("broken")+`
`)
}

// exportFixture makes plugin repositories whose plugin.sh logs every hook
// to DEST/hooks.log and to one log shared by all nodes, and the addresses
// the node's localrc gave it to DEST/addresses.log; and the project of
// writeMultiProject. "broken" fails at stack install.
func exportFixture(t *testing.T) (work, project string) {
	work = t.TempDir()
	shared := filepath.Join(work, "all-hooks.log")
	env := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid"}
	for _, name := range []string{"alpha", "beta", "broken"} {
		repo := filepath.Join(work, "repos", name)
		script := `echo "` + name + `: $1 $2" >> "$DEST/hooks.log"
echo "$DEST ` + name + `: $1 $2" >> "` + shared + `"
if [[ "$1 $2" == "stack install" ]]; then echo "` + name + ` SERVICE_HOST=$SERVICE_HOST HOST_IP=$HOST_IP GLANCE_HOSTPORT=${GLANCE_HOSTPORT-}" >> "$DEST/addresses.log"; fi
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
	project = filepath.Join(work, "project")
	writeMultiProject(t, project, func(name string) string { return "file://" + filepath.Join(work, "repos", name) })
	return work, project
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
//
// The export is given --devstack DIR, which the playbook passes to apply.
// Running DevStack's stack.sh is apply's own business (and not for a test
// on this machine): the stackplan the playbook runs is a wrapper that
// records its arguments in DEST/args.log and runs the real one without
// --devstack, in plugin-development mode.
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
	work, project := exportFixture(t)
	real := filepath.Join(work, "stackplan-real")
	build := exec.Command("go", "build", "-o", real, "github.com/stackplan/stackplan/cmd/stackplan")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin := filepath.Join(work, "stackplan")
	write(t, work, "stackplan", `#!/bin/bash
echo "$*" >> ../args.log
args=()
while (($#)); do
	if [[ $1 == --devstack ]]; then shift 2; continue; fi
	args+=("$1")
	shift
done
exec `+real+` "${args[@]}"
`)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	devstack := filepath.Join(work, "devstack")

	export := func(job, out string) (ctrl, sub string) {
		ctrl, sub = filepath.Join(out, "dest-controller"), filepath.Join(out, "dest-compute1")
		var stdout, stderr bytes.Buffer
		c := Command{Stdout: &stdout, Stderr: &stderr, Env: os.Environ(), Getwd: os.Getwd}
		code := c.Main([]string{"export", "ansible", "--zuul", project, "--job", job, "--out", out, "--connection", "local",
			"--node-dest", "controller=" + ctrl, "--node-dest", "compute1=" + sub, "--color", "never",
			"--host", "controller=127.0.0.2", "--host", "compute1=127.0.0.3", "--devstack", devstack})
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
		// Each node's localrc held the addresses Ansible filled in: the
		// controller's as SERVICE_HOST everywhere, each node's own as
		// HOST_IP on the subnode and in its config file.
		wantAddr := map[string][]string{
			ctrl: {"alpha SERVICE_HOST=127.0.0.2 HOST_IP=127.0.0.2 GLANCE_HOSTPORT=127.0.0.2:9292", "beta SERVICE_HOST=127.0.0.2 HOST_IP=127.0.0.2 GLANCE_HOSTPORT=127.0.0.2:9292"},
			sub:  {"beta SERVICE_HOST=127.0.0.2 HOST_IP=127.0.0.3 GLANCE_HOSTPORT="},
		}
		for dest, want := range wantAddr {
			if got := readLines(t, filepath.Join(dest, "addresses.log")); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s addresses:\n%s\nwant:\n%s", dest, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		conf, err := os.ReadFile(filepath.Join(sub, ".stackplan-job", "local.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(conf), "\nSERVICE_HOST=127.0.0.2\n") || !strings.Contains(string(conf), "\nHOST_IP=127.0.0.3\n") {
			t.Errorf("the subnode's local.conf does not hold the addresses:\n%s", conf)
		}
		for dest, ip := range map[string]string{ctrl: "127.0.0.2", sub: "127.0.0.3"} {
			if got := readLines(t, filepath.Join(dest, "node.conf")); !slices.Contains(got, "my_ip = "+ip) {
				t.Errorf("%s/node.conf: %q, want my_ip = %s", dest, got, ip)
			}
			// The node planned its local.conf, then applied the plan
			// with --devstack.
			want := []string{"plan --color=never --dest " + dest + " --out plan.json local.conf", "apply --color=never --devstack " + devstack + " plan.json"}
			if got := readLines(t, filepath.Join(dest, "args.log")); !slices.Equal(got, want) {
				t.Errorf("%s: stackplan ran with %q, want %q", dest, got, want)
			}
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

// TestExportGolden compares what export writes for the two-node project
// with testdata/export (reviewed by hand: every value from the Zuul files
// in the inventory is !unsafe, the templates' only expressions are node
// addresses).
func TestExportGolden(t *testing.T) {
	dir := t.TempDir()
	writeMultiProject(t, filepath.Join(dir, "project"), func(name string) string { return "https://opendev.org/x/" + name })
	code, _, errOut := runIn(t, dir, "export", "ansible", "--zuul", filepath.Join(dir, "project"), "--job", "multi", "--out", filepath.Join(dir, "deploy"),
		"--node-dest", "controller=/opt/stack", "--node-dest", "compute1=/opt/stack-compute1", "--host", "controller=10.0.0.10",
		"--devstack", "/opt/stack/devstack", "--color", "never")
	if code != ExitOK {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	for _, f := range []string{"inventory.yml", "playbook.yml", "nodes/controller/local.conf.j2", "nodes/compute1/local.conf.j2"} {
		got, err := os.ReadFile(filepath.Join(dir, "deploy", f))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "export", strings.ReplaceAll(f, "/", "_"))
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", f, golden, got)
		}
	}
}

// A subnode whose SERVICE_HOST is a Jinja expression that is no node's
// address would get an empty SERVICE_HOST: export refuses, naming the node
// and where the value is written. An address that is not one is a usage
// error.
func TestExportRefusesEmptyServiceHost(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "zuul.yaml", twoNodes("two")+`- job:
    name: j
    nodeset: two
    vars:
      devstack_localrc:
        SERVICE_HOST: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
    group-vars:
      subnode:
        devstack_localrc:
          SERVICE_HOST: "{{ groups['controller'][0] }}"
`)
	out := filepath.Join(dir, "deploy")
	code, _, errOut := runIn(t, dir, "export", "ansible", "--color", "never", "--zuul", filepath.Join(dir, "zuul.yaml"), "--job", "j", "--out", out)
	if code != ExitFindings || !strings.Contains(errOut, "node compute1: SERVICE_HOST (") || !strings.Contains(errOut, "zuul.yaml:20,") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("export wrote files although it refused the job")
	}
	code, _, errOut = runIn(t, dir, "export", "ansible", "--zuul", filepath.Join(dir, "zuul.yaml"), "--job", "j", "--out", out, "--host", "controller=a b")
	if code != ExitUsage || !strings.Contains(errOut, "not a host name or IP address") {
		t.Errorf("--host with a space: exit %d\n%s", code, errOut)
	}
}
