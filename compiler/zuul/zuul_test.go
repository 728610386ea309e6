package zuul

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

func compileJob(t *testing.T, job string, files ...string) []schema.Node {
	t.Helper()
	var in []File
	for i, f := range files {
		in = append(in, File{Name: fmt.Sprintf("f%d.yaml", i+1), Bytes: []byte(f)})
	}
	set, diags := Load(in)
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	nodes, err := set.Compile(job, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// localrc is the generated localrc of a node, without the header.
func localrc(n schema.Node) string {
	return n.Config.Localrc[0].Text
}

func rulesAt(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%s@%s:%d:%d", schema.RuleOf(d), d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column))
	}
	slices.Sort(out)
	return out
}

func TestLocalrcLayoutAndValues(t *testing.T) {
	nodes := compileJob(t, "child", `
- job:
    name: base-job
    parent: null
    required-projects:
      - opendev.org/openstack/devstack
    vars:
      devstack_localrc:
        VERSION: 3.10
        RATIO: 8.0
        COUNT: 08
        FLAG: yes
        NOTHING: null
        MSG: say "hi"
        PRE: '"already quoted"'
        PATHS: $DEST/x
      devstack_services:
        base: false
        n-cpu: true
        horizon: false
      devstack_plugins:
        zeta: https://opendev.org/x/zeta
        alpha: https://opendev.org/x/alpha
`, `
- job:
    name: child
    parent: base-job
    vars:
      devstack_localrc:
        RATIO: 9.0
      devstack_plugins:
        zeta: ''
        beta: https://opendev.org/x/beta
`)
	if len(nodes) != 1 || nodes[0].Name != "controller" || !nodes[0].Controller {
		t.Fatalf("nodes = %+v", nodes)
	}
	want := `disable_all_services
enable_service n-cpu
disable_service horizon
COUNT=08
FLAG=True
MSG='say "hi"'
NOTHING=None
PATHS="$DEST/x"
PRE="already quoted"
RATIO=9.0
VERSION=3.1
LIBS_FROM_GIT=devstack
enable_plugin alpha https://opendev.org/x/alpha
enable_plugin beta https://opendev.org/x/beta
`
	if got := localrc(nodes[0]); got != want {
		t.Errorf("localrc:\n%s\nwant:\n%s", got, want)
	}
	cfg := nodes[0].Config
	vals := map[string]string{}
	for _, a := range cfg.Assignments {
		vals[a.Name] = a.Value.String()
	}
	for name, v := range map[string]string{"MSG": `say "hi"`, "RATIO": "9.0", "VERSION": "3.1", "PRE": "already quoted", "PATHS": "/opt/stack/x"} {
		if vals[name] != v {
			t.Errorf("%s = %q, want %q", name, vals[name], v)
		}
	}
	if got := rulesAt(nodes[0].Diags); !slices.Equal(got, []string{"zuul-value@f1.yaml:14:14", "zuul-value@f1.yaml:9:18"}) {
		t.Errorf("diagnostics = %v", got)
	}
	// Plugin values point at the YAML, in the file that set them.
	if len(cfg.Plugins) != 2 {
		t.Fatalf("plugins = %+v", cfg.Plugins)
	}
	if r := cfg.Plugins[1].URL.Range; r.Filename != "f2.yaml" || r.Start.Line != 10 || r.Start.Column != 15 || r.End.Column != 41 {
		t.Errorf("beta URL range = %s", r)
	}
	if r := cfg.Plugins[0].Name.Range; r.Filename != "f1.yaml" || r.Start.Line != 23 || r.Start.Column != 9 {
		t.Errorf("alpha name range = %s", r)
	}
}

// The quoting must give back exactly the YAML value when bash sources it.
func TestQuotingRoundTripsThroughBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	values := []string{`a"b`, `a\"b`, `it's`, "tab\there", `back\slash`, `end\`, "$HOME", "`x`", "a b  c", "", "*", "new\nline", `"`, `\\"`}
	var b strings.Builder
	b.WriteString("- job:\n    name: q\n    vars:\n      devstack_localrc:\n")
	for i, v := range values {
		fmt.Fprintf(&b, "        V%02d: %q\n", i, v)
	}
	nodes := compileJob(t, "q", b.String())
	script := localrc(nodes[0]) + "\n"
	for i := range values {
		script += fmt.Sprintf("printf '%%s\\0' \"$V%02d\"\n", i)
	}
	cmd := exec.Command("bash", "-c", "HOME=/h; x(){ :; }\n"+script)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, script)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i, v := range values {
		want := v
		// Values holding $, ` or \ keep the meaning the role gives them:
		// a double-quoted bash string, where \" and \\ are escapes.
		switch v {
		case "$HOME":
			want = "/h"
		case "`x`":
			want = ""
		case `a\"b`:
			want = `a"b`
		case `\\"`:
			want = `\"`
		}
		if i >= len(got) || got[i] != want {
			t.Errorf("V%02d: bash read %q, want %q\nlocalrc:\n%s", i, got[min(i, len(got)-1)], want, script)
		}
	}
}

