#!/usr/bin/env bash
# Benchmark of the clone stage (not run in CI). Serves repositories with git
# daemon on 127.0.0.1 (uploadpack.allowFilter on, as opendev.org and GitHub
# have it) and measures whole-process wall time and peak memory
# (/usr/bin/time, median wall of REPS rounds, largest RSS) per scope:
#   small      20 small plugin repositories (20 files, 10 commits)
#   large      3 large ones (~5,000 files, ~2,000 commits)
#   realsize   3 repositories generated at real sizes: ~95,000 objects,
#              5,000 commits, 3,000 files, 100 branches and 100 tags each
#   projects   DevStack's project set (keystone, glance, nova, neutron,
#              placement, requirements; PROJECTS narrows it), real
#              repositories taken from $PROJECTS_DIR/openstack+NAME/repo when
#              there (neutron: 439,000 objects; nova: 655,000); skipped otherwise
# Cases (each scope has those that apply):
#   devstack   DevStack's way, sequential: git clone --no-checkout URL DIR;
#              git fetch origin REF; git checkout FETCH_HEAD
#   xargs-full, xargs-blobless, xargs-depth1
#              xargs -P of git clone --branch REF [--filter=blob:none | --depth 1]
#   stackplan  executor/internal/benchcmd: -cloner git|go-git (git.Ensure),
#              handoff (git.Auto handing every pack to git index-pack after
#              go-git's negotiation, full clones), and auto (git.Auto's own
#              choice through executor.Apply, as stackplan apply runs it:
#              blobless where the pack is large), full history and --depth 1;
#              cache-cold (apply --cache-dir with an empty cache) and
#              cache-warm (a fresh DEST with the cache of an earlier apply)
#   reapply    a second executor.Apply of the same plan with its journal,
#              against one git rev-parse HEAD per repository (and -force,
#              which re-checks every checkout)
# and prints each as a ratio against its baselines. The load average is
# printed before each scope and at the end: the machine is shared.
# Usage: scripts/bench-clone.sh [WORKDIR]   (default: a new directory on /dev/shm, else in TMPDIR)
#   (SCOPES="small large realsize projects" SMALL=20 LARGE=3 FILES=5000 COMMITS=2000 P=4 REPS=3
#    PROJECT_REPS=REPS PROJECTS_DIR=/work/.mirror)
set -euo pipefail
SMALL=${SMALL:-20} LARGE=${LARGE:-3} FILES=${FILES:-5000} COMMITS=${COMMITS:-2000} P=${P:-4} REPS=${REPS:-3}
SCOPES=${SCOPES:-small large realsize projects} PROJECT_REPS=${PROJECT_REPS:-$REPS} PROJECTS_DIR=${PROJECTS_DIR:-/work/.mirror}
# DevStack's project set; PROJECTS="..." narrows it (a snapshot lacking
# objects cannot be cloned whole).
read -r -a PROJECTS <<<"${PROJECTS:-requirements keystone glance neutron nova placement}"
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
has_scope() { [[ " $SCOPES " == *" $1 "* ]]; }
# mkreal name: a repository of real size, written by awk straight into
# fast-import: 3,000 files in 100 directories, then 5,000 commits changing
# 8 files each (every version a new blob of 30 lines), and 100 branches and
# 100 tags spread over the history: about 95,000 objects.
mkreal() {
    local d="$W/srv/$1"
    [[ -d $d ]] && return
    git init -q --bare "$d"
    awk -v name="$1" -v commits=5000 -v files=3000 -v refs=200 '
        function emit(f, c,   body, i) {
            body = ""
            for (i = 0; i < 30; i++) body = body sprintf("value_%d_%d = %d  # line %d of module %d of %s\n", f, i, (c * 31 + i * 17) % 997, i, f, name)
            printf "M 644 inline dir%d/module%d.py\ndata %d\n%s\n", f % 100, f, length(body), body
        }
        BEGIN {
            for (c = 1; c <= commits; c++) {
                msg = "change " c " of " name
                printf "commit refs/heads/master\nmark :%d\ncommitter b <b@example.com> %d +0000\ndata %d\n%s\n", c, 1600000000 + c * 600, length(msg), msg
                if (c == 1) { for (f = 0; f < files; f++) emit(f, c) }
                else { for (k = 0; k < 8; k++) emit((c * 7919 + k * 104729) % files, c) }
                printf "\n"
            }
            half = refs / 2
            for (r = 1; r <= half; r++) printf "reset refs/tags/%d.%d.0\nfrom :%d\n\n", int(r / 10), r % 10, int(r * commits / (half + 1))
            for (r = 1; r <= half; r++) printf "reset refs/heads/stable/b%d\nfrom :%d\n\n", r, int(r * commits / (half + 1)) + 7
        }' | git -C "$d" fast-import --quiet
    git -C "$d" repack -adq
}
echo "building repositories in $W/srv" >&2
if has_scope small; then for ((i = 0; i < SMALL; i++)); do mkrepo "small$i" 20 10; done; fi
if has_scope large; then for ((i = 0; i < LARGE; i++)); do mkrepo "large$i" "$FILES" "$COMMITS"; done; fi
REAL=(real0 real1 real2)
if has_scope realsize; then for n in "${REAL[@]}"; do mkreal "$n"; done; fi
have_projects=
if has_scope projects && [[ -d $PROJECTS_DIR/openstack+${PROJECTS[0]}/repo ]]; then
    have_projects=1
    for n in "${PROJECTS[@]}"; do
        [[ -e $W/srv/$n ]] || ln -s "$PROJECTS_DIR/openstack+$n/repo" "$W/srv/$n"
    done
