#!/usr/bin/env bash
# Benchmark of the clone stage (not run in CI). Builds 20 small plugin
# repositories and 3 large ones (~5,000 files, ~2,000 commits), serves them
# with git daemon on 127.0.0.1, and measures whole-process wall time and
# peak memory (/usr/bin/time, median wall of REPS runs, largest RSS) of:
#   devstack   DevStack's way, sequential: git clone --no-checkout URL DIR;
#              git fetch origin REF; git checkout FETCH_HEAD
#   xargs      xargs -P of git clone --depth 1 --branch REF
#   stackplan  executor/internal/benchcmd with -cloner git|go-git (git.Ensure),
#              handoff (git.Auto handing every pack to git index-pack and the
#              checkout to git after go-git's negotiation, git.Ensure), and
#              auto (git.Auto's own choice) through executor.Apply, as
#              stackplan apply runs it, full history and --depth 1
#   reapply    a second executor.Apply of the same plan with its journal,
#              against one git rev-parse HEAD per repository (and -force,
#              which re-checks every checkout)
# and prints each as a ratio against its baseline: full clones against
# DevStack's way, shallow ones against xargs.
# Usage: scripts/bench-clone.sh [WORKDIR]   (default: a new directory on /dev/shm, else in TMPDIR)
#   (SMALL=20 LARGE=3 FILES=5000 COMMITS=2000 P=4 REPS=3)
set -euo pipefail
SMALL=${SMALL:-20} LARGE=${LARGE:-3} FILES=${FILES:-5000} COMMITS=${COMMITS:-2000} P=${P:-4} REPS=${REPS:-3}
# By default the work happens on /dev/shm when it is a writable tmpfs: every
# contender writes the same checkouts, and a virtual disk's write-back makes
# the timings depend on the order the cases run in.
shm=()
[[ -w /dev/shm ]] && shm=(-p /dev/shm)
W=${1:-$(mktemp -d "${shm[@]}")}
owned=$([[ -z ${1:-} ]] && echo "$W" || true) # removed at exit; a named WORKDIR is kept for reuse
DAEMON=
cleanup() {
    if [[ -n $DAEMON ]]; then kill "$DAEMON" 2>/dev/null || true; fi
    if [[ -n $owned ]]; then rm -rf "$owned"; fi
}
trap cleanup EXIT
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$W/srv" "$W/out"
go build -tags bench -o "$W/benchcmd" "$REPO_ROOT/executor/internal/benchcmd"

mkrepo() { # name files commits
    local d="$W/srv/$1" files=$2 commits=$3
    [[ -d $d ]] && return
    git init -q --bare "$d"
    {
        local c f
        for ((c = 1; c <= commits; c++)); do
            echo "commit refs/heads/master"
            echo "committer b <b@example.com> $((1700000000 + c)) +0000"
            echo "data <<EOM"; echo "commit $c"; echo "EOM"
            if ((c == 1)); then
                for ((f = 0; f < files; f++)); do
                    echo "M 644 inline dir$((f % 50))/file$f.py"; echo "data <<EOM"
                    echo "# file $f"; echo "value = $f"; echo "EOM"
                done
                echo "M 755 inline devstack/plugin.sh"; echo "data <<EOM"; echo "echo $1"; echo "EOM"
            else
                f=$(((c * 7919) % files))
                echo "M 644 inline dir$((f % 50))/file$f.py"; echo "data <<EOM"
                echo "# file $f changed in $c"; echo "value = $c"; echo "EOM"
            fi
        done
    } | git -C "$d" fast-import --quiet
    git -C "$d" config uploadpack.allowAnySHA1InWant true
}
echo "building repositories in $W/srv" >&2
for ((i = 0; i < SMALL; i++)); do mkrepo "small$i" 20 10; done
for ((i = 0; i < LARGE; i++)); do mkrepo "large$i" "$FILES" "$COMMITS"; done

PORT=${PORT:-$((20000 + RANDOM % 20000))}
git daemon --listen=127.0.0.1 --port="$PORT" --export-all --base-path="$W/srv" --reuseaddr "$W/srv" &
DAEMON=$!
sleep 1
BASE="git://127.0.0.1:$PORT"
NAMES=()
for ((i = 0; i < SMALL; i++)); do NAMES+=("small$i"); done
for ((i = 0; i < LARGE; i++)); do NAMES+=("large$i"); done

