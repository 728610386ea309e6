package schema

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// Rule is one kind of finding. Its ID is stable: users suppress it with
// "# stackplan: ignore=ID", SARIF reports it, and docs/rules.md documents it
// with a bad and a good example.
type Rule struct {
	ID       string
	Severity hcl.DiagnosticSeverity
	// Summary says in one line what the rule catches.
	Summary string
}

var rules = map[string]Rule{}

func register(id string, sev hcl.DiagnosticSeverity, summary string) Rule {
	if _, dup := rules[id]; dup {
		panic("schema: rule registered twice: " + id)
	}
	r := Rule{ID: id, Severity: sev, Summary: summary}
	rules[id] = r
	return r
}

// Rules returns every rule, sorted by ID.
func Rules() []Rule {
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LookupRule returns the rule with the given ID.
func LookupRule(id string) (Rule, bool) {
	r, ok := rules[id]
	return r, ok
}

const (
	sevError   = hcl.DiagError
	sevWarning = hcl.DiagWarning
)

// The rules. Front-ends and the compiler create every diagnostic through one
// of these, so each finding carries a stable ID.
var (
	// Input and syntax.
	RuleInput      = register("input", sevError, "the input cannot be read as a configuration (binary data, invalid UTF-8, too large)")
	RuleLimit      = register("limit", sevError, "the input exceeds a structural limit (nesting depth, number of statements)")
	RuleBashSyntax = register("bash-syntax", sevError, "a bash syntax error in localrc: DevStack stops sourcing there and drops every later line")
	RuleCRLF       = register("crlf", sevError, "CRLF line endings: DevStack finds no header and silently ignores the whole file")

	// Meta-section headers.
	RuleHeaderLikeLine      = register("header-like-line", sevError, "a localrc line that DevStack reads as a meta-section header, ending the section")
	RuleMalformedHeader     = register("malformed-header", sevError, "a line that looks like a meta-section header but is not one to DevStack")
	RuleHeaderTrailingText  = register("header-trailing-text", sevWarning, "text glued after ]] becomes part of the file name")
	RuleUnknownSection      = register("unknown-section", sevError, "a meta-section group or [[local|...]] file that DevStack does not use")
	RuleContentBeforeHeader = register("content-before-header", sevWarning, "content before the first meta-section header, which DevStack ignores")
	RuleUnknownIgnore       = register("unknown-ignore", sevWarning, "a \"# stackplan: ignore=RULE\" comment naming a rule that does not exist, so it suppresses nothing")
	RuleINIDropped          = register("ini-dropped", sevError, "an INI line of a config meta-section that DevStack's merge drops or misfiles: an indented [section], a key before any section, a broken continuation")
	RuleNoLocalrc           = register("no-localrc", sevWarning, "a local.conf without a [[local|localrc]] section")

	// localrc evaluation.
	RuleUnknownCommand     = register("unknown-command", sevError, "a command that looks like a misspelt DevStack function")
	RuleConditionalPlugin  = register("conditional-plugin", sevWarning, "a plugin enabled only under a condition that is not known at plan time")
	RuleDestAfterPlugin    = register("dest-after-plugin", sevWarning, "DEST changed after enable_plugin: earlier plugins keep the old directory")
	RuleLegacyLocalrc      = register("legacy-localrc", sevWarning, "a legacy localrc file beside local.conf, which DevStack sources instead of the [[local|localrc]] sections")
	RuleNotEvaluated       = register("not-evaluated", sevWarning, "a construct stackplan does not run at plan time (source, eval, command substitution)")
	RuleUnknownValue       = register("unknown-value", sevError, "a plugin name or URL that is only known when the localrc runs")
	RuleUnsetVariable      = register("unset-variable", sevWarning, "a plugin argument refers to a variable that is not set when localrc runs")
	RuleUnknownRef         = register("unknown-ref", sevWarning, "a plugin ref that is only known when the localrc runs")
	RuleDisabledThenEnable = register("enable-disabled-service", sevWarning, "enable_service of a service disabled earlier, which DevStack skips")
	RuleRefNotFound        = register("ref-not-found", sevError, "a plugin ref its remote does not have (plan --online)")
	RuleRemoteUnreachable  = register("remote-unreachable", sevWarning, "a plugin remote that could not be asked for its refs (--online), or cloned to read its settings (--fetch: an error)")
	RuleStaleCheckout      = register("stale-checkout", sevWarning, "an existing checkout that DevStack would use as it is although it differs from the config, or that RECLONE would meet with local work")
	RuleLibraryPlugin      = register("library-plugin", sevWarning, "a plugin named like a library stackrc registers: DevStack clones stackrc's repository and branch instead")
	RuleStackrcDies        = register("stackrc-dies", sevError, "a localrc setting that makes stackrc stop DevStack right after localrc (WSGI_MODE other than uwsgi)")
	RuleBashStartup        = register("bash-startup-variable", sevError, "a variable that changes how bash starts (BASH_ENV, ENV, SHELLOPTS, BASHOPTS, PROMPT_COMMAND, PS4, ...), which runs code the plan does not show")
	RuleDisabledReenabled  = register("disabled-service-reenabled", sevError, "ENABLED_SERVICES edited directly to bring back a disabled service: DevStack dies")

	// Plugins.
	RuleDuplicatePlugin = register("duplicate-plugin", sevError, "a plugin enabled twice: DevStack dies")
	RuleEmptyName       = register("empty-plugin-name", sevError, "an empty plugin name: DevStack dies")
	RuleInvalidName     = register("invalid-plugin-name", sevError, "a plugin name outside [A-Za-z0-9][A-Za-z0-9._-]*")
	RuleMissingURL      = register("missing-url", sevError, "enable_plugin without a URL")
	RuleExtraArguments  = register("extra-arguments", sevWarning, "arguments after the ref, which DevStack ignores")
	RuleRelativeDest    = register("relative-dest", sevError, "a plugin directory that is not an absolute path, because DEST is relative")
	RuleUnsafeDest      = register("unsafe-dest", sevError, "a DEST holding whitespace, control or glob characters, which DevStack's unquoted $DEST splits or expands")
	RuleURLScheme       = register("url-scheme", sevError, "a URL transport outside https, http, git, ssh, scp-like, file and local paths")
	RuleURLCredentials  = register("url-credentials", sevError, "credentials inside a plugin URL")
	RuleInvalidRef      = register("invalid-ref", sevError, "a git ref that git or DevStack cannot use")
	RuleAbbreviatedSHA  = register("abbreviated-sha", sevError, "an abbreviated commit id, which DevStack's fetch cannot resolve")
	RuleBranchMismatch  = register("branch-mismatch", sevWarning, "a plugin on another branch than TARGET_BRANCH, or than the other plugins")

	// Plugin dependencies (plugin_requires; an extension: DevStack checks none).
	RuleRequiresMissing     = register("requires-missing", sevError, "a plugin requires another that is not enabled")
	RuleRequiresOrder       = register("requires-order", sevError, "a plugin is enabled before a plugin it requires")
	RuleRequiresCycle       = register("requires-cycle", sevError, "plugins that require each other in a cycle")
	RuleSettingsDeclaration = register("settings-declaration", sevWarning, "a define_plugin or plugin_requires that DevStack's Zuul role reads differently from what it says")

	// stack.hcl.
	RuleRawBash   = register("raw-bash", sevWarning, "a raw bash block in stack.hcl: carried verbatim and evaluated like localrc, not checked structurally")
	RuleHCLSchema = register("hcl-schema", sevError, "a block, attribute or label that stack.hcl does not have or does not allow there")
	RuleHCLValue  = register("hcl-value", sevError, "an expression whose value cannot be used: wrong type, invalid, or known only at apply where plan time needs it")
)

// RuleExtra is what a diagnostic made by [Rule.Diag] carries in its Extra field.
type RuleExtra struct{ Rule string }

// Diag makes a diagnostic of this rule at subject.
func (r Rule) Diag(summary, detail string, subject hcl.Range) *hcl.Diagnostic {
	return r.DiagSeverity(r.Severity, summary, detail, subject)
}

// DiagSeverity is Diag with a severity other than the rule's default.
func (r Rule) DiagSeverity(sev hcl.DiagnosticSeverity, summary, detail string, subject hcl.Range) *hcl.Diagnostic {
	s := subject
	return &hcl.Diagnostic{
		Severity: sev,
		Summary:  summary,
		Detail:   detail,
		Subject:  &s,
		Extra:    RuleExtra{Rule: r.ID},
	}
}

// RuleOf returns the rule ID of a diagnostic, or "" for one that has none
// (such as HCL's own syntax errors).
func RuleOf(d *hcl.Diagnostic) string {
	if x, ok := hcl.DiagnosticExtra[RuleExtra](d); ok {
		return x.Rule
	}
	return ""
}
