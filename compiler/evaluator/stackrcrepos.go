package evaluator

import (
	"regexp"

	"github.com/stackplan/stackplan/compiler/internal/srcpos"
	"github.com/stackplan/stackplan/schema"
)

// stackrcRepoRE matches the column-0 assignments of stackrc that say where
// DevStack's own repositories come from: GIT_BASE, the branch defaults,
// and every *_REPO and *_BRANCH (NOVA_REPO=${NOVA_REPO:-${GIT_BASE}/...}).
var stackrcRepoRE = regexp.MustCompile(`^((GIT_BASE|TARGET_BRANCH|BRANCHLESS_TARGET_BRANCH|[A-Z][A-Z0-9_]*_(REPO|BRANCH))=)`)

// stackrc evaluates the repository assignments of a DevStack checkout's
// stackrc after localrc, as stackrc runs them once it has sourced localrc:
// only those lines, never the rest of the file (no command runs, nothing
// else is read). A localrc value wins through stackrc's own ${VAR:-default}.
// Findings in stackrc are DevStack's, not the user's: none is reported.
func (ev *evaluator) stackrc(f Fragment) []schema.StackrcVar {
	var keep []Line
	for _, l := range SplitLines(f.Src) {
		if stackrcRepoRE.MatchString(l.Text) {
			keep = append(keep, l)
		}
	}
	text, cmap := concat(keep)
	pos := srcpos.New(f.Name, f.Src)
	sev := newEvaluator(text, fileLocator{pos: pos, cmap: cmap}, &schema.Config{})
	sev.vars = ev.vars
	sev.run()
	var out []schema.StackrcVar
	for _, l := range keep {
		name := stackrcRepoRE.FindStringSubmatch(l.Text)[2]
		v := schema.StackrcVar{Name: name, Range: pos.Range(l.Start, l.Start+len(l.Text))}
		if val := ev.vars[name]; val != nil && val.known {
			v.Value, v.Known, v.Secret = val.stringValue(), true, val.secret
		}
		out = append(out, v)
	}
	return out
}
