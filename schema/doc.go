// Package schema is stackplan's source-independent model of a DevStack
// configuration.
//
// Every front-end (local.conf, HCL, Zuul YAML) produces a [Config]; the
// compiler validates a Config and turns it into a plan. Each item keeps the
// [hcl.Range] it was written at, so every diagnostic can point at the exact
// bytes that caused it, whatever the input format.
//
// The package also owns the rules every layer shares: what a plugin name, a
// URL and a git ref may look like ([CheckName], [CheckURL], [CheckRef]),
// which variable names hold secrets ([IsSecretName]), and the catalogue of
// diagnostic rule IDs ([Rules]). It imports no front-end, no git and no exec.
package schema