fi

PORT=${PORT:-$((20000 + RANDOM % 20000))}
# Filters allowed for every repository served, as on opendev.org and GitHub.
git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true \
    daemon --listen=127.0.0.1 --port="$PORT" --export-all --base-path="$W/srv" --reuseaddr "$W/srv" &
DAEMON=$!
sleep 1
BASE="git://127.0.0.1:$PORT"

# add LABEL DEST -- COMMAND...: a case of the current scope; COMMAND runs
# with DEST set to $W/dest-DEST, emptied before each run unless DEST is
# another case's (a re-apply on that case's checkouts).
# PRE, when set while a case is added, is a command run before each of its
# runs, untimed (emptying a cache).
LABELS=() DESTS=() CMDS=() PRES=()
add() {
    local label=$1 dest=$2; shift 3
    LABELS+=("$label") DESTS+=("$dest") CMDS+=("$(printf '%q ' "$@")") PRES+=("${PRE:-}")
}
# run_cases: REPS rounds, each running every case once in the order added,
# so that a machine growing slower or faster over the run affects every
# case alike; then prints each case's median wall time and largest peak
# RSS, and records them in $W/out/results.
run_cases() {
    local r i label dest w k
    for i in "${!LABELS[@]}"; do : >"$W/out/${LABELS[i]}.runs"; done
    for ((r = 0; r < ${ROUNDS:-$REPS}; r++)); do
        for i in "${!LABELS[@]}"; do
            label=${LABELS[i]} dest="$W/dest-${DESTS[i]}"
            if [[ ${DESTS[i]} == "$label" ]]; then rm -rf "$dest"; mkdir -p "$dest"; fi
            if [[ -n ${PRES[i]} ]]; then eval "${PRES[i]}"; fi
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
    LABELS=() DESTS=() CMDS=() PRES=()
}
ratio() { # label baseline: wall and RSS ratios of label against baseline, when both ran
    awk -v a="$1" -v b="$2" '$1 == a {wa = $2; ra = $3} $1 == b {wb = $2; rb = $3}
        END {if (wa != "" && wb > 0) printf "| %-24s | %-20s | %5.2f | %5.2f |\n", a, b, wa / wb, ra / rb}' "$W/out/results"
}

devstack_way() {
    local n
    for n in "${NAMES[@]}"; do
        git clone -q --no-checkout "$BASE/$n" "$DEST/$n"
        (cd "$DEST/$n" && git fetch -q origin master && git -c advice.detachedHead=false checkout -q FETCH_HEAD)
    done
}
xargs_way() { # extra git clone arguments
    printf '%s\n' "${NAMES[@]}" | xargs -P "$P" -I{} git clone -q "$@" --branch master "$BASE/{}" "$DEST/{}"
}
rev_parse_each() {
    local n
    for n in "${NAMES[@]}"; do git -C "$DEST/$n" rev-parse HEAD; done
}
: >"$W/out/results"
B=$W/benchcmd
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

