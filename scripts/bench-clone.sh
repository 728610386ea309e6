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

# measure LABEL [keep] -- COMMAND...: runs COMMAND REPS times with DEST set
# to $W/dest-LABEL (emptied first unless "keep"), records the median wall
# time and the largest peak RSS in $W/out/results.
measure() {
    local label=$1 keep=$2; shift 3
    local dest="$W/dest-$label" r walls=() rss=0 w k
    [[ $keep == keep ]] && dest="$W/dest-$KEEP_DEST"
    for ((r = 0; r < REPS; r++)); do
        if [[ $keep != keep ]]; then rm -rf "$dest"; mkdir -p "$dest"; fi
        # Start each run with no dirty pages of the previous one to write
        # back, or later runs pay for earlier ones (WORKDIR on a tmpfs such
        # as /dev/shm leaves the disk out altogether).
        sync
        DEST=$dest /usr/bin/time -f '%e %M' -o "$W/out/$label.time" "$@" >/dev/null 2>"$W/out/$label.err" || { echo "$label failed" >&2; cat "$W/out/$label.err" >&2; }
        read -r w k <"$W/out/$label.time"
        walls+=("$w"); ((k > rss)) && rss=$k
    done
    w=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-26s wall %6.3fs (runs: %s)  peak RSS %6d KB\n' "$label" "$w" "${walls[*]}" "$rss"
    echo "$label $w $rss" >>"$W/out/results"
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
    echo "== $scope (${#sel[@]} repositories, median of $REPS runs)"
    s=$scope
    measure "$s-devstack" - -- bash -c "NAMES=(${names[*]}); BASE=$BASE; $(declare -f devstack_way); devstack_way"
    measure "$s-xargs-depth1" - -- bash -c "NAMES=(${names[*]}); BASE=$BASE; P=$P; $(declare -f xargs_way); xargs_way"
    for cl in git go-git; do
        measure "$s-$cl-full" - -- sh -c "exec $B -cloner $cl -parallel $P -dest \$DEST ${sel[*]}"
        measure "$s-$cl-depth1" - -- sh -c "exec $B -cloner $cl -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    done
    measure "$s-handoff-full" - -- sh -c "exec $B -cloner auto -small-objects 1 -parallel $P -dest \$DEST ${sel[*]}"
    measure "$s-handoff-depth1" - -- sh -c "exec $B -cloner auto -small-objects 1 -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    measure "$s-auto-full" - -- sh -c "exec $B -apply -parallel $P -dest \$DEST ${sel[*]}"
    measure "$s-auto-depth1" - -- sh -c "exec $B -apply -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    # No-op re-apply: the same plan again with the journal present, against
    # one git rev-parse HEAD per repository; -force re-checks every checkout.
    KEEP_DEST=$s-auto-full
    measure "$s-rev-parse-each" keep -- bash -c "NAMES=(${names[*]}); $(declare -f rev_parse_each); rev_parse_each"
    measure "$s-reapply" keep -- sh -c "exec $B -apply -parallel $P -dest \$DEST ${sel[*]}"
    measure "$s-reapply-force" keep -- sh -c "exec $B -apply -force -parallel $P -dest \$DEST ${sel[*]}"
done

echo
echo "| ours                     | baseline             | wall  | RSS   |"
echo "|--------------------------|----------------------|-------|-------|"
for s in small large; do
    for o in git-full go-git-full handoff-full auto-full; do ratio "$s-$o" "$s-devstack"; done
    for o in git-depth1 go-git-depth1 handoff-depth1 auto-depth1; do ratio "$s-$o" "$s-xargs-depth1"; done
    for o in reapply reapply-force; do ratio "$s-$o" "$s-rev-parse-each"; done
done
