package compiler

import (
	"path"
	"slices"
	"strings"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// devstackProject is one of DevStack's own repositories and the services
// stack.sh clones it for (git_clone $NAME_REPO $DEST/name $NAME_BRANCH in
// lib/NAME's install_NAME), as DevStack's is_service_enabled decides:
// the service's own name, or the services its is_NAME_enabled function
// and the legacy special cases of is_service_enabled accept.
type devstackProject struct {
	// name is the directory under DEST; upper-cased, it prefixes the
	// project's stackrc variables (NOVA_REPO, NOVA_BRANCH).
	name string
	// always: stack.sh clones it whatever the services (requirements).
	always bool
	// services are enabled exactly by these names.
	services []string
	// prefixes enable it by any service starting with one of them.
	prefixes []string
	// guarded are exact names or prefixes (ending in "-") that enable it
	// unless DISABLED_SERVICES holds a name starting with the project's
	// (is_keystone_enabled, is_cinder_enabled, is_neutron_enabled).
	guarded []string
	// fullHistory: stack.sh clones it with GIT_DEPTH=0.
	fullHistory bool
}

// devstackProjects are in the order stack.sh installs them. novnc and
// spice-html5, which lib/nova clones from other hosts only when they are
// not installed from packages, and the libraries LIBS_FROM_GIT names are
// left to stack.sh.
var devstackProjects = []devstackProject{
	{name: "requirements", always: true, fullHistory: true},
	{name: "keystone", services: []string{"keystone"}, guarded: []string{"key"}},
	{name: "swift", services: []string{"swift"}, prefixes: []string{"s-"}},
	{name: "glance", services: []string{"g-api", "n-api"}},
	{name: "cinder", services: []string{"cinder"}, guarded: []string{"c-"}},
	{name: "neutron", services: []string{"neutron"}, prefixes: []string{"q-"}, guarded: []string{"neutron-"}},
	{name: "nova", services: []string{"nova"}, prefixes: []string{"n-"}},
	{name: "placement", services: []string{"placement"}, prefixes: []string{"placement-api"}},
	{name: "horizon", services: []string{"horizon"}},
	{name: "tempest", services: []string{"tempest"}},
}

// enabledBy returns the service that makes stack.sh clone the project, or
// "" when none does.
func (dp devstackProject) enabledBy(enabled, disabled []string) string {
	if dp.always {
		return "stack.sh"
	}
	for _, s := range dp.services {
		if slices.Contains(enabled, s) {
			return s
		}
	}
	for _, svc := range enabled {
		if slices.ContainsFunc(dp.prefixes, func(p string) bool { return strings.HasPrefix(svc, p) }) {
			return svc
		}
	}
	if slices.ContainsFunc(disabled, func(d string) bool { return strings.HasPrefix(d, dp.name) }) {
		return ""
	}
	for _, svc := range enabled {
		if slices.ContainsFunc(dp.guarded, func(g string) bool {
			return svc == g || strings.HasSuffix(g, "-") && strings.HasPrefix(svc, g)
		}) {
			return svc
		}
	}
	return ""
}

// planProjects lists the DevStack repositories stack.sh would clone for
// the enabled services, at the URL and ref stackrc gives once localrc has
// run. Without a DevStack checkout's stackrc, or with services known only
// at apply, there are none. A repository whose URL or ref is known only at
// apply (or secret) is left to stack.sh, as is one a plugin is checked out
// at already (enable_plugin neutron ... puts the plugin at DEST/neutron).
func planProjects(cfg *schema.Config, plugins []plan.Plugin) []plan.Project {
	if len(cfg.Stackrc) == 0 {
		return nil
	}
	var out []plan.Project
	for _, dp := range devstackProjects {
		service := ""
		if dp.always || cfg.Services.EnabledKnown {
			service = dp.enabledBy(cfg.Services.Enabled, cfg.Services.Disabled)
		}
		if service == "" {
			continue
		}
		prefix := strings.ToUpper(dp.name)
		url, okURL := cfg.StackrcValue(prefix + "_REPO")
		ref, okRef := cfg.StackrcValue(prefix + "_BRANCH")
		if !okURL || !okRef || !url.Known || !ref.Known || url.Secret || ref.Secret || url.Value == "" || ref.Value == "" {
			continue
		}
		dir := path.Join(cfg.Dest, dp.name)
		if slices.ContainsFunc(plugins, func(p plan.Plugin) bool { return p.Dir == dir }) {
			continue
		}
		out = append(out, plan.Project{
			Name: dp.name, URL: url.Value, Ref: ref.Value, Dir: dir,
			Service: service, FullHistory: dp.fullHistory, Source: plan.RangeOf(url.Range),
		})
	}
	return out
}
