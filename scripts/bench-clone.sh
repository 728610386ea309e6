#!/usr/bin/env bash
# Benchmark of the clone stage (not run in CI). Builds 20 small plugin
# repositories and 3 large ones (~5,000 files, ~2,000 commits), serves them
# with git daemon on 127.0.0.1, and measures whole-process wall time and
# peak memory (/usr/bin/time -v) of:
#   devstack   DevStack's way, sequential: git clone --no-checkout URL DIR;
#              git fetch origin REF; git checkout FETCH_HEAD
#   xargs      xargs -P of git clone --depth 1 --branch REF
#   stackplan  executor/internal/benchcmd with -cloner auto|git|go-git,
#              full history and --depth 1
# Usage: scripts/bench-clone.sh [WORKDIR]   (SMALL=20 LARGE=3 FILES=5000 COMMITS=2000 P=4)
set -euo pipefail
SMALL=${SMALL:-20} LARGE=${LARGE:-3} FILES=${FILES:-5000} COMMITS=${COMMITS:-2000} P=${P:-4}
W=${1:-$(mktemp -d)}
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
trap 'kill $DAEMON 2>/dev/null' EXIT
sleep 1
BASE="git://127.0.0.1:$PORT"
NAMES=()
for ((i = 0; i < SMALL; i++)); do NAMES+=("small$i"); done
for ((i = 0; i < LARGE; i++)); do NAMES+=("large$i"); done

measure() { # label command...
    local label=$1; shift
    local dest="$W/dest-$label"
    rm -rf "$dest"; mkdir -p "$dest"
    DEST=$dest /usr/bin/time -v -o "$W/out/$label.time" "$@" >/dev/null 2>"$W/out/$label.err" || { echo "$label failed" >&2; cat "$W/out/$label.err" >&2; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/out/$label.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/out/$label.time")
    printf '%-22s wall %-10s peak RSS %s KB\n' "$label" "$wall" "$rss"
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
export -f devstack_way xargs_way
export BASE P
ARGS=()
for n in "${NAMES[@]}"; do ARGS+=("$n=$BASE/$n@master"); done

for scope in all small large; do
    case $scope in
    small) sel=("${ARGS[@]:0:SMALL}"); names=("${NAMES[@]:0:SMALL}") ;;
    large) sel=("${ARGS[@]:SMALL}"); names=("${NAMES[@]:SMALL}") ;;
    *) sel=("${ARGS[@]}"); names=("${NAMES[@]}") ;;
    esac
    echo "== $scope (${#sel[@]} repositories)"
    NAMES_SAVED=("${NAMES[@]}"); NAMES=("${names[@]}")
    measure "$scope-devstack" bash -c "NAMES=(${names[*]}); $(declare -f devstack_way); devstack_way"
    measure "$scope-xargs-depth1" bash -c "NAMES=(${names[*]}); $(declare -f xargs_way); xargs_way"
    for cl in auto git go-git; do
        measure "$scope-$cl-full" sh -c "exec $W/benchcmd -cloner $cl -parallel $P -dest \$DEST ${sel[*]}"
        measure "$scope-$cl-depth1" sh -c "exec $W/benchcmd -cloner $cl -parallel $P -depth 1 -dest \$DEST ${sel[*]}"
    done
    NAMES=("${NAMES_SAVED[@]}")
done
