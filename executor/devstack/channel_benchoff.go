//go:build bench_nosecrets

package devstack

// This build, for scripts/bench-devstack.sh only, runs DevStack without
// the secrets channel: what a plugin's hooks define is not masked.
const secretsChannelOff = true
