// Package convert translates between local.conf and stack.hcl.
//
// [ToHCL] writes a local.conf's Config (from localconf.Parse) as stack.hcl:
// each top-level localrc statement that stack.hcl can say (a plain
// assignment, enable_plugin with known arguments, enable_service,
// disable_service, disable_all_services) becomes a block; everything else
// is carried verbatim in a bash block, with a warning, never dropped.
// Comments are kept where they can be placed. [ToLocalConf] writes any
// Config back as a local.conf: the localrc spans (for a stack.hcl, the bash
// its blocks compile to, comments included) under one [[local|localrc]]
// header, then each config section.
package convert
