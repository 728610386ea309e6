# stackplan's watch on DevStack's scripts.
#
# stackplan runs stack.sh, unstack.sh and clean.sh with this file as
# BASH_ENV, which bash sources before the script's first line. It changes
# nothing DevStack does. It sets a DEBUG and a RETURN trap (DevStack sets
# neither) and gives the trace attribute to the few DevStack functions that
# source plugin hooks, merge config files and clone, once they are defined,
# so the traps run in those functions and at the script's top level only:
# plugins and the rest of DevStack run untraced, at full speed.
#
# The traps append one tab-separated line to $STACKPLAN_EVENTS:
#   PID SCRIPT EVENT STATUS FIELDS...
#   source  FUNCTION PLUGIN MODE PHASE DIR  a plugin hook starts
#   end     FUNCTION                        the open hook or merge ended, with STATUS
#   rc      FILE                            the script sources stackrc or openrc (localrc)
#   merge   GROUP SPEC FILE                 merge_config_file starts
#   skip    GROUP SPEC                      merge_config_group warned and skipped the rest
#   git     DEST VERB                       git_clone runs git on DEST
# With $STACKPLAN_SECRETS (a private directory holding two FIFOs, req and
# ack), the watch also waits for stackplan at each plugin hook: before a
# plugin's override-defaults or settings runs, until stackplan holds the
# output back ("hold"); after any hook ends, until stackplan has the
# values of the secret-named variables ("names": it lists every variable,
# stackplan answers with the names its secret rule picks, the watch sends
# their values and waits for "ok"). Values travel through the FIFOs only.
# They read only variables DevStack's own functions hold at that moment,
# run with stderr on /dev/null so that xtrace writes none of this into
# DevStack's log, and always return 0 so that errexit and DevStack's ERR
# trap never see them. Other bash processes keep no trace of this file:
# BASH_ENV is unset, except in clean.sh, whose nested unstack.sh is watched.
case ${0##*/} in
stack.sh | unstack.sh) unset BASH_ENV ;;
clean.sh) ;;
*)
	unset BASH_ENV
	return 0
	;;
esac

# The script starts only once stackplan has recorded its process group in
# the lock file, which keeps a later apply out while the group lives:
# stackplan writes "go" into the pipe at descriptor $STACKPLAN_GATE then.
# If that stackplan died first, the pipe ends without it, and the script
# stops here, before its first line.
if [[ -n ${STACKPLAN_GATE-} ]]; then
	__sp_go=
	read -r __sp_go <&"$STACKPLAN_GATE" 2>/dev/null
	exec {STACKPLAN_GATE}<&-
	unset STACKPLAN_GATE
	if [[ $__sp_go != go ]]; then
		# Its output may be gone with it: say why if anyone reads.
		trap '' PIPE
		printf 'stackplan: the apply that started %s is gone before it recorded its process group: not running it\n' "${0##*/}" >&2
		exit 125
	fi
	unset __sp_go
fi

