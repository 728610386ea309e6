#!/usr/bin/env bash
# bench-plan.sh: whole-process cost of `stackplan plan` and `stackplan lint`
# (issue #2), each measured against `cat` of the same files in the same run.
#
#   scripts/bench-plan.sh [CORPUS_DIR]
#
# CORPUS_DIR defaults to ../shared/corpus/localconf next to the repository.
# Wall time comes from hyperfine when it is installed (apt-get install
# hyperfine), otherwise from a loop timed with date +%s%N; peak RSS from GNU
# time (/usr/bin/time -v, package "time"). Not run in CI: timings depend on
# the machine. The Go benchmarks of the same inputs are in internal/bench.
#
# Goals it reports against:
#   - lint of the whole corpus in one process within 10x of cat;
#   - plan of a 1,000-plugin local.conf under 50 MB peak RSS;
#   - linear cost: the 10,000-plugin plan takes at most 12x the 1,000-plugin one.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$repo/../shared/corpus/localconf}
runs=${BENCH_RUNS:-10}

[[ -d $corpus ]] || { echo "bench-plan: no corpus directory $corpus" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-plan: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building stackplan..." >&2
(cd "$repo" && go build -o "$work/stackplan" ./cmd/stackplan)
sp=$work/stackplan

# gen N FILE writes a local.conf with N plugins, shaped like a real one: a
# few settings, N enable_plugin lines (every fourth with an explicit ref),
# a few services, and two post-config sections. internal/bench generates
# the same shape.
gen() {
	local n=$1 out=$2
	{
		echo '[[local|localrc]]'
		echo 'ADMIN_PASSWORD=secretadmin'
		echo 'DATABASE_PASSWORD=$ADMIN_PASSWORD'
		echo 'GIT_BASE=https://opendev.org'
		echo 'LOGFILE=$DEST/logs/stack.sh.log'
		awk -v n="$n" 'BEGIN {
			for (i = 0; i < n; i++) {
				if (i % 4 == 3) printf "enable_plugin plugin%05d $GIT_BASE/x/plugin%05d $TARGET_BRANCH\n", i, i
				else printf "enable_plugin plugin%05d https://opendev.org/x/plugin%05d\n", i, i
			}
		}'
		echo 'enable_service n-novnc'
		echo 'disable_service tempest'
		echo
		echo '[[post-config|$NOVA_CONF]]'
		echo '[DEFAULT]'
		echo 'debug = True'
		echo
		echo '[[post-config|/etc/neutron/dhcp_agent.ini]]'
		echo '[DEFAULT]'
		echo 'enable_isolated_metadata = True'
	} >"$out"
}

typical=$corpus/openstack__tacker__devstack__local.conf.example
[[ -f $typical ]] || typical=$(grep -lc '^enable_plugin' "$corpus"/* | head -1)
gen 1000 "$work/plugins-1000.conf"
gen 10000 "$work/plugins-10000.conf"
mapfile -t corpus_files < <(find "$corpus" -maxdepth 1 -type f | LC_ALL=C sort)
for f in "$work" "$typical" "${corpus_files[@]}"; do
	[[ $f != *[[:space:]]* ]] || { echo "bench-plan: path with whitespace: $f" >&2; exit 2; }
done

# mean_seconds CMD...: mean wall time of CMD over $runs runs.
mean_seconds() {
	if command -v hyperfine >/dev/null; then
		local csv=$work/hf.csv
		# -N: no intermediate shell, so its start-up is not in the numbers.
		# It splits the command on whitespace, hence the check below.
		hyperfine -N --ignore-failure --warmup 2 --runs "$runs" --style none --export-csv "$csv" \
			-- "$*" >/dev/null 2>&1
		# mean wall time and mean CPU time (user + system), in seconds
		awk -F, 'NR == 2 { print $2, $5 + $6 }' "$csv"
	else
		"$@" >/dev/null 2>&1 || true
		local start end
		start=$(date +%s%N)
		for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1 || true; done
		end=$(date +%s%N)
		awk -v d=$((end - start)) -v r="$runs" 'BEGIN { printf "%.6f nan\n", d / r / 1e9 }'
	fi
}

# peak_rss_kb CMD...: the largest maximum resident set size of 3 runs.
peak_rss_kb() {
	local max=0 kb
	for _ in 1 2 3; do
		/usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
		kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
		((kb > max)) && max=$kb
	done
	echo "$max"
}

declare -A T C
row() { # row NAME FILES... -- STACKPLAN-ARGS...
	local name=$1
	shift
	local files=()
	while [[ $1 != -- ]]; do files+=("$1"); shift; done
	shift
	echo "measuring $name..." >&2
	local t_sp cpu_sp t_cat cpu_cat rss
	read -r t_sp cpu_sp < <(mean_seconds "$sp" "$@" "${files[@]}")
	read -r t_cat cpu_cat < <(mean_seconds cat "${files[@]}")
	rss=$(peak_rss_kb "$sp" "$@" "${files[@]}")
	T[$name]=$t_sp C[$name]=$cpu_sp
	awk -v n="$name" -v s="$t_sp" -v c="$t_cat" -v r="$rss" -v cs="$cpu_sp" -v cc="$cpu_cat" 'BEGIN {
		printf "| %s | %.2f ms | %.2f ms | %.1fx | %.1f MB | %.2f ms | %.2f ms |\n", n, s * 1000, c * 1000, s / c, r / 1024, cs * 1000, cc * 1000
	}'
}

echo
echo "stackplan $("$sp" version | awk '{ print $2 }'), $(nproc) CPUs, $runs runs each ($(command -v hyperfine >/dev/null && hyperfine --version || echo 'date loop'))"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are unreliable when it exceeds the CPU count; CPU times less so)"
echo
echo "| case | stackplan time | cat time | ratio | peak RSS | stackplan CPU | cat CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "plan, typical ($(grep -c '^ *enable_plugin' "$typical") plugins)" "$typical" -- plan
row "plan, 1,000 plugins" "$work/plugins-1000.conf" -- plan
row "plan, 10,000 plugins" "$work/plugins-10000.conf" -- plan
row "lint, corpus (${#corpus_files[@]} files, one process)" "${corpus_files[@]}" -- lint -f compact
rss1k=$(peak_rss_kb "$sp" plan "$work/plugins-1000.conf")
echo
awk -v a="${T[plan, 1,000 plugins]}" -v b="${T[plan, 10,000 plugins]}" -v ca="${C[plan, 1,000 plugins]}" -v cb="${C[plan, 10,000 plugins]}" -v rss="$rss1k" 'BEGIN {
	printf "scaling: 10,000 plugins / 1,000 plugins = %.1fx wall, %.1fx CPU (goal <= 12x)\n", b / a, cb / ca
	printf "1,000-plugin plan peak RSS: %.1f MB (goal < 50 MB)\n", rss / 1024
}'
echo "corpus lint goal: ratio within 10x of cat (see the table)"