func TestTransitiveVariableOrder(t *testing.T) {
	// The role writes Y, Z, X (docs/devstack.md §7.2), so Y expands an
	// empty $Z.
	nodes := compileJob(t, "j", `
- job:
    name: j
    vars:
      devstack_localrc:
        X: $Y/x
        Y: ${Z}/y
        Z: z
`)
	if got := localrc(nodes[0]); got != "Z=z\nY=\"${Z}/y\"\nX=\"$Y/x\"\n" {
		t.Errorf("localrc = %q", got)
	}
	for _, a := range nodes[0].Config.Assignments {
		if a.Name == "X" && a.Value.String() != "z/y/x" {
			t.Errorf("X = %q", a.Value.String())
		}
	}
}

func TestVariableCycle(t *testing.T) {
	nodes := compileJob(t, "j", `
- job:
    name: j
    vars:
      devstack_localrc:
        A: $B
        B: $A
`)
	if got := rulesAt(nodes[0].Diags); !slices.Equal(got, []string{"zuul-var-cycle@f1.yaml:6:9"}) {
		t.Errorf("diagnostics = %v", got)
	}
}

func TestJinjaIsUnknownAndPointsAtYAML(t *testing.T) {
	nodes := compileJob(t, "j", `
- job:
    name: j
    vars:
      devstack_localrc:
        HOST_IP: "{{ ansible_host }}"
      devstack_plugins:
        foo: "https://{{ git_host }}/foo"
`)
	cfg := nodes[0].Config
	if got := rulesAt(nodes[0].Diags); !slices.Equal(got, []string{"zuul-jinja@f1.yaml:6:18", "zuul-jinja@f1.yaml:8:14"}) {
		t.Errorf("diagnostics = %v", got)
	}
	if len(cfg.Plugins) != 1 || cfg.Plugins[0].URL.Known() {
		t.Fatalf("plugins = %+v", cfg.Plugins)
	}
	if u := cfg.Plugins[0].URL; !strings.Contains(u.Why, "Jinja") || u.Range.Start.Line != 8 {
		t.Errorf("URL = %+v", u)
	}
	for _, a := range cfg.Assignments {
		if a.Name == "HOST_IP" && a.Value.Known() {
			t.Errorf("HOST_IP is known: %q", a.Value.String())
		}
	}
}

