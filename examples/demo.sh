#!/usr/bin/env bash
# The main job, end to end and offline: make git repositories of the example
# plugins in a temporary directory, show the plan, then apply the whole
# stack, unstack and clean lifecycles there, printing each hook as it runs.
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
