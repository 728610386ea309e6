#!/usr/bin/env bash
# The main job, end to end and offline: make git repositories of the example
# plugins in a temporary directory, show the plan, then apply the whole
# stack, unstack and clean lifecycles there, printing each hook as it runs.
#
# On a DevStack host, DEVSTACK=/path/to/devstack bash examples/demo.sh
# stacks for real: stackplan clones the plugins, then runs that checkout's
# own stack.sh, unstack.sh and clean.sh (as the user you stack as, with
# every in-tree service disabled) and checks each hook against the plan.
# Without DEVSTACK it is plugin-development mode: the hooks alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/stackplan-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

for dir in "$root"/examples/plugins/*/; do
    name=$(basename "$dir")
    mkdir -p "$work/repos/$name"
    cp -R "$dir". "$work/repos/$name"
    git -C "$work/repos/$name" init -q -b master
    git -C "$work/repos/$name" add -A
    git -C "$work/repos/$name" -c user.name=demo -c user.email=demo@example.invalid commit -q -m "$name plugin"
done

cd "$root"
go build -o "$work/stackplan" ./cmd/stackplan
sp=("$work/stackplan")
args=(--dest "$work/stack" --env "PLUGINS=$work/repos" examples/demo/local.conf)

if [ -n "${DEVSTACK:-}" ]; then
    # DevStack takes DEST from local.conf, and needs its passwords set.
    conf="$work/local.conf"
    awk -v dest="$work/stack" '{ print } /^\[\[local\|localrc\]\]$/ {
        print "DEST=" dest; print "LOGFILE=" dest "/logs/stack.sh.log"
        print "ADMIN_PASSWORD=demo-secret-admin"; print "DATABASE_PASSWORD=demo-secret-db"
        print "RABBIT_PASSWORD=demo-secret-rabbit"; print "SERVICE_PASSWORD=demo-secret-service"
        print "disable_all_services" }' examples/demo/local.conf >"$conf"
    args=(--env "PLUGINS=$work/repos" "$conf")
    # stackplan writes DEVSTACK/local.conf when there is none (and refuses
    # to replace yours): the demo's is removed at the end.
    if [ ! -e "$DEVSTACK/local.conf" ]; then
        trap 'rm -rf "$work"; rm -f "$DEVSTACK/local.conf"' EXIT
    fi
    echo "== stackplan plan"
    "${sp[@]}" plan "${args[@]}"
    echo
    echo "== stackplan apply --devstack $DEVSTACK --lifecycle stack,unstack,clean"
    "${sp[@]}" apply --devstack "$DEVSTACK" --lifecycle stack,unstack,clean "${args[@]}"
    exit
fi

echo "== stackplan plan"
"${sp[@]}" plan "${args[@]}"
echo
echo "== stackplan apply --lifecycle stack"
"${sp[@]}" apply --lifecycle stack "${args[@]}"
echo
echo "== what the post-config merge left in hello.conf"
cat "$work/stack/etc/hello/hello.conf"
echo
echo "== stackplan apply --lifecycle unstack,clean"
"${sp[@]}" apply --lifecycle unstack,clean "${args[@]}"