func TestNodesGroupVarsReplaceTopLevel(t *testing.T) {
	nodes := compileJob(t, "multi", `
- nodeset:
    name: two
    nodes:
      - name: compute1
        label: l
      - name: controller
        label: l
    groups:
      - name: subnode
        nodes: [compute1]
- job:
    name: multi
    nodeset: two
    vars:
      devstack_localrc: &common
        A: a
        B: b
      devstack_plugins:
        p: https://example.com/p
    group-vars:
      subnode:
        devstack_localrc:
          <<: *common
          B: sub
    host-vars:
      controller:
        devstack_localrc:
          C: c
`)
	if len(nodes) != 2 || nodes[0].Name != "controller" || nodes[1].Name != "compute1" || !slices.Equal(nodes[1].Groups, []string{"subnode"}) {
		t.Fatalf("nodes = %v %v", nodes[0].Name, nodes[1].Name)
	}
	if got := localrc(nodes[0]); got != "C=c\nenable_plugin p https://example.com/p\n" {
		t.Errorf("controller localrc = %q", got)
	}
	if got := localrc(nodes[1]); got != "A=a\nB=sub\nenable_plugin p https://example.com/p\n" {
		t.Errorf("subnode localrc = %q", got)
	}
}

func TestTagsAndLocalConf(t *testing.T) {
	nodes := compileJob(t, "j", `
- secret:
    name: s
    data:
      password: !encrypted/pkcs1-oaep
        - abc
- job:
    name: j
    files: !inherit
      - ^x$
    vars:
      devstack_local_conf:
        post-config:
          $NOVA_CONF:
            DEFAULT:
              debug: true
              ratio: 1.50
        post-install:
          /etc/x.conf:
            a:
              b: c
`)
	n := nodes[0]
	if !strings.Contains(n.LocalConf, "[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\nratio = 1.5\n") {
		t.Errorf("local.conf:\n%s", n.LocalConf)
	}
	if len(n.Config.Sections) != 1 || n.Config.Sections[0].File != "$NOVA_CONF" || n.Config.Sections[0].Header.Start.Line != 14 {
		t.Errorf("sections = %+v", n.Config.Sections)
	}
	if got := rulesAt(n.Diags); !slices.Equal(got, []string{"unknown-section@f1.yaml:18:9", "zuul-value@f1.yaml:17:22"}) {
		t.Errorf("diagnostics = %v", got)
	}
}

func TestLoadErrorsAndParents(t *testing.T) {
	set, diags := Load([]File{{Name: "bad.yaml", Bytes: []byte("- job:\n    name: [\n")}, {Name: "ok.yaml", Bytes: []byte(`
- job:
    name: a
    parent: missing
    vars: {devstack_localrc: {X: 1}}
- job:
    name: b
    parent: c
- job:
    name: c
    parent: b
- job:
    name: a
`)}})
	if got := rulesAt(diags); len(got) != 1 || !strings.HasPrefix(got[0], "zuul-yaml@bad.yaml:") {
		t.Errorf("load diagnostics = %v", got)
	}
	nodes, err := set.Compile("a", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesAt(nodes[0].Diags); !slices.Equal(got, []string{"zuul-parent@ok.yaml:4:13"}) || !nodes[0].Diags.HasErrors() {
		t.Errorf("diagnostics = %v", got)
	}
	nodes, err = set.Compile("b", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !nodes[0].Diags.HasErrors() {
		t.Errorf("parent cycle not an error: %v", nodes[0].Diags)
	}
	if _, err := set.Compile("nope", Options{}); err == nil {
		t.Error("a missing job compiled")
	}
}

// TestRoleOutputFileRuns checks the generated local.conf by DevStack's
// own reading: the localrc section sources in bash without error.
func TestGeneratedLocalConfSources(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	nodes := compileJob(t, "j", `
- job:
    name: j
    vars:
      devstack_localrc:
        A: "{{ x }}"
        B: 'quote " inside'
      devstack_plugins:
        p: https://example.com/p
`)
	dir := t.TempDir()
	script := "enable_plugin(){ echo \"plugin $1 $2\"; }\n" + localrc(nodes[0]) + "echo \"A=[$A] B=[$B]\"\n"
	if err := os.WriteFile(filepath.Join(dir, "s.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-e", filepath.Join(dir, "s.sh")).CombinedOutput()
	if err != nil || string(out) != "plugin p https://example.com/p\nA=[] B=[quote \" inside]\n" {
		t.Errorf("bash: %v\n%s", err, out)
	}
}
