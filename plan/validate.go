package plan

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/stackplan/stackplan/schema"
)

// Validate checks that a plan is safe to apply, whatever produced it: every
// plugin has a valid name, an allowed URL and a usable ref, lives directly
// under its DEST, and every step refers to a known plugin. A plan file is
// data from disk, so the executor calls this even though the compiler only
// writes plans that pass it.
func (p *Plan) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, pl := range p.Plugins {
		if err := schema.CheckName(pl.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[pl.Name] {
			errs = append(errs, fmt.Errorf("plugin %q appears twice", pl.Name))
		}
		seen[pl.Name] = true
		// Only a ref may be known only at apply, which resolves it before
		// cloning; the compiler refuses a name, URL or directory it cannot
		// know.
		if slices.ContainsFunc(pl.KnownAtApply, func(f string) bool { return f != "ref" }) {
			errs = append(errs, fmt.Errorf("plugin %q: %s known only at apply", pl.Name, strings.Join(pl.KnownAtApply, ", ")))
			continue
		}
		ref := pl.Ref
		if len(pl.KnownAtApply) > 0 {
			ref = "master" // its source text; apply checks the value it resolves
		}
		errs = append(errs, checkRepository("plugin", pl.Name, pl.URL, ref, pl.Dir)...)
	}
	projects := map[string]bool{}
	for _, pr := range p.Projects {
		if err := schema.CheckName(pr.Name); err != nil {
			errs = append(errs, fmt.Errorf("project: %w", err))
			continue
		}
		if projects[pr.Name] {
			errs = append(errs, fmt.Errorf("project %q appears twice", pr.Name))
		}
		projects[pr.Name] = true
		errs = append(errs, checkRepository("project", pr.Name, pr.URL, pr.Ref, pr.Dir)...)
	}
	for _, e := range p.Env {
		if err := schema.CheckEnvName(e.Name); err != nil {
			errs = append(errs, fmt.Errorf("environment: %w", err))
		}
	}
	ids := map[string]bool{}
	for _, s := range p.Steps {
		if ids[s.ID] {
			errs = append(errs, fmt.Errorf("step %q appears twice", s.ID))
		}
		ids[s.ID] = true
		if s.Kind == KindMerge {
			if err := schema.CheckConfigFileName(s.File); err != nil {
				errs = append(errs, fmt.Errorf("step %q: %w", s.ID, err))
			}
		}
		if s.Plugin != "" && !seen[s.Plugin] {
			errs = append(errs, fmt.Errorf("step %q names unknown plugin %q", s.ID, s.Plugin))
		}
		if s.Project != "" && (!projects[s.Project] || s.Kind != KindClone || s.Plugin != "") {
			errs = append(errs, fmt.Errorf("step %q: project %q is not a known project's clone step", s.ID, s.Project))
		}
	}
	return errors.Join(errs...)
}

// checkRepository checks what a clone step of a plugin or project uses:
// an allowed URL, a usable ref, and a directory directly under DEST named
// after it.
func checkRepository(what, name, url, ref, dir string) []error {
	var errs []error
	if prob, why := schema.CheckURL(url); prob != schema.URLOK {
		errs = append(errs, fmt.Errorf("%s %q: %s", what, name, why))
	}
	if prob, why := schema.CheckRef(ref); prob != schema.RefOK {
		errs = append(errs, fmt.Errorf("%s %q: %s", what, name, why))
	}
	if !path.IsAbs(dir) || path.Clean(dir) != dir || path.Base(dir) != name {
		errs = append(errs, fmt.Errorf("%s %q: directory %q is not an absolute, clean DEST/%s path", what, name, dir, name))
	}
	return errs
}

// Unresolved names the plugins with a value known only at apply, which
// must be resolved (by sourcing localrc) before the plan can be applied.
func (p *Plan) Unresolved() error {
	var errs []error
	for _, pl := range p.Plugins {
		if len(pl.KnownAtApply) > 0 {
			errs = append(errs, fmt.Errorf("plugin %q: %s known only at apply, and not resolved", pl.Name, strings.Join(pl.KnownAtApply, ", ")))
		}
	}
	return errors.Join(errs...)
}
