package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// projectsTree lays out three repositories as OpenStack lays them out:
// devstack with its jobs and nodesets in .zuul.yaml, tempest with
// zuul.d/*.yaml and a stable variant, and a project (shaped like tacker)
// whose jobs live in zuul.d/jobs/*.yaml next to zuul.d/project.yaml.
func projectsTree(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, "devstack/.zuul.yaml", twoNodes("openstack-two-node-noble")+`- job:
    name: devstack
    parent: openstack-multinode-fips
    nodeset: openstack-two-node-noble
    vars:
      devstack_localrc:
        SERVICE_HOST: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
        HOST_IP: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
        ADMIN_PASSWORD: secretadmin
      devstack_services:
        mysql: true
        n-api: true
    group-vars:
      subnode:
        devstack_localrc:
          SERVICE_HOST: "{{ hostvars['controller']['nodepool']['private_ipv4'] }}"
          HOST_IP: "{{ hostvars[inventory_hostname]['nodepool']['private_ipv4'] }}"
        devstack_services:
          n-cpu: true
`)
	write(t, dir, "tempest/zuul.d/base.yaml", `- job:
    name: devstack-tempest
    parent: devstack
    vars:
      devstack_services:
        tempest: true
`)
	write(t, dir, "tempest/zuul.d/stable-jobs.yaml", `- job:
    name: devstack-tempest
    branches: stable/2025.1
    vars:
      devstack_services:
        tempest: false
`)
	write(t, dir, "tacker/zuul.d/project.yaml", `- project:
    check:
      jobs:
        - tacker-ft-v2-multinode
`)
	write(t, dir, "tacker/zuul.d/jobs/multinode.yaml", `- job:
    name: tacker-ft-v2-multinode
    parent: devstack-tempest
    vars:
      devstack_plugins:
        tacker: https://opendev.org/openstack/tacker
`)
	write(t, dir, "tacker/zuul.d/jobs/README.txt", "not a Zuul file\n")
	return dir
}

