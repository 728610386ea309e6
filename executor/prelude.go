package executor

import (
	"sort"
	"strings"

	"github.com/stackplan/stackplan/internal/devstackfuncs"
)

// shq quotes s for bash.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// defaultServices is stackrc's ENABLED_SERVICES when the environment has none.
const defaultServices = "key,n-api,n-cpu,n-cond,n-sch,n-novnc,n-api-meta,placement-api,placement-client,g-api,c-sch,c-api,c-vol,ovn-controller,ovn-northd,ovs-vswitchd,ovsdb-server,q-svc,q-ovn-agent,horizon,rabbit,tempest,mysql,etcd3,dstat"

// helpers are the few DevStack functions simple plugins call, which
// plugin-development mode provides without DevStack: die and warn, no-op
// plugin declarations, and DevStack's service and plugin functions as the
// compiler evaluates them.
const helpers = `
function die { local rc=$?; ((rc)) || rc=1; [[ ${1-} =~ ^[0-9]+$ ]] && shift; echo "[ERROR] $*" >&2; exit $rc; }
function warn { local rc=$?; [[ ${1-} =~ ^[0-9]+$ ]] && shift; echo "WARNING: $*" >&2; return $rc; }
function define_plugin { :; }
function plugin_requires { :; }
` + devstackfuncs.Source

// stackrcBeforeLocalrc is what stackrc defines before it sources localrc
// (besides DEST and ENABLED_SERVICES), as the plan evaluated it: a ref
// such as $TARGET_BRANCH must mean the same at apply.
const stackrcBeforeLocalrc = `TARGET_BRANCH=master
TRAILING_TARGET_BRANCH=master
BRANCHLESS_TARGET_BRANCH=master
DATA_DIR=$DEST/data
SERVICE_DIR=$DEST/status
SUBUNIT_OUTPUT=$DEST/devstack.subunit
REGION_NAME=${REGION_NAME:-RegionOne}
KEYSTONE_REGION_NAME=${KEYSTONE_REGION_NAME:-$REGION_NAME}
ENABLE_HTTPD_MOD_WSGI_SERVICES=True
NOVA_ENABLED_APIS=osapi_compute,metadata
`

// prelude is sourced at the top level of every session before the plan's
// steps: the helpers above, DEST,
// the service list as stackrc seeds it, and an enable_plugin that records
// only the plan's plugins, so sourcing localrc registers nothing new
// behind the plan's back.
func prelude(dest string, dirs map[string]string) string {
	var b strings.Builder
	b.WriteString("# stackplan prelude\n")
	b.WriteString(helpers)
	b.WriteString("DEST=" + shq(dest) + "\n")
	b.WriteString(stackrcBeforeLocalrc)
	b.WriteString("[[ -v ENABLED_SERVICES ]] || ENABLED_SERVICES=" + defaultServices + "\n")
	b.WriteString("DEVSTACK_PLUGINS=''\n")
	b.WriteString("declare -gA GITREPO GITBRANCH GITDIR __sp_plan_dir\n")
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString("__sp_plan_dir[" + shq(n) + "]=" + shq(dirs[n]) + "\n")
	}
	b.WriteString(`__sp_unplanned=''
function enable_plugin {
    local name=${1-} url=${2-} branch=${3:-master}
    if [[ -z $name || ,${DEVSTACK_PLUGINS}, == *,${name},* ]]; then
        die $LINENO "Plugin attempted to be enabled twice: ${name} ${url} ${branch}"
    fi
    if [[ -z ${__sp_plan_dir[$name]+set} ]]; then
        echo "stackplan: enable_plugin ${name}: this plugin is not in the plan; make the plan again" >&2
        __sp_unplanned+=",$name"
        return 1
    fi
    DEVSTACK_PLUGINS+=",$name"
    GITREPO[$name]=$url
    GITBRANCH[$name]=$branch
    GITDIR[$name]=${__sp_plan_dir[$name]}
}
`)
	return b.String()
}
