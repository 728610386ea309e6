package evaluator

import (
	"fmt"

	"github.com/stackplan/stackplan/schema"
)

// What stackrc does after it has sourced localrc and before DevStack clones
// the plugins: it defaults GIT_BASE, dies on settings it no longer
// supports, and sets GITREPO, GITBRANCH and GITDIR for the libraries it
// knows. fetch_plugins then clones each plugin from GITREPO[name] and
// GITBRANCH[name] into GITDIR[name] as they stand at that point.

// stackrcLibrary is one library stackrc registers:
//
//	GITREPO["name"]=${RepoVar:-${GIT_BASE}Path}
//	GITBRANCH["name"]=${BranchVar:-$BranchDefault}
//	GITDIR["name"]=$DEST/name (when SetsDir)
//
// A plugin enabled under the same name is cloned from there instead.
type stackrcLibrary struct {
	Name, RepoVar, Path, BranchVar, BranchDefault string
	SetsDir                                       bool
}

// stackrcLibraries is the list in DevStack's stackrc (TestStackrcLibraries
// checks it against a real stackrc).
var stackrcLibraries = []stackrcLibrary{
	{"python-cinderclient", "CINDERCLIENT_REPO", "/openstack/python-cinderclient.git", "CINDERCLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-brick-cinderclient-ext", "BRICK_CINDERCLIENT_REPO", "/openstack/python-brick-cinderclient-ext.git", "BRICK_CINDERCLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-barbicanclient", "BARBICANCLIENT_REPO", "/openstack/python-barbicanclient.git", "BARBICANCLIENT_BRANCH", "TARGET_BRANCH", true},
	{"python-glanceclient", "GLANCECLIENT_REPO", "/openstack/python-glanceclient.git", "GLANCECLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-ironicclient", "IRONICCLIENT_REPO", "/openstack/python-ironicclient.git", "IRONICCLIENT_BRANCH", "TARGET_BRANCH", true},
	{"keystoneauth", "KEYSTONEAUTH_REPO", "/openstack/keystoneauth.git", "KEYSTONEAUTH_BRANCH", "TARGET_BRANCH", false},
	{"python-keystoneclient", "KEYSTONECLIENT_REPO", "/openstack/python-keystoneclient.git", "KEYSTONECLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-neutronclient", "NEUTRONCLIENT_REPO", "/openstack/python-neutronclient.git", "NEUTRONCLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-novaclient", "NOVACLIENT_REPO", "/openstack/python-novaclient.git", "NOVACLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-swiftclient", "SWIFTCLIENT_REPO", "/openstack/python-swiftclient.git", "SWIFTCLIENT_BRANCH", "TARGET_BRANCH", false},
	{"python-openstackclient", "OPENSTACKCLIENT_REPO", "/openstack/python-openstackclient.git", "OPENSTACKCLIENT_BRANCH", "TARGET_BRANCH", true},
	{"osc-placement", "OSC_PLACEMENT_REPO", "/openstack/osc-placement.git", "OSC_PLACEMENT_BRANCH", "TARGET_BRANCH", false},
	{"castellan", "CASTELLAN_REPO", "/openstack/castellan.git", "CASTELLAN_BRANCH", "TARGET_BRANCH", false},
	{"cliff", "CLIFF_REPO", "/openstack/cliff.git", "CLIFF_BRANCH", "TARGET_BRANCH", false},
	{"futurist", "FUTURIST_REPO", "/openstack/futurist.git", "FUTURIST_BRANCH", "TARGET_BRANCH", false},
	{"debtcollector", "DEBTCOLLECTOR_REPO", "/openstack/debtcollector.git", "DEBTCOLLECTOR_BRANCH", "TARGET_BRANCH", false},
	{"etcd3gw", "ETCD3GW_REPO", "/openstack/etcd3gw.git", "ETCD3GW_BRANCH", "BRANCHLESS_TARGET_BRANCH", false},
	{"automaton", "AUTOMATON_REPO", "/openstack/automaton.git", "AUTOMATON_BRANCH", "TARGET_BRANCH", false},
	{"oslo.cache", "OSLOCACHE_REPO", "/openstack/oslo.cache.git", "OSLOCACHE_BRANCH", "TARGET_BRANCH", false},
	{"oslo.concurrency", "OSLOCON_REPO", "/openstack/oslo.concurrency.git", "OSLOCON_BRANCH", "TARGET_BRANCH", false},
	{"oslo.config", "OSLOCFG_REPO", "/openstack/oslo.config.git", "OSLOCFG_BRANCH", "TARGET_BRANCH", false},
	{"oslo.context", "OSLOCTX_REPO", "/openstack/oslo.context.git", "OSLOCTX_BRANCH", "TARGET_BRANCH", false},
	{"oslo.db", "OSLODB_REPO", "/openstack/oslo.db.git", "OSLODB_BRANCH", "TARGET_BRANCH", false},
	{"oslo.i18n", "OSLOI18N_REPO", "/openstack/oslo.i18n.git", "OSLOI18N_BRANCH", "TARGET_BRANCH", false},
	{"oslo.limit", "OSLOLIMIT_REPO", "/openstack/oslo.limit.git", "OSLOLIMIT_BRANCH", "TARGET_BRANCH", false},
	{"oslo.log", "OSLOLOG_REPO", "/openstack/oslo.log.git", "OSLOLOG_BRANCH", "TARGET_BRANCH", false},
	{"oslo.messaging", "OSLOMSG_REPO", "/openstack/oslo.messaging.git", "OSLOMSG_BRANCH", "TARGET_BRANCH", false},
	{"oslo.middleware", "OSLOMID_REPO", "/openstack/oslo.middleware.git", "OSLOMID_BRANCH", "TARGET_BRANCH", false},
	{"oslo.policy", "OSLOPOLICY_REPO", "/openstack/oslo.policy.git", "OSLOPOLICY_BRANCH", "TARGET_BRANCH", false},
	{"oslo.privsep", "OSLOPRIVSEP_REPO", "/openstack/oslo.privsep.git", "OSLOPRIVSEP_BRANCH", "TARGET_BRANCH", false},
	{"oslo.reports", "OSLOREPORTS_REPO", "/openstack/oslo.reports.git", "OSLOREPORTS_BRANCH", "TARGET_BRANCH", false},
	{"oslo.rootwrap", "OSLORWRAP_REPO", "/openstack/oslo.rootwrap.git", "OSLORWRAP_BRANCH", "TARGET_BRANCH", false},
	{"oslo.serialization", "OSLOSERIALIZATION_REPO", "/openstack/oslo.serialization.git", "OSLOSERIALIZATION_BRANCH", "TARGET_BRANCH", false},
	{"oslo.service", "OSLOSERVICE_REPO", "/openstack/oslo.service.git", "OSLOSERVICE_BRANCH", "TARGET_BRANCH", false},
	{"oslo.utils", "OSLOUTILS_REPO", "/openstack/oslo.utils.git", "OSLOUTILS_BRANCH", "TARGET_BRANCH", false},
	{"oslo.versionedobjects", "OSLOVERSIONEDOBJECTS_REPO", "/openstack/oslo.versionedobjects.git", "OSLOVERSIONEDOBJECTS_BRANCH", "TARGET_BRANCH", false},
	{"oslo.vmware", "OSLOVMWARE_REPO", "/openstack/oslo.vmware.git", "OSLOVMWARE_BRANCH", "TARGET_BRANCH", false},
	{"osprofiler", "OSPROFILER_REPO", "/openstack/osprofiler.git", "OSPROFILER_BRANCH", "TARGET_BRANCH", false},
	{"pycadf", "PYCADF_REPO", "/openstack/pycadf.git", "PYCADF_BRANCH", "TARGET_BRANCH", false},
	{"stevedore", "STEVEDORE_REPO", "/openstack/stevedore.git", "STEVEDORE_BRANCH", "TARGET_BRANCH", false},
	{"taskflow", "TASKFLOW_REPO", "/openstack/taskflow.git", "TASKFLOW_BRANCH", "TARGET_BRANCH", false},
	{"tooz", "TOOZ_REPO", "/openstack/tooz.git", "TOOZ_BRANCH", "TARGET_BRANCH", false},
	{"pbr", "PBR_REPO", "/openstack/pbr.git", "PBR_BRANCH", "BRANCHLESS_TARGET_BRANCH", false},
	{"cursive", "CURSIVE_REPO", "/openstack/cursive.git", "CURSIVE_BRANCH", "TARGET_BRANCH", false},
	{"glance_store", "GLANCE_STORE_REPO", "/openstack/glance_store.git", "GLANCE_STORE_BRANCH", "TARGET_BRANCH", false},
	{"keystonemiddleware", "KEYSTONEMIDDLEWARE_REPO", "/openstack/keystonemiddleware.git", "KEYSTONEMIDDLEWARE_BRANCH", "TARGET_BRANCH", false},
	{"ceilometermiddleware", "CEILOMETERMIDDLEWARE_REPO", "/openstack/ceilometermiddleware.git", "CEILOMETERMIDDLEWARE_BRANCH", "TARGET_BRANCH", true},
	{"openstacksdk", "OPENSTACKSDK_REPO", "/openstack/openstacksdk.git", "OPENSTACKSDK_BRANCH", "TARGET_BRANCH", false},
	{"os-brick", "OS_BRICK_REPO", "/openstack/os-brick.git", "OS_BRICK_BRANCH", "TARGET_BRANCH", false},
	{"os-client-config", "OS_CLIENT_CONFIG_REPO", "/openstack/os-client-config.git", "OS_CLIENT_CONFIG_BRANCH", "TARGET_BRANCH", true},
	{"os-vif", "OS_VIF_REPO", "/openstack/os-vif.git", "OS_VIF_BRANCH", "TARGET_BRANCH", false},
	{"osc-lib", "OSC_LIB_REPO", "/openstack/osc-lib.git", "OSC_LIB_BRANCH", "TARGET_BRANCH", false},
	{"ironic-lib", "IRONIC_LIB_REPO", "/openstack/ironic-lib.git", "IRONIC_LIB_BRANCH", "TARGET_BRANCH", true},
	{"diskimage-builder", "DIB_REPO", "/openstack/diskimage-builder.git", "DIB_BRANCH", "BRANCHLESS_TARGET_BRANCH", true},
	{"neutron-lib", "NEUTRON_LIB_REPO", "/openstack/neutron-lib.git", "NEUTRON_LIB_BRANCH", "TARGET_BRANCH", true},
	{"os-resource-classes", "OS_RESOURCE_CLASSES_REPO", "/openstack/os-resource-classes.git", "OS_RESOURCE_CLASSES_BRANCH", "TARGET_BRANCH", false},
	{"os-traits", "OS_TRAITS_REPO", "/openstack/os-traits.git", "OS_TRAITS_BRANCH", "TARGET_BRANCH", false},
	{"ovsdbapp", "OVSDBAPP_REPO", "/openstack/ovsdbapp.git", "OVSDBAPP_BRANCH", "TARGET_BRANCH", true},
	{"os-ken", "OS_KEN_REPO", "/openstack/os-ken.git", "OS_KEN_BRANCH", "TARGET_BRANCH", true},
}

