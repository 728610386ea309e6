package plan

import (
	"errors"
	"fmt"
	"path"
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
		if len(pl.KnownAtApply) > 0 {
			errs = append(errs, fmt.Errorf("plugin %q: %s known only at apply", pl.Name, strings.Join(pl.KnownAtApply, ", ")))
			continue
		}
		if prob, why := schema.CheckURL(pl.URL); prob != schema.URLOK {
			errs = append(errs, fmt.Errorf("plugin %q: %s", pl.Name, why))
		}
		if prob, why := schema.CheckRef(pl.Ref); prob != schema.RefOK {
			errs = append(errs, fmt.Errorf("plugin %q: %s", pl.Name, why))
		}
		if !path.IsAbs(pl.Dir) || path.Clean(pl.Dir) != pl.Dir || path.Base(pl.Dir) != pl.Name {
			errs = append(errs, fmt.Errorf("plugin %q: directory %q is not an absolute, clean DEST/%s path", pl.Name, pl.Dir, pl.Name))
		}
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
	}
	return errors.Join(errs...)
}
