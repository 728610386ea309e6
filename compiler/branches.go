package compiler

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// stackrcTargetBranch is TARGET_BRANCH as stackrc sets it before sourcing
// localrc (docs/devstack.md §2.5); a localrc assignment replaces it.
const stackrcTargetBranch = "master"

// validateBranches reports plugins whose branch does not match the rest of
// the deployment: a ref that is not TARGET_BRANCH when localrc sets
// TARGET_BRANCH, or else a plugin on another branch than most of the
// others, such as one left on master while the rest are on a stable branch.
// DevStack clones whatever it is given, and the services then fail at
// install or at run time on mismatched requirements.
func validateBranches(cfg *schema.Config) hcl.Diagnostics {
	type onBranch struct {
		p      schema.Plugin
		branch string
	}
	var plugins []onBranch
	count := map[string]int{}
	var order []string
	for _, p := range cfg.Plugins {
		b, ok := pluginBranch(p)
		if !ok {
			continue
		}
		plugins = append(plugins, onBranch{p, b})
		if count[b] == 0 {
			order = append(order, b)
		}
		count[b]++
	}
	want, set := targetBranch(cfg)
	why := fmt.Sprintf("TARGET_BRANCH is %s", want)
	if !set {
		// No TARGET_BRANCH: the branch most plugins are on (the first
		// written, on a tie) is the deployment's.
		want = ""
		for _, b := range order {
			if count[b] > count[want] {
				want = b
			}
		}
		if count[want] < 2 || len(order) < 2 {
			return nil
		}
		why = fmt.Sprintf("%d of the %d plugins on a release branch are on %s", count[want], len(plugins), want)
	}
	var diags hcl.Diagnostics
	for _, ob := range plugins {
		if ob.branch == want {
			continue
		}
		at := ob.p.Ref.Range
		if ob.p.Ref.Text == "" { // the default master: point at the plugin
			at = ob.p.Name.Range
		}
		diags = append(diags, schema.RuleBranchMismatch.Diag(
			fmt.Sprintf("plugin %s is on %s, but %s", ob.p.Name.String(), ob.branch, why),
			fmt.Sprintf("DevStack clones each plugin at the ref it is given, so this one would be installed from another release than the rest, and fail on mismatched requirements or APIs. Give it the ref %s (enable_plugin's third argument, $TARGET_BRANCH works), or suppress this with \"# stackplan: ignore=%s\" on the line before when the mix is meant.", want, schema.RuleBranchMismatch.ID),
			at))
	}
	return diags
}

// pluginBranch is the release branch a plugin is on (master, or an
// OpenStack release's stable/ or unmaintained/ branch; enable_plugin
// defaults to master), and false for a tag, a commit, another branch, or a
// ref unknown at plan time.
func pluginBranch(p schema.Plugin) (string, bool) {
	if p.Conditional || !p.Name.Known() {
		return "", false
	}
	ref := stackrcTargetBranch // enable_plugin's default
	if !p.Ref.Missing() && p.Ref.Text != "" {
		if !p.Ref.Known() {
			return "", false
		}
		ref = p.Ref.String()
	}
	ref = strings.TrimPrefix(ref, "refs/heads/")
	if ref == "master" || releaseBranch.MatchString(ref) {
		return ref, true
	}
	return "", false
}

// releaseBranch matches OpenStack's release branches: stable/2024.2 or
// stable/zed, and unmaintained/ once a release is no longer maintained.
// A project's own series (gnocchi's stable/4.0) is not one.
var releaseBranch = regexp.MustCompile(`^(stable|unmaintained)/([0-9]{4}\.[12]|[a-z]+)$`)

// targetBranch is TARGET_BRANCH as the plugins see it, and whether localrc
// set it: its last assignment in localrc wins.
func targetBranch(cfg *schema.Config) (string, bool) {
	branch, set := stackrcTargetBranch, false
	for _, a := range cfg.Assignments {
		if a.Name != "TARGET_BRANCH" {
			continue
		}
		if a.Conditional || a.Append || !a.Value.Known() {
			return "", false // known only at apply: no comparison
		}
		branch, set = a.Value.String(), true
	}
	return branch, set
}
