#!/usr/bin/env bash
# bench-devstack.sh: stackplan's own overhead when it drives DevStack.
#
# Runs, on the same configuration and the same prefetched checkouts,
# DevStack's ./stack.sh alone and `stackplan apply --devstack` (which runs
# that same stack.sh and watches it), ROUNDS times each, interleaved so that
# drift of a shared machine hits both alike, and prints the medians and
# their ratio, for wall time and for CPU time (user+sys of the whole process
# tree, which a loaded machine disturbs much less than wall time). It also
# times the clone stage into a fresh DEST, as a share
# of a whole apply. With CHANNEL=1 it also runs, in the same interleaved
# rounds, a build without the secrets channel (-tags bench_nosecrets: the
# FIFO handshake at each plugin hook, executor/devstack/secrets.go), and
# prints what the channel costs as a ratio. Needs root (DevStack runs as the stack user, with the
# stand-ins of scripts/devstack-host.sh) and a DevStack tree:
#
#   sudo DEVSTACK=/path/to/devstack ROUNDS=5 [CHANNEL=1] scripts/bench-devstack.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
devstack=${DEVSTACK:-$root/../shared/devstack}
rounds=${ROUNDS:-3}
channel=${CHANNEL:-}
[ -f "$devstack/stack.sh" ] || { echo "no DevStack at $devstack (set DEVSTACK)" >&2; exit 2; }

host=/var/lib/stackplan-devstack
"$root/scripts/devstack-host.sh" setup "$host" >/dev/null
work=$(mktemp -d /tmp/stackplan-bench-devstack.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/stackplan" ./cmd/stackplan)
kinds=(plain watched)
if [ -n "$channel" ]; then
	(cd "$root" && go build -tags bench_nosecrets -o "$work/stackplan-nochannel" ./cmd/stackplan)
	kinds+=(nochannel)
fi

cp -r "$devstack" "$work/devstack"
chmod -R u+w "$work/devstack"
dest=$work/opt
"$root/scripts/devstack-host.sh" requirements "$dest/requirements"
for name in alpha beta gamma; do
	repo=$work/repos/$name
	mkdir -p "$repo/devstack"
	printf '%s_CONF=$DEST/%s/%s.conf\n' "${name^^}" "$name" "$name" >"$repo/devstack/settings"
	printf 'echo "%s $*"\n' "$name" >"$repo/devstack/plugin.sh"
	git -C "$repo" init -q -b master
	git -C "$repo" add -A
	git -C "$repo" -c user.name=b -c user.email=b@invalid commit -qm "$name"
done
cat >"$work/devstack/local.conf" <<EOF
[[local|localrc]]
DEST=$dest
DATA_DIR=$dest/data
LOGFILE=$dest/logs/stack.sh.log
ADMIN_PASSWORD=bench-secret
DATABASE_PASSWORD=bench-secret
RABBIT_PASSWORD=bench-secret
SERVICE_PASSWORD=bench-secret
disable_all_services
enable_plugin alpha file://$work/repos/alpha
enable_plugin beta file://$work/repos/beta
enable_plugin gamma file://$work/repos/gamma

[[post-config|\$GAMMA_CONF]]
[DEFAULT]
log_dir = \$DEST/logs
EOF
chmod 755 "$work"
chown -R stack: "$work"
as_stack() { (cd "$work/devstack" && "$host/run-as-stack" "$@"); }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# The clone stage alone, into the fresh DEST: the prefetch both runs use.
t0=$(now)
as_stack "$work/stackplan" apply --only clone local.conf >/dev/null
clone=$(calc "$(now) - $t0")

declare -a plain watched nochannel plain_cpu watched_cpu nochannel_cpu
for ((i = 0; i < rounds; i++)); do
	for which in "${kinds[@]}"; do
		case $which in
		plain) cmd=(./stack.sh) ;;
		watched) cmd=("$work/stackplan" apply --force --devstack . local.conf) ;;
		nochannel) cmd=("$work/stackplan-nochannel" apply --force --devstack . local.conf) ;;
		esac
		(cd "$work/devstack" && /usr/bin/time -f '%e %U %S' -o "$work/time" "$host/run-as-stack" "${cmd[@]}" >"$work/$which.out" 2>&1)
		read -r wall user sys <"$work/time"
		cpu=$(calc "$user + $sys")
		eval "$which+=(\$wall); ${which}_cpu+=(\$cpu)"
		printf 'round %d %-8s wall %6.1fs  cpu %6.1fs  (load %s)\n' "$((i + 1))" "$which" "$wall" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)" >&2
	done
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mp=$(median "${plain[@]}")
mw=$(median "${watched[@]}")
cp=$(median "${plain_cpu[@]}")
cw=$(median "${watched_cpu[@]}")
cat <<EOF

$(nproc) CPU, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, medians
| run | wall | against ./stack.sh alone | CPU (user+sys) | against ./stack.sh alone |
|---|---|---|---|---|
| ./stack.sh alone | ${mp}s | 1 | ${cp}s | 1 |
| stackplan apply --devstack (same stack.sh, watched; checkouts already there) | ${mw}s | $(calc "$mw / $mp") | ${cw}s | $(calc "$cw / $cp") |
| clone stage of 3 plugins into a fresh DEST (apply --only clone) | ${clone}s | $(calc "$clone / $mp") | | |
EOF
if [ -n "$channel" ]; then
	mn=$(median "${nochannel[@]}")
	cn=$(median "${nochannel_cpu[@]}")
	cat <<EOF

The secrets channel (a FIFO handshake at each plugin hook), same rounds:
| run | wall | channel on / off | CPU (user+sys) | channel on / off |
|---|---|---|---|---|
| apply --devstack without the channel (-tags bench_nosecrets) | ${mn}s | 1 | ${cn}s | 1 |
| apply --devstack (channel on) | ${mw}s | $(calc "$mw / $mn") | ${cw}s | $(calc "$cw / $cn") |
EOF
fi
