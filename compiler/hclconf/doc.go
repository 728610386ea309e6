// Package hclconf reads stack.hcl, the HCL equivalent of a local.conf, into
// a schema.Config (the language is documented in docs/hcl.md).
//
// A stack.hcl is compiled to the localrc bash DevStack will source: each
// localrc, plugin, services and bash block becomes bash text (values quoted
// with mvdan.cc/sh/v3/syntax.Quote, references to localrc variables kept as
// "${NAME}"), and that text is evaluated by the very evaluator that reads a
// local.conf's localrc (evaluator.EvalGenerated). The two formats therefore
// cannot disagree on what a plugin, a service or a variable comes out as,
// and the script a plan's localrc step sources registers exactly the
// plugins the plan lists. Ranges point at the HCL blocks and expressions.
//
// Expressions that are not a plain template of literals and variable
// references (function calls, env.NAME, conditionals, arithmetic) are
// evaluated at plan time with go-cty: the localrc variables as they stand
// after the blocks before, an env object of the environment given by the
// caller, and cty's standard functions.
package hclconf
