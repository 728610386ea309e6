// Package localconf reads DevStack's local.conf dialect into a schema.Config.
//
// Meta-section headers are split exactly as DevStack's awk programs in
// inc/meta-config split them, quirks included (see split.go). The
// [[local|localrc]] sections are concatenated, as extract_localrc_section
// does, parsed as bash with mvdan.cc/sh/v3/syntax and evaluated statically
// (see eval.go): assignments, enable_plugin and the service functions are
// followed; nothing is ever executed. Whatever only a real run could know
// (command substitution, external commands, source) becomes a cty unknown
// value, and a diagnostic where it matters.
package localconf
