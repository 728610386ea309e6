package zuul

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/schema"
)

// tempestLike is laid out as tempest's zuul.d is: the master job in
// integrated-gate.yaml, a stable variant of it in stable-jobs.yaml (which a
// directory listing may return first), and a variant for every branch.
var tempestLike = []File{
	{Name: "tempest/zuul.d/stable-jobs.yaml", Bytes: []byte(`
- job:
    name: tempest-full-py3
    branches:
      - stable/2025.1
      - ^unmaintained/.*
    vars:
      devstack_services:
        s-proxy: true
      devstack_localrc:
        USE_PYTHON3: false
`)},
	{Name: "tempest/zuul.d/integrated-gate.yaml", Bytes: []byte(`
- job:
    name: devstack-tempest
    parent: devstack
    vars:
      devstack_services:
        tempest: true
- job:
    name: tempest-full-py3
    parent: devstack-tempest
    vars:
      devstack_services:
        s-proxy: false
        c-bak: true
      devstack_localrc:
        USE_PYTHON3: true
- job:
    name: tempest-full-py3
    vars:
      devstack_localrc:
        EVERY_BRANCH: yes
`)},
	{Name: "devstack/.zuul.yaml", Bytes: []byte(`
- job:
    name: devstack
    parent: openstack-multinode-fips
    vars:
      devstack_services:
        mysql: true
`)},
}