func TestZuulRepositoriesAsZuulReadsThem(t *testing.T) {
	dir := projectsTree(t)
	repo := func(name string) string { return filepath.Join(dir, name) }

	// The job is in zuul.d/jobs/: found. Its parents are in two other
	// repositories: missing, the job cannot be planned, and the error
	// names the parent and its repository.
	code, _, errOut := runIn(t, dir, "plan", "--color", "never", "--zuul", repo("tacker"), "--job", "tacker-ft-v2-multinode")
	if code != ExitFindings || !strings.Contains(errOut, "parent job devstack-tempest is not in the given files") || !strings.Contains(errOut, "openstack/tempest") {
		t.Errorf("plan without the parents' repositories: exit %d\n%s", code, errOut)
	}
	// With tempest, devstack is missing in turn.
	code, _, errOut = runIn(t, dir, "plan", "--color", "never", "--zuul", repo("tacker"), "--zuul", repo("tempest"), "--job", "tacker-ft-v2-multinode")
	if code != ExitFindings || !strings.Contains(errOut, "parent job devstack is not") || !strings.Contains(errOut, "openstack/devstack") {
		t.Errorf("plan without devstack: exit %d\n%s", code, errOut)
	}
	// Declared bare, the parent may be missing.
	code, _, errOut = runIn(t, dir, "plan", "--color", "never", "--zuul", repo("tacker"), "--zuul", repo("tempest"), "--bare-parent", "devstack", "--job", "tacker-ft-v2-multinode")
	if code != ExitOK {
		t.Errorf("plan --bare-parent devstack: exit %d\n%s", code, errOut)
	}

	// Everything given: two nodes, the subnode's own services, and on
	// master not the stable variant of devstack-tempest, whatever the order
	// of the repositories.
	var first string
	for _, order := range [][]string{{"tacker", "tempest", "devstack"}, {"devstack", "tempest", "tacker"}} {
		args := []string{"plan", "--json", "--zuul", repo(order[0]), "--zuul", repo(order[1]), "--zuul", repo(order[2]), "--job", "tacker-ft-v2-multinode"}
		code, out, errOut := runIn(t, dir, args...)
		if code != ExitOK {
			t.Fatalf("plan %v: exit %d\n%s", order, code, errOut)
		}
		var doc struct {
			Nodes []struct {
				Name string
				Plan struct {
					Services struct{ Enabled []string }
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Nodes) != 2 || doc.Nodes[0].Name != "controller" || doc.Nodes[1].Name != "compute1" {
			t.Fatalf("nodes: %s", out)
		}
		if got := strings.Join(doc.Nodes[0].Plan.Services.Enabled, ","); got != "mysql,n-api,tempest" {
			t.Errorf("controller services %s", got)
		}
		if got := strings.Join(doc.Nodes[1].Plan.Services.Enabled, ","); got != "n-cpu" { // group-vars replace devstack_services whole
			t.Errorf("subnode services %s", got)
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Errorf("the plan depends on the order of the repositories")
		}
	}
	code, out, _ := runIn(t, dir, "plan", "--json", "--node", "controller", "--branch", "stable/2025.1", "--zuul", repo("tacker"), "--zuul", repo("tempest"), "--zuul", repo("devstack"), "--job", "tacker-ft-v2-multinode")
	var p struct {
		Services struct{ Enabled, Disabled []string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != ExitOK {
		t.Fatalf("exit %d: %v\n%s", code, err, out)
	}
	if strings.Join(p.Services.Enabled, ",") != "mysql,n-api" || !slices.Contains(p.Services.Disabled, "tempest") {
		t.Errorf("--branch stable/2025.1: the stable variant that disables tempest was not applied: %+v", p.Services)
	}

	// A directory without Zuul files.
	if code, _, errOut := runIn(t, dir, "plan", "--zuul", filepath.Join(dir, "tacker", "zuul.d", "jobs"), "--job", "x"); code != ExitUsage || !strings.Contains(errOut, "no zuul.yaml") {
		t.Errorf("a directory without Zuul files: exit %d\n%s", code, errOut)
	}
}

// The findings of a multi-node job: each Jinja expression once, with the
// variables that hold it; --ignore silences a rule.
func TestZuulFindingsGrouped(t *testing.T) {
	dir := projectsTree(t)
	args := []string{"plan", "--color", "never", "--zuul", filepath.Join(dir, "devstack"), "--job", "devstack"}
	code, _, errOut := runIn(t, dir, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if n := strings.Count(errOut, "warning:"); n != 1 || !strings.Contains(errOut, "4 values are 2 Jinja expressions") ||
		!strings.Contains(errOut, "{{ hostvars['controller']['nodepool']['private_ipv4'] }} *: SERVICE_HOST") {
		t.Errorf("%d warnings:\n%s", n, errOut)
	}
	if strings.Contains(errOut, "secretadmin") {
		t.Errorf("a secret in the findings:\n%s", errOut)
	}
	code, _, errOut = runIn(t, dir, append(args, "--ignore", "zuul-jinja")...)
	if code != ExitOK || errOut != "" {
		t.Errorf("--ignore zuul-jinja: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runIn(t, dir, append(args, "--ignore", "zuul-jinga")...)
	if code != ExitUsage || !strings.Contains(errOut, "no such rule") {
		t.Errorf("--ignore of an unknown rule: exit %d\n%s", code, errOut)
	}
}

// A file that expands without bound through aliases is refused with a
// limit finding, which is not hidden behind "no job".
func TestZuulBillionLaughsNamed(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("- job:\n    name: j\n    vars:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("      a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for k := 0; k < 10; k++ {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	write(t, dir, "zuul.yaml", b.String())
	code, _, errOut := runIn(t, dir, "plan", "--color", "never", "--zuul", filepath.Join(dir, "zuul.yaml"), "--job", "j")
	if code != ExitFindings || !strings.Contains(errOut, "[limit]") || !strings.Contains(errOut, "too many values through its aliases") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// A warning repeated at several places is shown once, with the others.
func TestZuulRepeatedWarningsGrouped(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "zuul.yaml", `- job:
    name: j
    vars:
      devstack_localrc:
        A: say "a"
        B: say "b"
        C: say "c"
        MODE: 0755
`)
	code, _, errOut := runIn(t, dir, "plan", "--color", "never", "--zuul", filepath.Join(dir, "zuul.yaml"), "--job", "j")
	if code != ExitOK || strings.Count(errOut, "warning:") != 2 ||
		!strings.Contains(errOut, "Also: B holds a double quote ("+filepath.Join(dir, "zuul.yaml")+":6); C holds a double quote (") ||
		!strings.Contains(errOut, "MODE is written 0755, which Zuul reads as the number 493") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}
