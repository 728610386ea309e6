#!/usr/bin/env bash
# faults.sh: the fault and load loop. Applies plans against loopback git
# servers (git daemon and git http-backend on 127.0.0.1) while injecting a
# fault in each run (server killed mid-transfer, slow server, Ctrl-C at a
# random point, two applies on one destination, a failing step, a full disk
# on a small tmpfs when mount is permitted, kill -9 of another stackplan
# process mid-clone and mid-step, a full disk under DEST/.stackplan while
# the journal is written, a step that leaves a background process holding
# the output pipes, and kill -9 of `apply --devstack` while DevStack's real
# stack.sh runs), and checks after each run that no destination holds a
# partial checkout, that nothing of a killed apply goes on, and that the
# next apply completes.
#
# kill9-devstack needs root and the DevStack tree (../shared/devstack, or
# $STACKPLAN_DEVSTACK), and prepares the host with devstack-host.sh; it is
# skipped, saying why, without them. It stacks for real (every in-tree
# service disabled, one plugin): a round takes a minute or more.
#
#   scripts/faults.sh [RUNS] [SEED] [KINDS]
#
# KINDS (comma-separated) injects only those faults, e.g. kill9-clone.
#
# Not part of CI: it runs for minutes. Prints runs, faults injected, failures.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-40}
seed=${2:-1}
only=${3:-}
cd "$repo"
go test -v -tags faults -count=1 -timeout 300m -run '^TestFaultLoop$' ./executor/ -args -fault.runs="$runs" -fault.seed="$seed" -fault.only="$only"
