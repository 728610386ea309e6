// Package evaluator is the localrc evaluator: it sources localrc bash
// statically, as DevStack's stackrc would, into a schema.Config. It is
// parsed with mvdan.cc/sh/v3/syntax; assignments, enable_plugin and the
// service functions are followed; nothing is ever executed. Whatever only
// a real run could know (command substitution, external commands, source)
// becomes a cty unknown value, and a diagnostic where it matters. Every
// front-end evaluates through it (localconf the local.conf's localrc
// sections, hclconf and zuul the localrc they generate, see EvalGenerated),
// with the one Options type.
//
// DevStack's service functions (is_service_enabled, enable_service, ...)
// are not reimplemented in Go: the evaluator runs them as bash, from a
// fork-free transcription of functions-common (devstack.go), so their
// quirks are DevStack's. The differential tests (in package localconf,
// through its Parse) run random localrc programs through the real
// functions-common and stackrc and compare.
//
// Why a static evaluator and not mvdan.cc/sh/v3/interp: the interpreter
// runs one path with concrete values. A plan must also carry values known
// only at apply (command substitution, source, eval) and follow both sides
// of a condition that depends on them, marking the plugins they guard as
// conditional; the interpreter has no hook to fork at such a condition nor
// a value that stays unknown through expansions and tests. The evaluator
// uses the same library's parser and expander (mvdan.cc/sh/v3/expand), so
// words, patterns, arithmetic and parameter expansions are expanded by the
// same code the interpreter uses; it keeps control flow, scopes and the
// fork/merge of unknown branches.
package evaluator