# add LABEL DEST -- COMMAND...: a case of the current scope; COMMAND runs
# with DEST set to $W/dest-DEST, emptied before each run unless DEST is
# another case's (a re-apply on that case's checkouts).
LABELS=() DESTS=() CMDS=()
add() {
    local label=$1 dest=$2; shift 3
    LABELS+=("$label") DESTS+=("$dest") CMDS+=("$(printf '%q ' "$@")")
}
# run_cases: REPS rounds, each running every case once in the order added,
# so that a machine growing slower or faster over the run affects every
# case alike; then prints each case's median wall time and largest peak
# RSS, and records them in $W/out/results.
run_cases() {
    local r i label dest w k
    for i in "${!LABELS[@]}"; do : >"$W/out/${LABELS[i]}.runs"; done
    for ((r = 0; r < REPS; r++)); do
        for i in "${!LABELS[@]}"; do
            label=${LABELS[i]} dest="$W/dest-${DESTS[i]}"
            if [[ ${DESTS[i]} == "$label" ]]; then rm -rf "$dest"; mkdir -p "$dest"; fi
            # Start each run with no dirty pages of the previous one to
            # write back, or later runs pay for earlier ones (WORKDIR on a
            # tmpfs such as /dev/shm leaves the disk out altogether).
            sync
            DEST=$dest eval "/usr/bin/time -f '%e %M' -o \"\$W/out/\$label.time\" ${CMDS[i]}" >/dev/null 2>"$W/out/$label.err" ||
                { echo "$label failed" >&2; cat "$W/out/$label.err" >&2; }
            cat "$W/out/$label.time" >>"$W/out/$label.runs"
        done
    done
    for label in "${LABELS[@]}"; do
        read -r w k < <(sort -g "$W/out/$label.runs" | awk '{w[NR] = $1; if ($2 > k) k = $2} END {print w[int((NR + 1) / 2)], k}')
        printf '%-26s wall %6.3fs (runs: %s)  peak RSS %6d KB\n' "$label" "$w" "$(cut -d' ' -f1 "$W/out/$label.runs" | paste -sd' ')" "$k"
        echo "$label $w $k" >>"$W/out/results"
    done
    LABELS=() DESTS=() CMDS=()
}
ratio() { # label baseline: wall and RSS ratios of label against baseline
    awk -v a="$1" -v b="$2" '$1 == a {wa = $2; ra = $3} $1 == b {wb = $2; rb = $3}
        END {printf "| %-24s | %-20s | %5.2f | %5.2f |\n", a, b, wa / wb, ra / rb}' "$W/out/results"
}

devstack_way() {
    local n
    for n in "${NAMES[@]}"; do
        git clone -q --no-checkout "$BASE/$n" "$DEST/$n"
        (cd "$DEST/$n" && git fetch -q origin master && git -c advice.detachedHead=false checkout -q FETCH_HEAD)
    done
}
xargs_way() {
    printf '%s\n' "${NAMES[@]}" | xargs -P "$P" -I{} git clone -q --depth 1 --branch master "$BASE/{}" "$DEST/{}"
}
rev_parse_each() {
    local n
    for n in "${NAMES[@]}"; do git -C "$DEST/$n" rev-parse HEAD; done
}
ARGS=()
for n in "${NAMES[@]}"; do ARGS+=("$n=$BASE/$n@master"); done
: >"$W/out/results"
B=$W/benchcmd

for scope in small large; do
    case $scope in
    small) sel=("${ARGS[@]:0:SMALL}"); names=("${NAMES[@]:0:SMALL}") ;;
    large) sel=("${ARGS[@]:SMALL}"); names=("${NAMES[@]:SMALL}") ;;
    *) sel=("${ARGS[@]}"); names=("${NAMES[@]}") ;;
    esac
    echo "== $scope (${#sel[@]} repositories, median of $REPS rounds)"
    s=$scope
    add "$s-devstack" "$s-devstack" -- bash -c "NAMES=(${names[*]}); BASE=$BASE; $(declare -f devstack_way); devstack_way"
    add "$s-xargs-depth1" "$s-xargs-depth1" -- bash -c "NAMES=(${names[*]}); BASE=$BASE; P=$P; $(declare -f xargs_way); xargs_way"
    for cl in git go-git; do
        add "$s-$cl-full" "$s-$cl-full" -- sh -c "exec $B -cloner $cl -parallel $P -dest \$DEST ${sel[*]}"
        add "$s-$cl-depth1" "$s-$cl-depth1" -- sh -c "exec $B -cloner $cl -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    done
    add "$s-handoff-full" "$s-handoff-full" -- sh -c "exec $B -cloner auto -small-objects 1 -parallel $P -dest \$DEST ${sel[*]}"
    add "$s-handoff-depth1" "$s-handoff-depth1" -- sh -c "exec $B -cloner auto -small-objects 1 -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    add "$s-auto-full" "$s-auto-full" -- sh -c "exec $B -apply -parallel $P -dest \$DEST ${sel[*]}"
    add "$s-auto-depth1" "$s-auto-depth1" -- sh -c "exec $B -apply -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    # No-op re-apply: the same plan again on the checkouts auto-full just
    # made (its journal present), against one git rev-parse HEAD per
    # repository; -force re-checks every checkout.
    add "$s-rev-parse-each" "$s-auto-full" -- bash -c "NAMES=(${names[*]}); $(declare -f rev_parse_each); rev_parse_each"
    add "$s-reapply" "$s-auto-full" -- sh -c "exec $B -apply -parallel $P -dest \$DEST ${sel[*]}"
    add "$s-reapply-force" "$s-auto-full" -- sh -c "exec $B -apply -force -parallel $P -dest \$DEST ${sel[*]}"
    run_cases
done

echo
echo "| ours                     | baseline             | wall  | RSS   |"
echo "|--------------------------|----------------------|-------|-------|"
for s in small large; do
    for o in git-full go-git-full handoff-full auto-full; do ratio "$s-$o" "$s-devstack"; done
    for o in git-depth1 go-git-depth1 handoff-depth1 auto-depth1; do ratio "$s-$o" "$s-xargs-depth1"; done
    for o in reapply reapply-force; do ratio "$s-$o" "$s-rev-parse-each"; done
done
