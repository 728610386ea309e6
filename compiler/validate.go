package compiler

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// validatePlugins checks every plugin registration: the rules DevStack
// enforces (it dies on a duplicate or an empty name) and the ones it lacks.
// Messages quote values; those derived from secrets are masked with red.
func validatePlugins(cfg *schema.Config, red *schema.Redactor) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, p := range cfg.Plugins {
		found := validatePlugin(p)
		if p.Name.Secret || p.URL.Secret || p.Ref.Secret || p.Dir.Secret {
			for _, d := range found {
				d.Summary, d.Detail = red.Redact(d.Summary), red.Redact(d.Detail)
			}
		}
		diags = append(diags, found...)
	}
	return append(diags, duplicates(cfg.Plugins)...)
}

func validatePlugin(p schema.Plugin) hcl.Diagnostics {
	var diags hcl.Diagnostics
	{
		diags = append(diags, validateName(p)...)
		diags = append(diags, validateURL(p)...)
		diags = append(diags, validateRef(p)...)
		if len(p.Extra) > 0 {
			last := p.Extra[len(p.Extra)-1].Range
			diags = append(diags, schema.RuleExtraArguments.Diag(
				fmt.Sprintf("enable_plugin %s has %d argument(s) after the ref", p.Name.Text, len(p.Extra)),
				"enable_plugin takes NAME URL [REF]; DevStack ignores the rest.",
				hcl.RangeBetween(p.Extra[0].Range, last)))
		}
		if p.Dir.Known() && p.Name.Known() && schema.CheckName(p.Name.String()) == nil {
			if err := schema.CheckDest(path.Dir(p.Dir.String())); err != nil {
				diags = append(diags, schema.RuleUnsafeDest.Diag(
					fmt.Sprintf("the directory of plugin %s is under an unsafe DEST", p.Name.Text),
					err.Error()+"; apply refuses it. Choose a DEST without them.",
					p.Name.Range))
			}
		}
		if p.Dir.Known() && !path.IsAbs(p.Dir.String()) {
			diags = append(diags, schema.RuleRelativeDest.Diag(
				fmt.Sprintf("plugin directory %q is not absolute", p.Dir.String()),
				"DEST is relative here, so the checkout would land wherever DevStack happens to run. Set DEST to an absolute path.",
				p.Name.Range))
		}
	}
	return diags
}

// duplicates reports a plugin enabled twice, where DevStack dies.
func duplicates(plugins []schema.Plugin) hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := map[string]schema.Plugin{}
	for _, p := range plugins {
		if !p.Name.Known() || p.Name.String() == "" {
			continue
		}
		name := p.Name.String()
		if prev, dup := first[name]; dup {
			if prev.Conditional && p.Conditional {
				continue // both depend on conditions plan time cannot tell apart
			}
			diags = append(diags, schema.RuleDuplicatePlugin.Diag(
				fmt.Sprintf("plugin %s is enabled twice", name),
				fmt.Sprintf("It was first enabled at %s:%d. DevStack dies here with \"Plugin attempted to be enabled twice\".", prev.Range.Filename, prev.Range.Start.Line),
				p.Name.Range))
			continue
		}
		first[name] = p
	}
	return diags
}

