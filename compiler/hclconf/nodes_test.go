package hclconf

import (
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

const twoNodes = `# shared
localrc {
  SERVICE_HOST = "10.0.0.1"
}

node "compute1" {
  groups = ["subnode", "compute", "subnode"]
  # compute1 only
  localrc {
    SERVICE_HOST = "10.0.0.2"
  }
  services {
    disable_all = true
    enable      = ["n-cpu"]
  }
}

plugin "heat" {
  url = "https://opendev.org/openstack/heat"
}
`

func localrcText(c *schema.Config) string {
	var b strings.Builder
	for _, s := range c.Localrc {
		b.WriteString(s.Text + "\n")
	}
	return b.String()
}

// TestParseNodes: the top level alone is the controller; a node's blocks
// come after every top-level block, wherever the node block is written;
// a node's comments stay in it.
func TestParseNodes(t *testing.T) {
	nodes, diags := ParseNodes("stack.hcl", []byte(twoNodes), localconf.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(nodes) != 2 || nodes[0].Name != "controller" || !nodes[0].Controller || nodes[1].Name != "compute1" || nodes[1].Controller {
		t.Fatalf("nodes: %+v", nodes)
	}
	if g := strings.Join(nodes[1].Groups, ","); g != "compute,subnode" || len(nodes[0].Groups) != 0 {
		t.Errorf("groups: controller %v, compute1 %q", nodes[0].Groups, g)
	}
	for _, n := range nodes {
		if n.Diags.HasErrors() {
			t.Errorf("%s: %v", n.Name, n.Diags)
		}
	}
	ctrl, sub := localrcText(nodes[0].Config), localrcText(nodes[1].Config)
	want := "# shared\nSERVICE_HOST=10.0.0.1\nenable_plugin heat https://opendev.org/openstack/heat\n"
	if ctrl != want {
		t.Errorf("controller localrc:\n%s\nwant:\n%s", ctrl, want)
	}
	want += "# compute1 only\nSERVICE_HOST=10.0.0.2\ndisable_all_services\nenable_service n-cpu\n"
	if sub != want {
		t.Errorf("compute1 localrc:\n%s\nwant:\n%s", sub, want)
	}
	// Parse is the controller; with a node "controller" block, it too.
	cfg, _ := Parse("stack.hcl", []byte(twoNodes), localconf.Options{})
	if got := localrcText(cfg); got != ctrl {
		t.Errorf("Parse:\n%s\nwant the controller's:\n%s", got, ctrl)
	}
	withCtrl := twoNodes + "node \"controller\" {\n  groups = [\"head\"]\n  localrc {\n    DEBUG = \"1\"\n  }\n}\n"
	nodes, _ = ParseNodes("stack.hcl", []byte(withCtrl), localconf.Options{})
	if len(nodes) != 2 || nodes[0].Name != "controller" || strings.Join(nodes[0].Groups, ",") != "head" || !strings.HasSuffix(localrcText(nodes[0].Config), "DEBUG=1\n") {
		t.Errorf("with a controller block: %+v\n%s", nodes, localrcText(nodes[0].Config))
	}
	cfg, _ = Parse("stack.hcl", []byte(withCtrl), localconf.Options{})
	if !strings.HasSuffix(localrcText(cfg), "DEBUG=1\n") {
		t.Errorf("Parse ignores node \"controller\":\n%s", localrcText(cfg))
	}
}

func TestParseNodesDiagnostics(t *testing.T) {
	src := "node \"c1\" {\n  group = [\"subnode\"]\n  localrc {\n    A = \"1\"\n  }\n}\nnode \"c1\" {}\nnode \"a/b\" {}\n"
	nodes, diags := ParseNodes("stack.hcl", []byte(src), localconf.Options{})
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	if len(got) != 2 || !strings.Contains(got[0], "declared twice") || !strings.Contains(got[1], `"a/b"`) {
		t.Errorf("node diagnostics: %q", got)
	}
	if len(nodes) != 2 || nodes[1].Name != "c1" {
		t.Fatalf("nodes: %+v", nodes)
	}
	found := false
	for _, d := range nodes[1].Diags {
		if schema.RuleOf(d) == schema.RuleHCLSchema.ID && d.Subject.Start.Line == 2 && strings.Contains(d.Detail, `Did you mean "groups"?`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no did-you-mean for group in a node block: %v", nodes[1].Diags)
	}
	if !strings.Contains(localrcText(nodes[1].Config), "A=1") {
		t.Errorf("the node's blocks were not decoded: %s", localrcText(nodes[1].Config))
	}
}
