#!/usr/bin/env bash
# fuzz.sh: run every fuzz target of the repository, one after the other, for
# DURATION each, and print a table of what each run did.
#
#   scripts/fuzz.sh DURATION [PATTERN]
#
# DURATION is a Go duration (10m, 90s) or an iteration count (5000x), passed
# to go test -fuzztime. PATTERN (an extended regexp, default all) selects
# targets by "PACKAGE.Target", e.g. 'localconf' or 'FuzzWrite$'.
# FUZZ_PARALLEL sets -parallel (default: GOMAXPROCS, i.e. every core).
# FUZZ_MINIMIZE sets -fuzzminimizetime (default 10s; go test's is 60s, spent
# on every new interesting input, which stalls targets such as zuul's
# FuzzLoad for minutes while the execution count stands still).
#
# The targets are found with go test -list 'Fuzz.*' ./..., so a new target is
# fuzzed without editing this script. A crasher stops its target (go test
# does that) and is written by go test to the package's
# testdata/fuzz/<Target>/ directory, where it becomes a seed that fails
# until the bug is fixed: commit it with the fix. The full output of each
# run is kept in FUZZ_LOGS (default: a temporary directory, printed at the
# end). Not run in CI: it takes DURATION times the number of targets.
#
# Exit status: 0 when no target found a crasher or failed to run, 1 otherwise.
set -uo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
    sed -n '2,23s/^# \{0,1\}//p' "$0"
    exit 2
fi
duration=$1
pattern=${2:-.}
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
logs=${FUZZ_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/stackplan-fuzz.XXXXXX")}
mkdir -p "$logs"
parallel=()
[[ -n ${FUZZ_PARALLEL:-} ]] && parallel=(-parallel "$FUZZ_PARALLEL")

# go test -list prints a package's matching tests, then "ok  <pkg> <time>".
targets=()
pending=()
while IFS= read -r line; do
    case $line in
    Fuzz*) pending+=("$line") ;;
    ok*)
        pkg=$(awk '{print $2}' <<<"$line")
        for t in "${pending[@]}"; do targets+=("$pkg $t"); done
        pending=()
        ;;
    *) pending=() ;;
    esac
done < <(go test -list 'Fuzz.*' ./... 2>"$logs/list.err")
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz.sh: no fuzz targets found (see $logs/list.err)" >&2
    exit 2
fi

selected=()
for pt in "${targets[@]}"; do
    read -r pkg t <<<"$pt"
    [[ "${pkg#github.com/stackplan/stackplan/}.$t" =~ $pattern ]] && selected+=("$pt")
done
echo "fuzz.sh: ${#selected[@]} target(s), $duration each; logs in $logs" >&2

rows=()
status=0
for pt in "${selected[@]}"; do
    read -r pkg t <<<"$pt"
    short=${pkg#github.com/stackplan/stackplan/}
    log="$logs/${short//\//_}.$t.log"
    dir=$(go list -f '{{.Dir}}' "$pkg")
    before=$(ls "$dir/testdata/fuzz/$t" 2>/dev/null | sort)
    echo "fuzz.sh: $short $t ..." >&2
    go test -run '^$' -fuzz "^$t\$" -fuzztime "$duration" -fuzzminimizetime "${FUZZ_MINIMIZE:-10s}" "${parallel[@]}" "$pkg" >"$log" 2>&1
    rc=$?
    # Progress lines: "fuzz: elapsed: 3s, execs: 1234 (411/sec), new interesting: 5 (total: 42)".
    last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1)
    execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
    newint=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
    after=$(ls "$dir/testdata/fuzz/$t" 2>/dev/null | sort)
    crashers=$(comm -13 <(echo "$before") <(echo "$after") | grep -c . || true)
    result=ok
    if [[ $rc -ne 0 ]]; then
        status=1
        if [[ $crashers -gt 0 ]]; then
            result="crasher: $(comm -13 <(echo "$before") <(echo "$after") | sed "s|^|$short/testdata/fuzz/$t/|" | paste -sd' ')"
        else
            result="failed (exit $rc, see $log)"
        fi
    fi
    rows+=("$short|$t|${execs:-0}|${newint:-0}|$crashers|$result")
done

printf '\n%-28s %-12s %14s %16s %9s  %s\n' PACKAGE TARGET EXECUTIONS NEW-INTERESTING CRASHERS RESULT
for r in "${rows[@]}"; do
    IFS='|' read -r p t e n c res <<<"$r"
    printf '%-28s %-12s %14s %16s %9s  %s\n' "$p" "$t" "$e" "$n" "$c" "$res"
done
echo "logs: $logs"
exit $status
