//go:build !bench_nosecrets

package devstack

// secretsChannelOff is set only in the build scripts/bench-devstack.sh
// makes to measure what the secrets channel costs (-tags bench_nosecrets).
// No flag, variable or configuration turns the channel off.
const secretsChannelOff = false
