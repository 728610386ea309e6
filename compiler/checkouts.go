package compiler

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// CheckoutState is a checkout the caller found at a plugin's directory
// (plan --dest).
type CheckoutState struct {
	URL, Commit, Branch   string
	Changed, LocalCommits int
	// Err is set when the directory exists but is not a usable checkout.
	Err error
}

// compareCheckouts records each existing checkout in the plan with what
// apply will do about it, and warns where DevStack would silently use a
// stale one or where RECLONE would meet local work.
func compareCheckouts(cfg *schema.Config, plugins []plan.Plugin, opts Options) hcl.Diagnostics {
	if len(opts.Checkouts) == 0 {
		return nil
	}
	sw := SwitchesOf(cfg, opts.Env)
	var diags hcl.Diagnostics
	for i, pl := range cfg.Plugins {
		if !pl.Dir.Known() {
			continue
		}
		st, found := opts.Checkouts[pl.Dir.String()]
		if !found {
			continue
		}
		name, dir := plugins[i].Name, pl.Dir.String()
		if st.Err != nil {
			diags = append(diags, schema.RuleStaleCheckout.Diag(
				fmt.Sprintf("%s exists but is not a usable git checkout", dir),
				fmt.Sprintf("%v. DevStack would use or update it and fail; remove it so that apply clones %s afresh.", st.Err, name),
				pl.Range))
			continue
		}
		co := &plan.Checkout{
			URL: schema.RedactURLs(st.URL), Commit: st.Commit, Branch: st.Branch,
			Changed: st.Changed, LocalCommits: st.LocalCommits, Action: "keep",
		}
		var drift []string
		if pl.URL.Known() && !sameRepository(st.URL, pl.URL.String()) {
			co.Drift = append(co.Drift, "url")
			drift = append(drift, fmt.Sprintf("it comes from %s, the configuration says %s", co.URL, plugins[i].URL))
		}
		if c := plugins[i].Commit; c != "" && c != st.Commit {
			co.Drift = append(co.Drift, "commit")
			drift = append(drift, fmt.Sprintf("it is at %.12s, %s points at %.12s", st.Commit, plugins[i].Ref, c))
		}
		local := localWork(st)
		switch {
		case sw.Reclone && local != "":
			co.Action = "refuse"
			diags = append(diags, schema.RuleStaleCheckout.Diag(
				fmt.Sprintf("RECLONE would discard local work in %s", dir),
				fmt.Sprintf("The checkout of %s has %s. apply refuses to update it without --force; commit and push the work first.", name, local),
				pl.Range))
		case sw.Reclone:
			co.Action = "update"
		case len(drift) > 0:
			diags = append(diags, schema.RuleStaleCheckout.Diag(
				fmt.Sprintf("the checkout of %s at %s is stale", name, dir),
				fmt.Sprintf("%s. Without RECLONE, DevStack uses an existing checkout as it is; set RECLONE=yes (or apply --reclone) to move it.", capitalize(strings.Join(drift, "; "))),
				pl.Range))
		}
		plugins[i].Checkout = co
	}
	return diags
}

func localWork(st CheckoutState) string {
	var parts []string
	if st.Changed > 0 {
		parts = append(parts, fmt.Sprintf("%d file(s) with uncommitted changes", st.Changed))
	}
	if st.LocalCommits > 0 {
		parts = append(parts, fmt.Sprintf("%d local commit(s)", st.LocalCommits))
	}
	return strings.Join(parts, " and ")
}

// sameRepository compares two repository URLs the way people write them:
// a trailing "/" or ".git", and file:// against a plain path, do not count.
func sameRepository(a, b string) bool {
	norm := func(u string) string {
		u = strings.TrimPrefix(u, "file://")
		u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
		return strings.TrimSuffix(u, "/")
	}
	return norm(a) == norm(b)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
