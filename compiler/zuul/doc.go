// Package zuul reads Zuul job definitions (.zuul.yaml, zuul.yaml,
// zuul.d/*.yaml, .zuul.d/*.yaml) and turns a job's DevStack variables
// (devstack_localrc, devstack_plugins, devstack_services,
// devstack_base_services, devstack_local_conf, tempest_plugins) into one
// schema.Config per node of the job's nodeset.
//
// It does what DevStack's write-devstack-local-conf role does
// (devstack-plugins.md §7), with its bugs fixed:
//
//   - variables come in dependency order (a variable after every variable
//     its value refers to, transitively), otherwise sorted by name; plugins
//     likewise, with the requirements given in [Options.Requires];
//   - values are quoted so that bash reads back exactly the value: a value
//     with no $, ` or \ is quoted with mvdan.cc/sh's syntax.Quote; one that
//     has them is written in double quotes as the role does (so $VAR
//     expansions still happen), with the double quotes it holds escaped;
//   - YAML numbers keep the text they are written as (8.0 stays 8.0, 3.10
//     stays 3.10), where the role's str() gives 3.1;
//   - a Jinja expression ({{ }} or {% %}), which Zuul renders only when the
//     job runs, becomes the command substitution $(: 'EXPRESSION'): the
//     static evaluator sees a value known only at run time, the text keeps
//     the expression visible, and bash reads it as an empty string. Each one
//     is reported with rule zuul-jinja at its YAML line.
//
// Job variables are resolved as Zuul and Ansible do: along the parent chain
// dictionaries are deep-merged (the child's keys win), then for each node a
// top-level variable comes from the first of extra-vars, host-vars of the
// node, group-vars of its groups (in group name order, later winning), and
// vars. Ansible replaces a top-level dictionary as a whole, which is why
// DevStack's multi-node jobs repeat devstack_localrc under
// group-vars.subnode.
//
// The localrc text is evaluated by compiler/localconf's EvalGenerated, so a
// Zuul job gets the same checks as a local.conf; every diagnostic and every
// value range points into the YAML.
package zuul
