package compiler_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema/schematest"
)

const devstackDir = "../../shared/devstack"

// compileWithDevstack compiles a local.conf with the real DevStack's stackrc.
func compileWithDevstack(t *testing.T, localrc string) *plan.Plan {
	t.Helper()
	stackrc, err := os.ReadFile(filepath.Join(devstackDir, "stackrc"))
	if err != nil {
		t.Skipf("skipped: no DevStack tree at %s (%v): run from a checkout with ../shared beside it", devstackDir, err)
	}
	opts := localconf.Options{Stackrc: &localconf.Fragment{Name: "stackrc", Src: stackrc}}
	// HOST_IP: a localrc step whose section is empty has no source range.
	cfg, front := localconf.Parse("local.conf", []byte("[[local|localrc]]\nHOST_IP=10.0.0.1\n"+localrc), opts)
	p, diags := compiler.Compile(cfg, front, compiler.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// bashStackrc is what bash gives the variables when it runs localrc and
// then the assignments of the real stackrc (their lines only: the rest of
// stackrc runs commands and reads the machine).
func bashStackrc(t *testing.T, localrc string, names []string) map[string]string {
	t.Helper()
	script := fmt.Sprintf(`set -u
TARGET_BRANCH=master BRANCHLESS_TARGET_BRANCH=master
%s
eval "$(grep -E '^(GIT_BASE|TARGET_BRANCH|BRANCHLESS_TARGET_BRANCH|[A-Z][A-Z0-9_]*_(REPO|BRANCH))=' %s/stackrc)"
for v in %s; do printf '%%s=%%s\n' "$v" "${!v}"; done
`, localrc, devstackDir, strings.Join(names, " "))
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	vals := map[string]string{}
	for l := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		vals[k] = v
	}
	return vals
}

// bashClones runs DevStack's own is_service_enabled and is_NAME_enabled
// functions (from the real tree) on the service lists, with the
// conditions under which stack.sh and extras.d install each project, and
// lists the projects stack.sh would clone.
func bashClones(t *testing.T, enabled, disabled string) []string {
	t.Helper()
	script := fmt.Sprintf(`
D=%s
source <(sed -n '/^function is_service_enabled {/,/^}/p' $D/functions-common)
for f in keystone nova glance cinder neutron swift placement; do
    source <(sed -n '/^function is_[a-z]*_enabled {/,/^}/p' $D/lib/$f)
done
ENABLED_SERVICES=%q DISABLED_SERVICES=%q
out=requirements
is_service_enabled keystone && out+=" keystone"
is_service_enabled swift && out+=" swift"
is_service_enabled g-api n-api && out+=" glance"
is_service_enabled cinder && out+=" cinder"
is_service_enabled neutron && out+=" neutron"
is_service_enabled nova && out+=" nova"
is_service_enabled placement && out+=" placement"
is_service_enabled horizon && out+=" horizon"
is_service_enabled tempest && out+=" tempest"
echo $out
`, devstackDir, enabled, disabled)
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// The plan's DevStack projects are those DevStack's own functions say
// stack.sh clones for the services, at the URL and branch bash gives them
// from the real stackrc after localrc.
func TestDevstackProjectsMatchDevstack(t *testing.T) {
	cases := []struct{ name, localrc string }{
		{"defaults", ""},
		{"stable nova from a mirror", "GIT_BASE=https://mirror.example.org\nNOVA_BRANCH=stable/2024.1\nKEYSTONE_REPO=file:///srv/keystone\n"},
		{"keystone disabled, swift and horizon on", "disable_service key\nenable_service s-proxy s-object horizon\n"},
		{"nova disabled by name", "disable_service nova\n"},
		{"no glance, no cinder", "disable_service g-api c-sch c-api c-vol\nENABLED_SERVICES+=,neutron-api\n"},
		{"a few services", "ENABLED_SERVICES=key,placement-api,q-svc,tempest\n"},
		{"keystone given by name after key went", "disable_service key\nenable_service keystone\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := compileWithDevstack(t, c.localrc)
			var got []string
			for _, pr := range p.Projects {
				got = append(got, pr.Name)
			}
			want := bashClones(t, strings.Join(p.Services.Enabled, ","), strings.Join(p.Services.Disabled, ","))
			if c.name == "defaults" && strings.Join(want, " ") != "requirements keystone glance cinder neutron nova placement horizon tempest" {
				t.Fatalf("DevStack's defaults clone %v", want)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("projects %v, DevStack clones %v (services %v, disabled %v)", got, want, p.Services.Enabled, p.Services.Disabled)
			}
			var names []string
			for _, pr := range p.Projects {
				up := strings.ToUpper(pr.Name)
				names = append(names, up+"_REPO", up+"_BRANCH")
			}
			vals := bashStackrc(t, c.localrc, names)
			for _, pr := range p.Projects {
				up := strings.ToUpper(pr.Name)
				if pr.URL != vals[up+"_REPO"] || pr.Ref != vals[up+"_BRANCH"] {
					t.Errorf("%s at %s %s, bash says %s %s", pr.Name, pr.URL, pr.Ref, vals[up+"_REPO"], vals[up+"_BRANCH"])
				}
				if pr.Dir != "/opt/stack/"+pr.Name || pr.FullHistory != (pr.Name == "requirements") {
					t.Errorf("%s: dir %s, full history %v", pr.Name, pr.Dir, pr.FullHistory)
				}
			}
			steps := 0
			for _, s := range p.Steps {
				if s.Project != "" {
					steps++
					if s.Kind != plan.KindClone || s.ID != "stack:clone:project:"+s.Project {
						t.Errorf("step %+v", s)
					}
				}
			}
			if steps != len(p.Projects) {
				t.Errorf("%d project clone steps for %d projects", steps, len(p.Projects))
			}
			if err := p.Validate(); err != nil {
				t.Error(err)
			}
			data, err := planfile.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := schematest.ValidatePlanJSON(data); err != nil {
				t.Errorf("the plan fails the schema: %v", err)
			}
		})
	}
}

// A plugin checked out where a project would go (enable_plugin neutron)
// is cloned once, as the plugin; without stackrc there are no projects.
func TestDevstackProjectsYieldToPlugins(t *testing.T) {
	p := compileWithDevstack(t, "enable_plugin neutron https://opendev.org/openstack/neutron\n")
	for _, pr := range p.Projects {
		if pr.Name == "neutron" {
			t.Fatalf("neutron is both a plugin and a project: %+v", p.Projects)
		}
	}
	cfg, front := localconf.Parse("local.conf", []byte("[[local|localrc]]\n"), localconf.Options{})
	if p, _ := compiler.Compile(cfg, front, compiler.Options{}); len(p.Projects) != 0 {
		t.Fatalf("projects without a DevStack checkout: %+v", p.Projects)
	}
}