func validateName(p schema.Plugin) hcl.Diagnostics {
	switch {
	case p.Name.Missing() || p.Name.Known() && p.Name.String() == "":
		detail := becauseEmpty("name", p.Name, "DevStack dies on an empty plugin name (\"Plugin attempted to be enabled twice\").")
		return hcl.Diagnostics{schema.RuleEmptyName.Diag("enable_plugin without a plugin name", detail, subject(p.Name, p.Range))}
	case !p.Name.Known():
		return hcl.Diagnostics{unknownDiag(schema.RuleUnknownValue, "plugin name", p.Name)}
	}
	if name := p.Name.String(); strings.ContainsAny(name, "*?[") && !strings.ContainsAny(p.Name.Text, `'"\`) {
		return hcl.Diagnostics{schema.RuleInvalidName.Diag(fmt.Sprintf("plugin name %s is a glob", p.Name.Text),
			"Unquoted, bash expands it against the files of the directory stack.sh runs in (DevStack's checkout): which plugin this is, or whether it is several, depends on those files. Write the plugin's name.",
			p.Name.Range)}
	}
	if err := schema.CheckName(p.Name.String()); err != nil {
		return hcl.Diagnostics{schema.RuleInvalidName.Diag(err.Error(),
			"The name becomes the directory DEST/NAME and a word in DevStack's unquoted loops: a path separator, \"..\", whitespace, a comma or a glob character would put the checkout elsewhere or split it into several plugins.",
			p.Name.Range)}
	}
	return nil
}

func validateURL(p schema.Plugin) hcl.Diagnostics {
	switch {
	case p.URL.Missing() || p.URL.Known() && p.URL.String() == "":
		detail := becauseEmpty("URL", p.URL, "DevStack has no default URL: without one, git_clone's arguments shift and the clone lands in the wrong place.")
		return hcl.Diagnostics{schema.RuleMissingURL.Diag(fmt.Sprintf("enable_plugin %s has no URL", p.Name.Text), detail, subject(p.URL, p.Range))}
	case !p.URL.Known():
		return hcl.Diagnostics{unknownDiag(schema.RuleUnknownValue, "plugin URL", p.URL)}
	}
	var diags hcl.Diagnostics
	switch prob, why := schema.CheckURL(p.URL.String()); prob {
	case schema.URLBadScheme:
		diags = append(diags, schema.RuleURLScheme.Diag(why, "Plugin URLs may use https, http, git, ssh (URL or scp-like user@host:path), file:// or a local path.", p.URL.Range))
	case schema.URLCredentials:
		diags = append(diags, schema.RuleURLCredentials.Diag("credentials inside the plugin URL", why+". A URL is copied into logs, plans and .git/config.", p.URL.Range))
	}
	return append(diags, unsetNote(p, "URL", p.URL)...)
}

func validateRef(p schema.Plugin) hcl.Diagnostics {
	if !p.Ref.Known() {
		return hcl.Diagnostics{unknownDiag(schema.RuleUnknownRef, "plugin ref", p.Ref)}
	}
	var diags hcl.Diagnostics
	switch prob, why := schema.CheckRef(p.Ref.String()); prob {
	case schema.RefInvalid:
		diags = append(diags, schema.RuleInvalidRef.Diag(why, "DevStack passes the ref unquoted to git fetch: it must be a valid branch, tag, full commit id or refs/... name.", p.Ref.Range))
	case schema.RefAbbreviatedSHA:
		diags = append(diags, schema.RuleAbbreviatedSHA.Diag(why, "DevStack's git fetch origin REF fails with \"couldn't find remote ref\" for an abbreviated id.", p.Ref.Range))
	}
	diags = append(diags, unsetNote(p, "ref", p.Ref)...)
	return diags
}

// becauseEmpty puts why a value came out empty, when the front-end knows,
// before a diagnostic's detail.
func becauseEmpty(what string, v schema.Value, detail string) string {
	if v.Why == "" {
		return detail
	}
	return "The " + what + " is empty because " + v.Why + ". " + detail
}

// unsetNote warns about a value that was written (not defaulted) and
// expanded with variables that are not set when localrc runs.
func unsetNote(p schema.Plugin, what string, v schema.Value) hcl.Diagnostics {
	if v.Why == "" || v.Text == "" {
		return nil
	}
	return hcl.Diagnostics{schema.RuleUnsetVariable.Diag(
		fmt.Sprintf("the %s of %s expands to %q", what, p.Name.Text, v.String()), v.Why+".", v.Range)}
}

func unknownDiag(rule schema.Rule, what string, v schema.Value) *hcl.Diagnostic {
	detail := fmt.Sprintf("%q is known only when localrc is sourced", v.Text)
	if v.Why != "" {
		detail += ": " + v.Why
	}
	detail += ". stackplan never runs configuration code at plan time; give the value literally, or through a variable assigned literally."
	return rule.Diag(fmt.Sprintf("the %s is not known at plan time", what), detail, v.Range)
}

// subject is v's range, or the whole command when v was not written.
func subject(v schema.Value, whole hcl.Range) hcl.Range {
	if v.Missing() {
		return whole
	}
	return v.Range
}

// validateServices applies DevStack's verify_disabled_services: a service
// named by disable_service must not be back in ENABLED_SERVICES.
func validateServices(cfg *schema.Config) hcl.Diagnostics {
	if !cfg.Services.EnabledKnown || len(cfg.Services.Disabled) == 0 {
		return nil
	}
	var lastEdit *schema.Assignment
	for i, a := range cfg.Assignments {
		if a.Name == "ENABLED_SERVICES" {
			lastEdit = &cfg.Assignments[i]
		}
	}
	if lastEdit == nil {
		return nil // only the service functions changed the list, and they respect disable_service
	}
	var diags hcl.Diagnostics
	for _, s := range cfg.Services.Disabled {
		if slices.Contains(cfg.Services.Enabled, s) {
			diags = append(diags, schema.RuleDisabledReenabled.Diag(
				fmt.Sprintf("service %s is disabled, but ENABLED_SERVICES brings it back", s),
				fmt.Sprintf("DevStack dies after the settings phase with \"ENABLED_SERVICES directly modified to overcome 'disable_service %s'\". Remove the disable_service or the direct edit.", s),
				lastEdit.Range))
		}
	}
	return diags
}

// bashStartupAssignments refuses localrc assignments to variables that
// change how bash starts: exported, a BASH_ENV or SHELLOPTS would make
// every bash a plugin starts run code the plan does not show.
func bashStartupAssignments(cfg *schema.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range cfg.Assignments {
		if err := schema.CheckEnvName(a.Name); err != nil {
			diags = append(diags, schema.RuleBashStartup.Diag(fmt.Sprintf("localrc sets %s", a.Name), err.Error()+".", a.Range))
		}
	}
	return diags
}