func compileFiles(t *testing.T, files []File, job string, opts Options) []schema.Node {
	t.Helper()
	set, diags := Load(files)
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	nodes, err := set.Compile(job, opts)
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func TestBranchVariantsIndependentOfFileOrder(t *testing.T) {
	master := "disable_all_services\nenable_service mysql\nenable_service tempest\ndisable_service s-proxy\nenable_service c-bak\nEVERY_BRANCH=True\nUSE_PYTHON3=True\n"
	// On a stable branch the stable variant applies last: the services it
	// sets again move after the others.
	stable := "disable_all_services\nenable_service mysql\nenable_service tempest\nenable_service c-bak\nenable_service s-proxy\nEVERY_BRANCH=True\nUSE_PYTHON3=False\n"
	for branch, want := range map[string]string{"": master, "master": master, "stable/2025.1": stable, "unmaintained/zed": stable, "stable/2024.2": master} {
		// Every order of the files gives the same configuration.
		for _, order := range [][]int{{0, 1, 2}, {1, 0, 2}, {2, 1, 0}} {
			var files []File
			for _, i := range order {
				files = append(files, tempestLike[i])
			}
			nodes := compileFiles(t, files, "tempest-full-py3", Options{Branch: branch})
			if got := localrc(nodes[0]); got != want {
				t.Errorf("branch %q, order %v:\n%s\nwant:\n%s", branch, order, got, want)
			}
			if len(nodes[0].Diags) != 0 {
				t.Errorf("branch %q: diagnostics %v", branch, nodes[0].Diags)
			}
		}
	}
}

func TestBranchMatchers(t *testing.T) {
	set, diags := Load([]File{{Name: "z.yaml", Bytes: []byte(`
- job:
    name: only-stable
    branches: ^stable/
    vars: {devstack_localrc: {A: 1}}
- job:
    name: not-stable
    branches:
      regex: ^stable/
      negate: true
    vars: {devstack_localrc: {A: 1}}
- job:
    name: lookahead
    vars: {devstack_localrc: {A: 1}}
- job:
    name: lookahead
    branches: ^(?!stable/).*$
    vars: {devstack_localrc: {A: 2}}
- job:
    name: child-of-stable
    parent: only-stable
`)}})
	if got := rulesAt(diags); !slices.Equal(got, []string{"zuul-variant@z.yaml:17:15"}) {
		t.Errorf("load diagnostics = %v", got)
	}
	if _, err := set.Compile("only-stable", Options{}); err == nil || !strings.Contains(err.Error(), "does not run on branch master") {
		t.Errorf("only-stable on master: %v", err)
	}
	if _, err := set.Compile("only-stable", Options{Branch: "stable/2025.2"}); err != nil {
		t.Error(err)
	}
	if _, err := set.Compile("not-stable", Options{Branch: "stable/2025.2"}); err == nil {
		t.Error("a negated matcher matched")
	}
	if nodes, err := set.Compile("not-stable", Options{}); err != nil || localrc(nodes[0]) != "A=1\n" {
		t.Errorf("not-stable on master: %v", err)
	}
	// The variant RE2 refuses matches nothing: A stays 1.
	if nodes, err := set.Compile("lookahead", Options{}); err != nil || localrc(nodes[0]) != "A=1\n" {
		t.Errorf("lookahead: %v %v", err, nodes)
	}
	nodes, err := set.Compile("child-of-stable", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesAt(nodes[0].Diags); !slices.Equal(got, []string{"zuul-variant@z.yaml:21:13"}) || !nodes[0].Diags.HasErrors() {
		t.Errorf("a parent with no variant for master: %v", nodes[0].Diags)
	}
}

func TestMissingParentNamesRepository(t *testing.T) {
	files := []File{{Name: "project/.zuul.yaml", Bytes: []byte(`
- job:
    name: my-job
    parent: devstack-tempest
    vars: {devstack_localrc: {A: 1}}
- job:
    name: my-other-job
    parent: our-private-base
    vars: {devstack_localrc: {A: 1}}
`)}}
	nodes := compileFiles(t, files, "my-job", Options{})
	if len(nodes[0].Diags) != 1 || nodes[0].Diags[0].Severity != hcl.DiagError ||
		!strings.Contains(nodes[0].Diags[0].Summary, "devstack-tempest") || !strings.Contains(nodes[0].Diags[0].Detail, "openstack/tempest") {
		t.Errorf("diagnostics = %v", nodes[0].Diags)
	}
	nodes = compileFiles(t, files, "my-other-job", Options{})
	if got := rulesAt(nodes[0].Diags); !slices.Equal(got, []string{"zuul-parent@project/.zuul.yaml:8:13"}) ||
		!strings.Contains(nodes[0].Diags[0].Detail, "--bare-parent our-private-base") {
		t.Errorf("diagnostics = %v", nodes[0].Diags)
	}
	nodes = compileFiles(t, files, "my-other-job", Options{BareParents: []string{"our-private-base"}})
	if len(nodes[0].Diags) != 0 {
		t.Errorf("a parent declared bare: %v", nodes[0].Diags)
	}
	for job, repo := range map[string]string{"devstack": "openstack/devstack", "devstack-platform-centos-9-stream": "openstack/devstack",
		"devstack-tempest-ipv6": "openstack/tempest", "tempest-full-py3": "openstack/tempest", "grenade-multinode": "openstack/grenade",
		"openstack-multinode-fips": "openstack/openstack-zuul-jobs", "my-job": ""} {
		if got := RepositoryOf(job); got != repo {
			t.Errorf("RepositoryOf(%s) = %q, want %q", job, got, repo)
		}
	}
}

// Current Zuul builds a child's variables from the parent's keys the child
// does not set, then the child's keys in its order: services and config
// sections it overrides move to its position.
func TestChildOverrideTakesChildPosition(t *testing.T) {
	nodes := compileJob(t, "child", `
- job:
    name: parent
    vars:
      devstack_services:
        a: true
        b: true
        c: true
      devstack_local_conf:
        post-config:
          /etc/one.conf: {s: {k: "1"}}
          /etc/two.conf: {s: {k: "2"}}
- job:
    name: child
    parent: parent
    vars:
      devstack_services:
        d: true
        a: false
      devstack_local_conf:
        post-config:
          /etc/one.conf: {s: {k: "3"}}
`)
	if got := localrc(nodes[0]); got != "disable_all_services\nenable_service b\nenable_service c\nenable_service d\ndisable_service a\n" {
		t.Errorf("localrc:\n%s", got)
	}
	if i, j := strings.Index(nodes[0].LocalConf, "/etc/two.conf"), strings.Index(nodes[0].LocalConf, "/etc/one.conf"); i < 0 || j < i {
		t.Errorf("the child's config file is not last:\n%s", nodes[0].LocalConf)
	}
}

func TestYAML11NumbersAsZuulReadsThem(t *testing.T) {
	nodes := compileJob(t, "j", `
- job:
    name: j
    vars:
      devstack_localrc:
        MODE: 0755
        TIMEOUT: 1:30
        HEX: 0x1F
        BIG: 1_000
        VERSION: 3.10
        SCI: 1e5
        OCT12: 0o755
        QUOTED: '0755'
        PLAIN: 42
        HALF: .5
        NEG: -010
`)
	want := "BIG=1000\nHALF=0.5\nHEX=31\nMODE=493\nNEG=-8\nOCT12=0o755\nPLAIN=42\nQUOTED=0755\nSCI=1e5\nTIMEOUT=90\nVERSION=3.1\n"
	if got := localrc(nodes[0]); got != want {
		t.Errorf("localrc:\n%s\nwant:\n%s", got, want)
	}
	var warned []string
	for _, d := range nodes[0].Diags {
		warned = append(warned, strings.Fields(d.Summary)[0])
	}
	slices.Sort(warned)
	if !slices.Equal(warned, []string{"BIG", "HALF", "HEX", "MODE", "NEG", "TIMEOUT", "VERSION"}) {
		t.Errorf("warned for %v", warned)
	}
	for in, want := range map[string]string{"1e+16": "1e+16", "1.0e+15": "1000000000000000.0", "0.0001": "0.0001", "1.0e-5": "1e-05", "-.inf": "-inf", "190:20:30.15": "685230.15", "1.": "1.0"} {
		if got := pythonFloat(in); got != want {
			t.Errorf("pythonFloat(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"0b1010": "10", "-0x_ff": "-255", "190:20:30": "685230", "0": "0", "+0755": "493", "99999999999999999999": "99999999999999999999"} {
		if got := pythonInt(in); got != want {
			t.Errorf("pythonInt(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestAddressExpressions(t *testing.T) {
	nodes := []string{"controller", "compute1"}
	for expr, want := range map[string]string{
		"{{ hostvars['controller']['nodepool']['private_ipv4'] }}":        "[controller]",
		`{{hostvars["compute1"]["nodepool"]["public_ipv4"]}}`:             "[compute1]",
		"{{ hostvars.controller.nodepool.private_ipv6 }}":                 "[controller]",
		"{{ hostvars[inventory_hostname]['nodepool']['private_ipv4'] }}":  "[compute1]",
		"{{ nodepool.private_ipv4 }}":                                     "[compute1]",
		"{{ ansible_host }}":                                              "[compute1]",
		"{{ hostvars['controller']['ansible_host'] }}:9292":               "[controller :9292]",
		"http://{{ hostvars['controller']['nodepool']['private_ipv4'] }}": "[http:// controller]",
		"{{ hostvars['other']['nodepool']['private_ipv4'] }}":             "",
		"{{ hostvars['controller']['nodepool']['private_ipv4'] | x }}":    "",
		"{{ lookup('pipe', 'id') }}":                                      "",
		"{{ ansible_host }}{{ lookup('pipe', 'id') }}":                    "",
		"{% if x %}{{ ansible_host }}{% endif %}":                         "",
		"{{{ ansible_host }}}":                                            "",
		"no expression":                                                   "",
	} {
		parts, ok := addressParts(expr, "compute1", nodes)
		var got []string
		for _, p := range parts {
			got = append(got, p.Literal+p.Node)
		}
		if s := ""; ok {
			s = "[" + strings.Join(got, " ") + "]"
			if s != want {
				t.Errorf("%s: %s, want %s", expr, s, want)
			}
		} else if want != "" {
			t.Errorf("%s: not an address, want %s", expr, want)
		}
	}
}

// INI lines of devstack_local_conf point at the YAML line they come from,
// in every section.
func TestINIPositions(t *testing.T) {
	nodes := compileJob(t, "j", `- job:
    name: j
    vars:
      devstack_local_conf:
        post-config:
          $NOVA_CONF:
            DEFAULT:
              debug: true
              a: $(id)
            other:
              b: ok
              c: $(id)
`)
	_, diags := compiler.Compile(nodes[0].Config, nodes[0].Diags, compiler.Options{})
	var lines []int
	for _, d := range diags {
		if schema.RuleOf(d) == schema.RuleNotEvaluated.ID {
			lines = append(lines, d.Subject.Start.Line)
		}
	}
	if !slices.Equal(lines, []int{9, 12}) {
		t.Errorf("not-evaluated at lines %v, want [9 12]: %v", lines, diags)
	}
}

// A secret written as a YAML 1.1 number is reported without its value,
// neither as written nor as read.
func TestYAML11NumberOfSecretNotShown(t *testing.T) {
	nodes := compileJob(t, "j", `
- job:
    name: j
    vars:
      devstack_localrc:
        ADMIN_PASSWORD: 012345
      devstack_local_conf:
        post-config:
          /etc/x.conf:
            DEFAULT:
              db_password: 1:23:45
`)
	if len(nodes[0].Diags) != 2 {
		t.Fatalf("diagnostics = %v", nodes[0].Diags)
	}
	for _, d := range nodes[0].Diags {
		if text := d.Summary + d.Detail; strings.Contains(text, "12345") || strings.Contains(text, "5349") || strings.Contains(text, "1:23:45") || strings.Contains(text, "5025") {
			t.Errorf("a secret in %q", text)
		}
	}
}