// afterLocalrc applies to the plugins what stackrc does after localrc.
func (ev *evaluator) afterLocalrc() {
	gitBase := "https://opendev.org"
	if v := ev.vars["GIT_BASE"]; v != nil && (!v.known || v.str != "") {
		gitBase = v.str
		if !v.known {
			gitBase = ""
		}
	}
	ev.checkWSGIMode()
	for i := range ev.cfg.Plugins {
		p := &ev.cfg.Plugins[i]
		if !p.Name.Known() {
			continue
		}
		ev.followOverride(p, "GITREPO", &p.URL)
		ev.followOverride(p, "GITBRANCH", &p.Ref)
		ev.followOverride(p, "GITDIR", &p.Dir)
		for _, lib := range stackrcLibraries {
			if lib.Name == p.Name.String() {
				ev.replaceByLibrary(p, lib, gitBase)
			}
		}
	}
}

// followOverride takes a plugin's value from GITREPO[name] and the like
// when localrc assigned that element after enable_plugin.
func (ev *evaluator) followOverride(p *schema.Plugin, array string, v *schema.Value) {
	name := p.Name.String()
	rng, ok := ev.elemSetAt[array+"["+name+"]"]
	arr := ev.vars[array]
	if !ok || arr == nil || !arr.known || rng.Start.Byte < p.Range.Start.Byte && rng.Filename == p.Range.Filename {
		return
	}
	val, set := arr.m[name]
	if !set || v.Known() && v.String() == val {
		return
	}
	*v = schema.KnownString(val, array+"["+name+"]", rng)
}