for scope in $SCOPES; do
    case $scope in
    small) names=(); for ((i = 0; i < SMALL; i++)); do names+=("small$i"); done ;;
    large) names=(); for ((i = 0; i < LARGE; i++)); do names+=("large$i"); done ;;
    realsize) names=("${REAL[@]}") ;;
    projects)
        [[ -n $have_projects ]] || { echo "== projects: skipped, no repositories under $PROJECTS_DIR"; continue; }
        names=("${PROJECTS[@]}") ;;
    *) echo "unknown scope $scope" >&2; exit 2 ;;
    esac
    sel=(); for n in "${names[@]}"; do sel+=("$n=$BASE/$n@master"); done
    ROUNDS=$REPS
    [[ $scope == projects ]] && ROUNDS=$PROJECT_REPS
    echo "== $scope (${#sel[@]} repositories, median of $ROUNDS rounds; $(load))"
    s=$scope
    ways="NAMES=(${names[*]}); BASE=$BASE; P=$P; $(declare -f devstack_way xargs_way)"
    add "$s-devstack" "$s-devstack" -- bash -c "$ways; devstack_way"
    add "$s-xargs-full" "$s-xargs-full" -- bash -c "$ways; xargs_way"
    add "$s-xargs-blobless" "$s-xargs-blobless" -- bash -c "$ways; xargs_way --filter=blob:none"
    add "$s-auto-full" "$s-auto-full" -- sh -c "exec $B -apply -parallel $P -dest \$DEST ${sel[*]}"
    cold=$W/cache-cold-$s warm=$W/cache-warm-$s
    PRE="rm -rf $cold" add "$s-cache-cold" "$s-cache-cold" -- sh -c "exec $B -apply -cache $cold -parallel $P -dest \$DEST ${sel[*]}"
    add "$s-cache-warm" "$s-cache-warm" -- sh -c "exec $B -apply -cache $warm -parallel $P -dest \$DEST ${sel[*]}"
    case $scope in
    small | large)
        add "$s-xargs-depth1" "$s-xargs-depth1" -- bash -c "$ways; xargs_way --depth 1"
        for cl in git go-git; do
            add "$s-$cl-full" "$s-$cl-full" -- sh -c "exec $B -cloner $cl -parallel $P -dest \$DEST ${sel[*]}"
            add "$s-$cl-depth1" "$s-$cl-depth1" -- sh -c "exec $B -cloner $cl -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
        done
        add "$s-handoff-full" "$s-handoff-full" -- sh -c "exec $B -cloner auto -full -small-objects 1 -parallel $P -dest \$DEST ${sel[*]}"
        add "$s-auto-depth1" "$s-auto-depth1" -- sh -c "exec $B -apply -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
        # No-op re-apply: the same plan again on the checkouts auto-full just
        # made (its journal present), against one git rev-parse HEAD per
        # repository; -force re-checks every checkout.
        add "$s-rev-parse-each" "$s-auto-full" -- bash -c "NAMES=(${names[*]}); $(declare -f rev_parse_each); rev_parse_each"
        add "$s-reapply" "$s-auto-full" -- sh -c "exec $B -apply -parallel $P -dest \$DEST ${sel[*]}"
        add "$s-reapply-force" "$s-auto-full" -- sh -c "exec $B -apply -force -parallel $P -dest \$DEST ${sel[*]}"
        ;;
    esac
    # The warm cache: one apply into a throwaway DEST before the rounds.
    rm -rf "$warm" "$W/dest-warmup"
    "$B" -apply -cache "$warm" -parallel "$P" -dest "$W/dest-warmup" "${sel[@]}" >/dev/null
    rm -rf "$W/dest-warmup"
    run_cases
done
echo "after the run: $(load)"

echo
echo "| ours                     | baseline             | wall  | RSS   |"
echo "|--------------------------|----------------------|-------|-------|"
for s in $SCOPES; do
    grep -q "^$s-devstack " "$W/out/results" || continue
    for o in xargs-full xargs-blobless auto-full cache-cold git-full go-git-full handoff-full; do ratio "$s-$o" "$s-devstack"; done
    for o in auto-full cache-cold; do ratio "$s-$o" "$s-xargs-blobless"; done
    ratio "$s-cache-warm" "$s-cache-cold"
    ratio "$s-cache-warm" "$s-devstack"
    for o in git-depth1 go-git-depth1 auto-depth1; do ratio "$s-$o" "$s-xargs-depth1"; done
    for o in reapply reapply-force; do ratio "$s-$o" "$s-rev-parse-each"; done
done
