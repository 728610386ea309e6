#!/usr/bin/env bash
# differential.sh: compare stackplan's localrc evaluator with DevStack's real
# functions-common and stackrc on many generated localrc programs.
#
#   scripts/differential.sh [COUNT [SEED [SHOW]]]
#
# COUNT programs (default 20000) are generated from SEED (default: the date,
# so each day explores new programs) and run through DevStack's functions
# (the tree beside the repository, ../shared/devstack) and through the
# evaluator. The test prints the agreement and the first SHOW (default 20)
# disagreements, each with the program that shows it. CI runs the same
# comparison on 1,000 programs with a fixed seed (TestDifferentialDevStack).
#
# It then measures the other design issue #14 weighed: the same programs,
# issue #14's constructs and the corpus run in mvdan.cc/sh/v3/interp
# (interp_test.go), with the first SHOW of its disagreements.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20000}
seed=${2:-$(date +%Y%m%d)}
show=${3:-20}
echo "differential: $count programs, seed $seed"
go test ./compiler/localconf/ -run '^(TestAgreementReport|TestInterpAgreementReport|TestInterpConstructsReport|TestInterpCorpusReport)$' \
    -v -timeout 0 -agreement.n="$count" -agreement.seed="$seed" -agreement.show="$show" |
    grep -v '^=== RUN'
