package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/stackplan/stackplan/export/ansible"
	"github.com/stackplan/stackplan/plan/planfile"
)

const twoNodeStack = `localrc {
  SERVICE_HOST = "10.0.0.1"
}

plugin "heat" {
  url = "https://opendev.org/openstack/heat"
}

node "compute1" {
  groups = ["subnode"]
  services {
    disable_all = true
    enable      = ["n-cpu"]
  }
  plugin "barbican" {
    url = "https://opendev.org/openstack/barbican"
  }
}
`

// TestPlanAndExportMultiNodeHCL plans a two-node stack.hcl (text and JSON)
// and exports it for Ansible.
func TestPlanAndExportMultiNodeHCL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, "stack.hcl"), []byte(twoNodeStack), 0o644); err != nil {
		t.Fatal(err)
	}
	code, text, errOut := runIn(t, dir, "plan", "stack.hcl")
	if code != ExitOK {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	ctrl, sub := strings.Index(text, "Node controller (controller):\n"), strings.Index(text, "Node compute1 (subnode; groups [subnode]):\n")
	if ctrl != 0 || sub < 0 || strings.Contains(text[:sub], "barbican") || !strings.Contains(text[sub:], "barbican") || !strings.Contains(text[sub:], "Services, 1 enabled:") {
		t.Errorf("plan text:\n%s", text)
	}

	code, out, errOut := runIn(t, dir, "plan", "--json", "stack.hcl")
	if code != ExitOK {
		t.Fatalf("plan --json: exit %d: %s", code, errOut)
	}
	var doc zuulPlanJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Job != "stack.hcl" || len(doc.Nodes) != 2 || doc.Nodes[0].Name != "controller" || !doc.Nodes[0].Controller ||
		doc.Nodes[1].Name != "compute1" || doc.Nodes[1].Controller || strings.Join(doc.Nodes[1].Groups, ",") != "subnode" {
		t.Fatalf("plan --json: %s", out)
	}
	plugins := func(raw []byte) []string {
		p, err := planfile.Read(strings.NewReader(string(raw)), "plan.json")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, pl := range p.Plugins {
			names = append(names, pl.Name)
		}
		return names
	}
	if got := strings.Join(plugins(doc.Nodes[0].Plan), ","); got != "heat" {
		t.Errorf("controller plugins %q", got)
	}
	if got := strings.Join(plugins(doc.Nodes[1].Plan), ","); got != "heat,barbican" {
		t.Errorf("compute1 plugins %q", got)
	}
	// --node: that node's plan alone, in the plan format.
	code, out, _ = runIn(t, dir, "plan", "--json", "--node", "compute1", "stack.hcl")
	if code != ExitOK || strings.Join(plugins([]byte(out)), ",") != "heat,barbican" {
		t.Errorf("plan --node compute1 --json: exit %d\n%s", code, out)
	}

	code, _, errOut = runIn(t, dir, "export", "ansible", "stack.hcl", "--out", "deploy")
	if code != ExitOK {
		t.Fatalf("export ansible: exit %d: %s", code, errOut)
	}
	var inv struct {
		All struct {
			Children map[string]struct{ Hosts map[string]map[string]string }
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "deploy", "inventory.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &inv); err != nil {
		t.Fatal(err)
	}
	if _, ok := inv.All.Children[ansible.ControllerGroup].Hosts["controller"]; !ok {
		t.Errorf("no controller in %s:\n%s", ansible.ControllerGroup, data)
	}
	if _, ok := inv.All.Children[ansible.SubnodeGroup].Hosts["compute1"]; !ok {
		t.Errorf("no compute1 in %s:\n%s", ansible.SubnodeGroup, data)
	}
	book, err := os.ReadFile(filepath.Join(dir, "deploy", "playbook.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for file, head := range map[string][]byte{"playbook.yml": book, "inventory.yml": data} {
		if want := "# Written by stackplan export ansible for the node blocks of stack.hcl.\n"; !strings.HasPrefix(string(head), want) {
			t.Errorf("%s starts %q, want %q", file, strings.SplitAfter(string(head), "\n")[0], want)
		}
	}
	for node, want := range map[string]string{"controller": "heat", "compute1": "heat,barbican"} {
		tmpl, err := os.ReadFile(filepath.Join(dir, "deploy", "nodes", node, "local.conf.j2"))
		if err != nil {
			t.Fatal(err)
		}
		// The node's local.conf, as Ansible writes it from the template
		// (the nodes of a stack.hcl refer to no address), plans the node.
		conf := strings.ReplaceAll(string(tmpl), "{{ '{' }}", "{")
		if strings.Contains(conf, "{{") {
			t.Errorf("%s: a Jinja expression in the template of a stack.hcl node:\n%s", node, tmpl)
		}
		if err := os.WriteFile(filepath.Join(dir, node+".conf"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, dir, "plan", "--json", node+".conf")
		if code != ExitOK || strings.Join(plugins([]byte(out)), ",") != want {
			t.Errorf("%s local.conf: exit %d %s\n%s", node, code, errOut, conf)
		}
	}

	// An unknown attribute in a node block: hcl-schema with a did-you-mean.
	bad := strings.Replace(twoNodeStack, "groups =", "grups =", 1)
	if err := os.WriteFile(filepath.Join(dir, "bad.stack.hcl"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runIn(t, dir, "plan", "--color", "never", "bad.stack.hcl")
	if code != ExitFindings || !strings.Contains(errOut, "bad.stack.hcl:10:3: error: Unsupported argument [hcl-schema]") || !strings.Contains(errOut, `Did you mean "groups"?`) {
		t.Errorf("unknown attribute in a node block: exit %d\n%s", code, errOut)
	}
}

// lint checks every node of a stack.hcl, not only the controller, and
// reports a finding the nodes share once; apply says it applies the
// controller alone.
func TestLintEveryNodeOfHCL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// A bad URL on the subnode only, and a bad plugin name at the top
	// level, which every node has.
	stack := strings.Replace(twoNodeStack, `url = "https://opendev.org/openstack/barbican"`, `url = "ext::sh -c evil"`, 1)
	stack = strings.Replace(stack, `plugin "heat"`, `plugin "heat!"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "stack.hcl"), []byte(stack), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, dir, "lint", "--format", "compact", "stack.hcl")
	want := []string{
		"stack.hcl:5:8: error: plugin name \"heat!\"",
		"stack.hcl:16:11: error: URL \"ext::sh -c evil\"",
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitFindings || len(lines) != len(want) {
		t.Fatalf("lint: exit %d, want %d and %d findings\n%s%s", code, ExitFindings, len(want), out, errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("finding %d: %s\nwant it to start %s", i+1, lines[i], w)
		}
	}

	stack = strings.Replace(stack, `plugin "heat!"`, `plugin "heat"`, 1)
	stack = strings.Replace(stack, `url = "ext::sh -c evil"`, `url = "https://opendev.org/openstack/barbican"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "stack.hcl"), []byte(stack), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runIn(t, dir, "apply", "--dry-run", "--dest", filepath.Join(dir, "dest"), "stack.hcl")
	if code != ExitOK || !strings.Contains(errOut, "stack.hcl has node blocks: applying the controller's configuration") {
		t.Errorf("apply --dry-run: exit %d\n%s", code, errOut)
	}
}

// convert --to localconf of a stack.hcl with node blocks writes every
// node's local.conf, each under its "# node: NAME" line, as for a Zuul job;
// -o takes one node.
func TestConvertMultiNodeHCL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("stack.hcl", []byte(twoNodeStack), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, dir, "convert", "--to", "localconf", "stack.hcl")
	if code != ExitOK {
		t.Fatalf("convert: exit %d\n%s", code, errOut)
	}
	controller, compute, ok := strings.Cut(out, "\n# node: compute1\n")
	if !ok || !strings.HasPrefix(controller, "# node: controller\n") {
		t.Fatalf("want the controller's local.conf, then compute1's:\n%s", out)
	}
	if !strings.Contains(controller, "enable_plugin heat ") || strings.Contains(controller, "barbican") {
		t.Errorf("the controller's local.conf should enable heat alone:\n%s", controller)
	}
	for _, want := range []string{"enable_plugin heat ", "enable_plugin barbican ", "disable_all_services"} {
		if !strings.Contains(compute, want) {
			t.Errorf("compute1's local.conf lacks %q:\n%s", want, compute)
		}
	}
	if code, _, errOut := runIn(t, dir, "convert", "--to", "localconf", "-o", "x.conf", "stack.hcl"); code != ExitUsage || !strings.Contains(errOut, "name it with --node") {
		t.Errorf("-o of two nodes: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runIn(t, dir, "convert", "--to", "localconf", "--node", "compute1", "-o", "compute1.conf", "stack.hcl"); code != ExitOK {
		t.Fatalf("-o --node compute1: exit %d\n%s", code, errOut)
	}
	conf, err := os.ReadFile("compute1.conf")
	if err != nil || !strings.Contains(string(conf), "enable_plugin barbican ") || strings.Contains(string(conf), "# node:") {
		t.Errorf("compute1.conf: %v\n%s", err, conf)
	}
}