func (ev *evaluator) replaceByLibrary(p *schema.Plugin, lib stackrcLibrary, gitBase string) {
	at := p.Name.Range
	value := func(name, fallback string) schema.Value {
		v := ev.vars[name]
		switch {
		case v != nil && !v.known:
			return schema.UnknownString("$"+name, at)
		case v != nil && v.str != "":
			return schema.KnownString(v.str, "$"+name, at)
		}
		return schema.KnownString(fallback, "stackrc", at)
	}
	branchDefault := ""
	if v := ev.vars[lib.BranchDefault]; v != nil {
		branchDefault = v.str
	}
	p.URL = value(lib.RepoVar, gitBase+lib.Path)
	p.Ref = value(lib.BranchVar, branchDefault)
	if lib.SetsDir {
		p.Dir = ev.pluginDir(p.Name)
	}
	ev.diag(schema.RuleLibraryPlugin.Diag(
		fmt.Sprintf("plugin %s has the name of a library DevStack's stackrc knows", lib.Name),
		fmt.Sprintf("stackrc sets GITREPO[%s] and GITBRANCH[%s] after localrc, so DevStack clones %s at %s instead of the enable_plugin URL and ref. Set %s and %s to choose them, or give the plugin another name.",
			lib.Name, lib.Name, p.URL.Text, p.Ref.Text, lib.RepoVar, lib.BranchVar),
		p.Range))
}

// checkWSGIMode reports what stackrc dies on right after localrc.
func (ev *evaluator) checkWSGIMode() {
	v := ev.vars["WSGI_MODE"]
	if v == nil || !v.known || v.str == "" || v.str == "uwsgi" {
		return
	}
	rng := ev.cfg.Localrc[0].Range
	for _, a := range ev.cfg.Assignments {
		if a.Name == "WSGI_MODE" {
			rng = a.Range
		}
	}
	ev.diag(schema.RuleStackrcDies.Diag(
		fmt.Sprintf("WSGI_MODE=%s: stackrc stops DevStack", v.str),
		fmt.Sprintf("stackrc dies with \"%s is no longer a supported WSGI mode. Only uwsgi is valid.\" right after sourcing localrc. Remove the setting or set WSGI_MODE=uwsgi.", v.str),
		rng))
}
