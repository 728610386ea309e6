package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler/internal/suggest"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Remote is what a plugin's remote advertised (plan --online), or why it
// could not be asked.
type Remote struct {
	// Head is the branch the remote's HEAD points to, e.g. "main".
	Head string
	// Refs maps full ref names to commits, annotated tags peeled.
	Refs map[string]string
	Err  error
}

// resolveRefs checks each plugin's ref against its remote's refs (by URL),
// records the commit it resolves to, and reports a ref the remote does not
// have with the best replacement the remote offers.
func resolveRefs(cfg *schema.Config, plugins []plan.Plugin, remotes map[string]Remote) hcl.Diagnostics {
	if remotes == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for i, pl := range cfg.Plugins {
		if !pl.URL.Known() || !pl.Ref.Known() {
			continue
		}
		r, asked := remotes[pl.URL.String()]
		if !asked {
			continue
		}
		if r.Err != nil {
			diags = append(diags, schema.RuleRemoteUnreachable.Diag(
				fmt.Sprintf("cannot list the refs of %s: %v", plugins[i].URL, r.Err),
				"stackplan --online could not check this plugin's ref; DevStack's clone would fail the same way if the remote stays unreachable.",
				pl.URL.Range))
			continue
		}
		ref := pl.Ref.String()
		if commit, ok := lookupRef(r.Refs, ref); ok {
			plugins[i].Commit = commit
			continue
		}
		if schema.IsFullSHA(ref) {
			plugins[i].Commit = ref // a commit no ref points to can still be fetched
			continue
		}
		summary, detail := refNotFound(pl, ref, r)
		diags = append(diags, schema.RuleRefNotFound.Diag(summary, detail, subject(pl.Ref, pl.Range)))
	}
	return diags
}

// lookupRef resolves ref as git fetch does: a full refs/ name as is, else a
// branch, else a tag.
func lookupRef(refs map[string]string, ref string) (string, bool) {
	for _, name := range []string{ref, "refs/heads/" + ref, "refs/tags/" + ref} {
		if !strings.HasPrefix(name, "refs/") {
			continue
		}
		if c, ok := refs[name]; ok {
			return c, true
		}
	}
	return "", false
}

// refNotFound explains a missing ref with the remote's best suggestion:
// an end-of-life tag or unmaintained branch for a stable branch, the
// remote's default branch for DevStack's default master, or the closest
// name.
func refNotFound(pl schema.Plugin, ref string, r Remote) (summary, detail string) {
	name := pl.Name.Text
	summary = fmt.Sprintf("%s has no branch or tag %q", name, ref)
	detail = "DevStack's git fetch would die with \"couldn't find remote ref\"."
	has := func(full string) bool { _, ok := r.Refs[full]; return ok }
	defaulted := pl.Ref.Text == ""
	if series, ok := strings.CutPrefix(ref, "stable/"); ok {
		var alts []string
		if has("refs/tags/" + series + "-eol") {
			alts = append(alts, series+"-eol (the tag left when the branch reached end of life)")
		}
		if has("refs/heads/unmaintained/" + series) {
			alts = append(alts, "unmaintained/"+series+" (the branch it moved to)")
		}
		if len(alts) > 0 {
			return summary + "; it reached end of life", detail + " Use " + strings.Join(alts, ", or ") + " as the ref."
		}
	}
	if ref == "master" && r.Head != "" && r.Head != "master" {
		how := "Give the ref"
		if defaulted {
			how = "enable_plugin defaults the ref to master; give it"
		}
		return summary, fmt.Sprintf("%s The remote's default branch is %q. %s explicitly: enable_plugin %s %s %s.", detail, r.Head, how, name, pl.URL.Text, r.Head)
	}
	var names []string
	for full := range r.Refs {
		if short, ok := strings.CutPrefix(full, "refs/heads/"); ok {
			names = append(names, short)
		} else if short, ok := strings.CutPrefix(full, "refs/tags/"); ok {
			names = append(names, short)
		}
	}
	slices.Sort(names)
	if s := suggest.Closest(ref, names); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return summary, detail
}
