// Package plan is the model of a compiled stackplan plan: the resolved
// plugins and the ordered steps of DevStack's stack, unstack and clean
// lifecycles, each step with a stable ID and the source range that caused it.
//
// A Plan is deterministic (the same inputs give byte-identical JSON) and
// holds no secret: the localrc text and the INI fragments that steps need at
// apply time travel in fields that are never serialised, filled in again by
// compiling the recorded inputs, whose sha256 the plan keeps.
//
// The package knows nothing of how steps are carried out.
package plan
