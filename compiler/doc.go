// Package compiler turns a schema.Config into a plan.Plan: it validates the
// configuration (every finding with a stable rule ID from package schema),
// orders the steps as DevStack's stack.sh, unstack.sh and clean.sh run
// them, and masks secrets in everything it returns.
package compiler
