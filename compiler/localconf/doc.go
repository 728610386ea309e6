// Package localconf reads DevStack's local.conf dialect into a schema.Config.
//
// Meta-section headers are split exactly as DevStack's awk programs in
// inc/meta-config split them, quirks included (see split.go). The
// [[local|localrc]] sections are concatenated, as extract_localrc_section
// does, and evaluated statically by package evaluator, which every
// front-end shares; nothing is ever executed.
package localconf