__sp_events=$STACKPLAN_EVENTS
__sp_script=${0##*/}
__sp_open= # what is open: "hook KEY", "merge" or "rc"
__sp_last= # the hook that closed last, until its function returns
__sp_traced=
# A function runs the traps only when it and every function calling it
# have the trace attribute: these are the chains from the scripts' top
# level down to the hooks, the merges and the plugins' clones.
__sp_functions="run_phase run_plugins load_plugin_settings plugin_override_defaults merge_config_group fetch_plugins git_clone_by_name git_clone"
__sp_sync=${STACKPLAN_SECRETS-}
__sp_reply=
[[ ${__sp_script} == clean.sh ]] || unset STACKPLAN_EVENTS STACKPLAN_SECRETS

__sp_emit() {
	local IFS=$'\t'
	printf '%s\n' "$$	$__sp_script	$*" >>"$__sp_events"
}

__sp_close() {
	if [[ -n $__sp_open ]]; then
		local hook=
		[[ $__sp_open == hook* ]] && __sp_last=$__sp_open hook=1
		__sp_emit end "$1" "$2"
		__sp_open=
		[[ -z $hook ]] || __sp_learn
	fi
}

# __sp_hold waits until stackplan holds DevStack's output back. The FIFOs
# are open only during the exchange, which runs builtins only: no process
# inherits them.
__sp_hold() {
	[[ -n $__sp_sync ]] || return 0
	{ printf 'hold\0' >&98 && read -r -d '' __sp_reply <&99; } 98>"$__sp_sync/req" 99<"$__sp_sync/ack" || return 0
	return 0
}

# __sp_learn sends stackplan the values of the variables it names secret.
__sp_learn() {
	[[ -n $__sp_sync ]] || return 0
	{
		local __sp_n __sp_want=()
		printf 'names\0' >&98 && compgen -v >&98 && printf '\0' >&98 || return 0
		while read -r -d '' __sp_n <&99 && [[ -n $__sp_n ]]; do
			__sp_want+=("$__sp_n")
		done
		for __sp_n in "${__sp_want[@]}"; do
			printf '%s\0' "${!__sp_n-}" >&98 || return 0
		done
		read -r -d '' __sp_reply <&99 || return 0
	} 98>"$__sp_sync/req" 99<"$__sp_sync/ack" || return 0
	return 0
}

__sp_debug() {
	local st=$1 fn=${FUNCNAME[1]-main}
	case $fn in
	run_plugins | load_plugin_settings | plugin_override_defaults)
		if [[ ${BASH_COMMAND} == 'source '* ]]; then
			local key="hook ${plugin-} ${mode-} ${phase-}"
			if [[ $__sp_open == "$key" || (-z $__sp_open && $__sp_last == "$key") ]]; then
				# bash reports the last source once more when the loop
				# ends, with its status in $?.
				__sp_close "$st" "$fn"
			else
				__sp_close "$st" "$fn"
				__sp_emit source 0 "$fn" "${plugin-}" "${mode-}" "${phase-}" "${dir-}"
				__sp_open=$key
				[[ $fn == run_plugins ]] || __sp_hold
			fi
		else
			__sp_close "$st" "$fn"
		fi
		;;
	merge_config_group)
		__sp_close "$st" "$fn"
		case ${BASH_COMMAND} in
		'merge_config_file '*)
			__sp_emit merge 0 "$fn" "${group-}" "${configfile-}" "${realconfigfile-}"
			__sp_open=merge
			;;
		'warn '*) __sp_emit skip 0 "$fn" "${group-}" "${configfile-}" ;;
		esac
		;;
	git_clone)
		if [[ ${BASH_COMMAND} == 'git_timed '* ]]; then
			local verb=${BASH_COMMAND#git_timed }
			__sp_emit git 0 "$fn" "${git_dest-}" "${verb%% *}"
		fi
		;;
	main)
		__sp_close "$st" "$fn"
		case ${BASH_COMMAND} in
		'source '*/stackrc | 'source '*/openrc)
			__sp_emit rc 0 "$fn" "${BASH_COMMAND#source }"
			__sp_open=rc
			;;
		esac
		if [[ -z $__sp_traced ]] && declare -F $__sp_functions >/dev/null; then
			declare -ft $__sp_functions
			__sp_traced=1
		fi
		;;
	esac
	return 0
}

# The RETURN trap runs when a traced function returns and when a file it
# sources ends; $? then holds a "return N" only from the next command on,
# so hooks and the localrc close at the next DEBUG. A function's own return
# closes what is still open: a merge, or a hook if bash did not repeat it.
__sp_return() {
	case ${FUNCNAME[1]-main} in
	run_plugins | load_plugin_settings | plugin_override_defaults | merge_config_group)
		if [[ $__sp_open == merge ]]; then
			__sp_close "$1" "${FUNCNAME[1]}"
		elif [[ -z $__sp_open ]]; then
			__sp_last=
		fi
		;;
	esac
	return 0
}

trap '{ __sp_debug $?; } 2>/dev/null' DEBUG
trap '{ __sp_return $?; } 2>/dev/null' RETURN
