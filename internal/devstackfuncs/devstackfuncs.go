// Package devstackfuncs holds DevStack's service and plugin functions as
// bash, in one place for the compiler's localrc evaluator and the
// executor's plugin-development sessions.
package devstackfuncs

// Source is DevStack's service and plugin functions
// (functions-common), as bash, run by the localrc evaluator as it runs the
// localrc's own functions, and by bash in apply's plugin-development
// sessions: what they do is then what bash does, quirks
// included (is_service_enabled's catch-alls and is_NAME_enabled functions,
// patterns in service names, blanks after commas). They differ from
// DevStack's text only where DevStack forks: the xtrace bookkeeping is
// left out, and "VAR=$(_cleanup_service_list ...)" becomes a call that
// leaves its result in __svcs. TestServiceFunctionsMatchDevStack
// (compiler/localconf) runs them and the pinned DevStack tree's
// functions-common on the same programs and requires the same results.
const Source = `
is_plugin_enabled() {
    local name=$1
    if [[ ",${DEVSTACK_PLUGINS}," =~ ",${name}," ]]; then
        return 0
    fi
    return 1
}
_cleanup_service_list() {
    local s=${1//,,/,}
    s=${s#,}
    __svcs=${s%,}
}
disable_all_services() {
    ENABLED_SERVICES=""
}
disable_negated_services() {
    local to_remove=""
    local remaining=""
    local service
    for service in ${ENABLED_SERVICES//,/ }; do
        if [[ ${service} == -* ]]; then
            to_remove+=",${service#-}"
        else
            remaining+=",${service}"
        fi
    done
    remove_disabled_services "$remaining" "$to_remove"
    ENABLED_SERVICES=$__svcs
}
disable_service() {
    local disabled_svcs="${DISABLED_SERVICES}"
    local enabled_svcs=",${ENABLED_SERVICES},"
    local service
    for service in $@; do
        disabled_svcs+=",$service"
        if is_service_enabled $service; then
            enabled_svcs=${enabled_svcs//,$service,/,}
        fi
    done
    _cleanup_service_list "$disabled_svcs"
    DISABLED_SERVICES=$__svcs
    _cleanup_service_list "$enabled_svcs"
    ENABLED_SERVICES=$__svcs
}
enable_service() {
    local tmpsvcs="${ENABLED_SERVICES}"
    local service
    for service in $@; do
        if [[ ,${DISABLED_SERVICES}, =~ ,${service}, ]]; then
            warn $LINENO "Attempt to enable_service ${service} when it has been disabled"
            continue
        fi
        if ! is_service_enabled $service; then
            tmpsvcs+=",$service"
        fi
    done
    _cleanup_service_list "$tmpsvcs"
    ENABLED_SERVICES=$__svcs
    disable_negated_services
}
is_service_enabled() {
    local enabled=1
    local services=$@
    local service
    for service in ${services}; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && enabled=0
        if type is_${service}_enabled >/dev/null 2>&1; then
            is_${service}_enabled && enabled=0
        fi
        [[ ${service} == n-cpu-* && ,${ENABLED_SERVICES} =~ ,"n-cpu" ]] && enabled=0
        [[ ${service} == "nova" && ,${ENABLED_SERVICES} =~ ,"n-" ]] && enabled=0
        [[ ${service} == "glance" && ,${ENABLED_SERVICES} =~ ,"g-" ]] && enabled=0
        [[ ${service} == "neutron" && ,${ENABLED_SERVICES} =~ ,"q-" ]] && enabled=0
        [[ ${service} == "trove" && ,${ENABLED_SERVICES} =~ ,"tr-" ]] && enabled=0
        [[ ${service} == "swift" && ,${ENABLED_SERVICES} =~ ,"s-" ]] && enabled=0
        [[ ${service} == s-* && ,${ENABLED_SERVICES} =~ ,"swift" ]] && enabled=0
    done
    return $enabled
}
remove_disabled_services() {
    local service_list=$1
    local remove_list=$2
    local service
    local enabled=""
    for service in ${service_list//,/ }; do
        local remove
        local add=1
        for remove in ${remove_list//,/ }; do
            if [[ ${remove} == ${service} ]]; then
                add=0
                break
            fi
        done
        if [[ $add == 1 ]]; then
            enabled="${enabled},$service"
        fi
    done
    _cleanup_service_list "$enabled"
}
`

// EnablePlugin is DevStack's enable_plugin (functions-common), which
// registers every plugin. Source leaves it out: the localrc evaluator
// registers plugins itself, and apply's sessions accept only the plan's.
// apply runs it when it sources localrc to learn what a plan could not
// know (executor.ResolveLocalrc).
const EnablePlugin = `
enable_plugin() {
    local name=$1
    local url=$2
    local branch=${3:-master}
    if is_plugin_enabled $name; then
        die $LINENO "Plugin attempted to be enabled twice: ${name} ${url} ${branch}"
    fi
    DEVSTACK_PLUGINS+=",$name"
    GITREPO[$name]=$url
    GITDIR[$name]=$DEST/$name
    GITBRANCH[$name]=$branch
}
`
