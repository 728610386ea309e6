package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/plan"
)

var convertZuulJob = twoNodes("pair") + `
- job:
    name: pair-job
    nodeset: pair
    vars:
      devstack_localrc:
        ADMIN_PASSWORD: secret
        GIT_BASE: https://opendev.org
        LOGFILE: $DEST/logs/stack.sh.log
        MSG: say "hi"
      devstack_services:
        tempest: false
        n-cpu: true
      devstack_plugins:
        heat: https://opendev.org/openstack/heat
        barbican: https://opendev.org/openstack/barbican
      devstack_local_conf:
        post-config:
          $NOVA_CONF:
            DEFAULT:
              debug: true
            libvirt:
              cpu_mode: host-passthrough
        test-config:
          $TEMPEST_CONFIG:
            compute:
              min_compute_nodes: 2
    group-vars:
      subnode:
        devstack_localrc:
          DATABASE_TYPE: mysql
          SERVICE_HOST: 10.0.0.1
        devstack_services:
          n-cpu: true
          n-api: false
        devstack_plugins:
          heat: https://opendev.org/openstack/heat

- job:
    name: single
    vars:
      devstack_localrc:
        DEBUG: "True"
`

// equivalenceIn compiles in this process, as the commands do, so that the
// plan keeps the INI fragments a plan file leaves out, and returns what
// equivalent configurations agree on (docs/hcl.md, "Equivalence").
func equivalenceIn(t *testing.T, dir string, compile func(c *Command, opts localconf.Options) (*plan.Plan, error)) (*plan.Plan, convert.Equivalence) {
	t.Helper()
	c := &Command{Stdout: io.Discard, Stderr: io.Discard, Getwd: func() (string, error) { return dir, nil }}
	p, err := compile(c, localconf.Options{Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := convert.EquivalenceOf(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, e
}

// TestConvertFromZuul converts each node of a two-node Zuul job to
// local.conf and to stack.hcl, and checks that both compile to the plan
// the job's node compiles to.
func TestConvertFromZuul(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, "zuul.yaml"), []byte(convertZuulJob), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{"controller", "compute1"} {
		t.Run(node, func(t *testing.T) {
			code, want, errOut := runIn(t, dir, "plan", "--json", "--zuul", "zuul.yaml", "--job", "pair-job", "--node", node)
			if code != ExitOK {
				t.Fatalf("plan --zuul: exit %d: %s", code, errOut)
			}
			wantPlan, wantEq := equivalenceIn(t, dir, func(c *Command, opts localconf.Options) (*plan.Plan, error) {
				j, err := c.newCompilation(nil, nil, false).compileZuul(zuulFlags{files: []string{"zuul.yaml"}, job: "pair-job", node: node}, opts)
				if err != nil {
					return nil, err
				}
				return j.Nodes[0].Plan, nil
			})
			if len(wantEq.Merges) == 0 {
				t.Fatalf("the node merges no INI file: the fixture does not test merges\n%s", want)
			}
			if len(wantPlan.Plugins) == 0 {
				t.Fatalf("the node has no plugins: the fixture tests nothing\n%s", want)
			}
			for _, to := range []string{"localconf", "hcl"} {
				name := node + ".local.conf"
				if to == "hcl" {
					name = node + ".stack.hcl"
				}
				code, text, errOut := runIn(t, dir, "convert", "--from", "zuul", "--zuul", "zuul.yaml", "--job", "pair-job", "--node", node, "--to", to)
				if code != ExitOK {
					t.Fatalf("convert --to %s: exit %d: %s", to, code, errOut)
				}
				if strings.Contains(text, "# node:") {
					t.Errorf("convert --node %s --to %s writes a node header:\n%s", node, to, text)
				}
				if to == "hcl" && (!strings.Contains(text, "plugin \"heat\"") || strings.Contains(text, "[[local|localrc]]")) {
					t.Errorf("convert --to hcl did not write stack.hcl:\n%s", text)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				if code, _, errOut := runIn(t, dir, "plan", "--json", name); code != ExitOK {
					t.Fatalf("plan %s: exit %d: %s\n%s", name, code, errOut, text)
				}
				_, gotEq := equivalenceIn(t, dir, func(c *Command, opts localconf.Options) (*plan.Plan, error) {
					res, err := c.newCompilation(nil, nil, false).compileFile(filepath.Join(dir, name), opts)
					if err != nil {
						return nil, err
					}
					return res.plan, nil
				})
				if diff := cmp.Diff(string(wantEq.Plan), string(gotEq.Plan)); diff != "" {
					t.Errorf("%s plans differently from the Zuul node (-zuul +%s):\n%s\n--- %s:\n%s", name, to, diff, name, text)
				}
				if diff := cmp.Diff(wantEq.Merges, gotEq.Merges); diff != "" {
					t.Errorf("%s merges other INI lines (-zuul +%s):\n%s", name, to, diff)
				}
			}
		})
	}

	t.Run("all nodes", func(t *testing.T) {
		code, out, errOut := runIn(t, dir, "convert", "--from", "zuul", "--zuul", "zuul.yaml", "--job", "pair-job", "--to", "hcl")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		ctrl := strings.Index(out, "# node: controller\n")
		sub := strings.Index(out, "# node: compute1\n")
		if ctrl != 0 || sub < ctrl {
			t.Errorf("want the controller's section first, then compute1's:\n%s", out)
		}
		_, alone, _ := runIn(t, dir, "convert", "--from", "zuul", "--zuul", "zuul.yaml", "--job", "pair-job", "--node", "compute1", "--to", "hcl")
		if !strings.HasSuffix(out, "# node: compute1\n"+alone) {
			t.Errorf("the compute1 section is not its --node output:\n%s\n--- alone:\n%s", out, alone)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"--to", "hcl", "-o", "x.hcl"},    // -o with two nodes
			{"--to", "hcl", "--node", "nope"}, // unknown node
			{"--to", "yaml", "--node", "compute1"},
		} {
			all := append([]string{"convert", "--from", "zuul", "--zuul", "zuul.yaml", "--job", "pair-job"}, args...)
			if code, _, errOut := runIn(t, dir, all...); code != ExitUsage {
				t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, errOut)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "x.hcl")); err == nil {
			t.Error("-o with two nodes wrote a file")
		}
		// One node: -o writes it, without a header.
		if code, _, errOut := runIn(t, dir, "convert", "--from", "zuul", "--zuul", "zuul.yaml", "--job", "single", "--to", "localconf", "-o", "single.conf"); code != ExitOK {
			t.Fatalf("-o with one node: exit %d: %s", code, errOut)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "single.conf"))
		if !strings.HasPrefix(string(data), "[[local|localrc]]") || !strings.Contains(string(data), "DEBUG=") {
			t.Errorf("single.conf:\n%s", data)
		}
	})
}
