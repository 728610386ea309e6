// Package zuul reads Zuul job definitions (.zuul.yaml, zuul.yaml,
// zuul.d/*.yaml, .zuul.d/*.yaml) and turns a job's DevStack variables
// (devstack_localrc, devstack_plugins, devstack_services,
// devstack_base_services, devstack_local_conf, tempest_plugins) into one
// schema.Config per node of the job's nodeset.
//
// It does what DevStack's write-devstack-local-conf role does
// (docs/devstack.md §7), with its bugs fixed:
//
//   - variables come in dependency order (a variable after every variable
//     its value refers to, transitively), otherwise sorted by name; plugins
//     likewise, with the requirements given in [Options.Requires];
//   - values are quoted so that bash reads back exactly the value: a value
//     with no $, ` or \ is quoted with mvdan.cc/sh's syntax.Quote; one that
//     has them is written in double quotes as the role does (so $VAR
//     expansions still happen), with the double quotes it holds escaped;
//   - scalars are read as Zuul's PyYAML reads them (YAML 1.1: 0755 is 493,
//     1:30 is 90, 3.10 is 3.1) and written as the role's str() writes them,
//     with a zuul-value warning where the literal was probably meant;
//   - a Jinja expression ({{ }} or {% %}), which Zuul renders only when the
//     job runs, becomes the command substitution $(: 'EXPRESSION'): the
//     static evaluator sees a value known only at run time, the text keeps
//     the expression visible, and bash reads it as an empty string. Each one
//     is reported with rule zuul-jinja at its YAML line.
//
// Job variables are resolved as Zuul and Ansible do for one branch: of each
// job of the parent chain, the definitions whose branches: matcher matches
// the branch apply, in the order Zuul reads them; along the chain
// dictionaries are deep-merged (the child's keys win and take the child's
// position, as current Zuul does), then for each node a
// top-level variable comes from the first of extra-vars, host-vars of the
// node, group-vars of its groups (in group name order, later winning), and
// vars. Ansible replaces a top-level dictionary as a whole, which is why
// DevStack's multi-node jobs repeat devstack_localrc under
// group-vars.subnode.
//
// A value made of node addresses ({{ hostvars['controller']['nodepool']['private_ipv4'] }}
// and the like, see address.go) is recorded in the node's DeployTime, for
// an export to fill in at deploy time.
//
// The localrc text is evaluated by compiler/localconf's EvalGenerated, so a
// Zuul job gets the same checks as a local.conf; every diagnostic and every
// value range points into the YAML.
package zuul
