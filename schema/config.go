package schema

import "github.com/hashicorp/hcl/v2"

// Input kinds, as recorded in a plan.
const (
	KindLocalConf = "local.conf" // a local.conf with [[group|file]] meta-sections
	KindLocalrc   = "localrc"    // a legacy headerless localrc: the whole file is bash
	KindHCL       = "hcl"
	KindZuul      = "zuul"
)

// StdinName is how standard input is named in inputs and diagnostics.
const StdinName = "<stdin>"

// Input is one file a Config was read from.
type Input struct {
	// Path is the file name as the user gave it; "-" for standard input.
	Path string
	Kind string
	// Bytes is the whole file as read. Diagnostics renderers use it to show
	// source snippets, and the compiler records its sha256 in the plan.
	Bytes []byte
}

// Config is one DevStack configuration, whatever format it was written in.
type Config struct {
	Inputs []Input

	// Dest is DevStack's DEST once localrc has run (/opt/stack by default):
	// where DevStack, and stackplan's state, live. Each plugin records its
	// own directory, since DEST may change between enable_plugin calls.
	Dest string

	// Localrc holds the localrc sections in the order DevStack concatenates
	// them into .localrc.auto, each with its source range.
	Localrc []Span

	// Assignments are the variable assignments of localrc, in execution order.
	Assignments []Assignment

	// Env lists the variables that were read from the environment (given to
	// the front-end by the caller) because the configuration referred to them.
	Env []EnvVar

	// Plugins are the enable_plugin registrations in execution order.
	Plugins []Plugin

	// Services is the service selection at the end of localrc.
	Services Services

	// Sections are the config meta-sections ([[group|file]] other than
	// [[local|localrc]]) in file order, each header giving one entry.
	Sections []MetaSection

	// Stackrc holds, when a DevStack checkout was given, the variables its
	// stackrc sets after localrc that say where DevStack's own
	// repositories come from (GIT_BASE, *_REPO, *_BRANCH), in stackrc
	// order, as they are once localrc has run.
	Stackrc []StackrcVar
}

// StackrcVar is one assignment of DevStack's stackrc, evaluated after
// localrc.
type StackrcVar struct {
	Name string
	// Value is the value; meaningful only when Known.
	Value string
	Known bool
	// Secret is set when the value comes from a secret-named variable.
	Secret bool
	// Range is the assignment in stackrc.
	Range hcl.Range
}

// StackrcValue returns the stackrc variable name, and whether stackrc sets it.
func (c *Config) StackrcValue(name string) (StackrcVar, bool) {
	for _, v := range c.Stackrc {
		if v.Name == name {
			return v, true
		}
	}
	return StackrcVar{}, false
}

// Node is the configuration of one node of a multi-node deployment: a
// member of a Zuul job's nodeset, or a stack.hcl's node block.
type Node struct {
	Name string
	// Groups are the node's groups (nodeset groups, or its groups
	// attribute), sorted.
	Groups []string
	// Controller is set for the node that runs first: the one named
	// "controller", or else the first of a Zuul nodeset.
	Controller bool
	Config     *Config
	// Diags are the front-end diagnostics, to give compiler.Compile.
	Diags hcl.Diagnostics
	// LocalConf is the node's configuration as a local.conf: for a Zuul
	// job's node, the one DevStack's Zuul role would write (its bugs fixed,
	// see compiler/zuul).
	LocalConf string
	// DeployTime are the values of LocalConf known only when the job is
	// deployed, which an export fills in: node addresses.
	DeployTime []DeployValue
}

// DeployValue is a value of a node's LocalConf made of node addresses,
// such as a Zuul job's "{{ hostvars['controller']['nodepool']['private_ipv4'] }}:9292".
type DeployValue struct {
	// Offset and Len locate the text that stands for it in LocalConf.
	Offset, Len int
	// Shell is set for a localrc value (a bash word), clear for a config
	// file option (written as it is).
	Shell bool
	// Parts are the value, in order: literal text, or a node's address.
	Parts []ValuePart
	// Range is where the value is written in the source.
	Range hcl.Range
}

// ValuePart is literal text, or (Node set) the address of a node.
type ValuePart struct {
	Literal string
	Node    string
}

// Span is a run of source text that is used verbatim, such as a localrc
// section: its text and where it comes from.
type Span struct {
	Text  string
	Range hcl.Range
}

// Assignment is one variable assignment in localrc (or its HCL equivalent).
type Assignment struct {
	Name        string
	Value       Value
	Append      bool // VAR+=value
	Conditional bool // inside an if, case or loop body whose outcome is not known at plan time
	Range       hcl.Range
}

// EnvVar is one variable the evaluation read from the environment.
type EnvVar struct {
	Name  string
	Value string
}

// Plugin is one enable_plugin registration.
type Plugin struct {
	Name Value
	URL  Value
	// Ref is the git ref; DevStack's default "master" when it was not given,
	// in which case Ref.Missing() is false and Ref.Text is empty.
	Ref Value
	// Dir is $DEST/NAME as DevStack computes it at the moment of the call.
	Dir Value
	// Extra holds arguments after the third, which DevStack ignores.
	Extra []Value
	// Conditional is set when the registration happens only under a
	// condition that is not known at plan time.
	Conditional bool
	// Requires lists the plugins this one needs, as declared in the
	// configuration itself.
	Requires []Value
	// Range covers the whole enable_plugin command.
	Range hcl.Range
}

// Services is the service selection after localrc ran.
type Services struct {
	// Enabled is ENABLED_SERVICES split on commas, in order; nil with
	// EnabledKnown false when it depends on values unknown at plan time.
	Enabled      []string
	EnabledKnown bool
	// Disabled lists the services named by disable_service, in order.
	Disabled []string
}

// MetaSection is one [[group|file]] section of a local.conf other than the
// localrc ones: an INI fragment to merge into File at Group's phase.
type MetaSection struct {
	Group string
	// File is the file name exactly as DevStack derives it from the header,
	// e.g. "$NOVA_CONF"; it is expanded only at apply.
	File   string
	Header hcl.Range // the header line
	// Body is the section's raw content, every line kept.
	Body Span
}
