package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stackplan/stackplan/plan"
)

// Dispatch: what one step of a lifecycle does in its bash session (source
// localrc, a plugin hook, or merge an INI fragment).

// execStep runs one step in the session. It returns the step's exit status.
func (a *applier) execStep(ctx context.Context, sess *session, s plan.Step) (int, string, error) {
	switch s.Kind {
	case plan.KindLocalrc:
		// The localrc text may hold passwords: it goes to bash over a pipe
		// and never to the log or the hooks.
		code, err := sess.sourceText(ctx, s.Script)
		return code, "", err
	case plan.KindMerge:
		return a.merge(ctx, sess, s)
	}
	rel := hookFile(s.Kind)
	var args []string
	switch s.Kind {
	case plan.KindOverrideDefaults, plan.KindSettings:
	case plan.KindPhase:
		args = []string{string(s.Mode)}
		if s.Phase != "" {
			args = append(args, string(s.Phase))
		}
	default:
		return -1, "", fmt.Errorf("unknown step kind %q", s.Kind)
	}
	dir, ok := a.dirs[s.Plugin]
	if !ok {
		return -1, "", fmt.Errorf("unknown plugin %q", s.Plugin)
	}
	path, found, err := pluginFile(dir, rel)
	if err != nil || !found {
		return 0, "", err // DevStack skips a missing file silently
	}
	a.logf("%s: source %s %s", s.ID, path, strings.Join(args, " "))
	code, err := sess.sourceFile(ctx, path, args...)
	return code, "", err
}

// hookFile is the file of a plugin's checkout that a step of this kind
// sources, or "".
func hookFile(k plan.Kind) string {
	switch k {
	case plan.KindOverrideDefaults:
		return "devstack/override-defaults"
	case plan.KindSettings:
		return "devstack/settings"
	case plan.KindPhase:
		return "devstack/plugin.sh"
	}
	return ""
}

// PluginFile resolves dir/rel, a file of a plugin's checkout, without
// following a symbolic link out of dir: what apply sources, and what
// lint --fetch and plan read.
func PluginFile(dir, rel string) (string, bool, error) { return pluginFile(dir, rel) }

// pluginFile resolves dir/rel without following a symlink out of dir.
// A missing file is not an error (DevStack tests each with -f).
func pluginFile(dir, rel string) (string, bool, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", false, nil
		}
		return "", false, err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, rel))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", false, nil
		}
		return "", false, err
	}
	if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", false, fmt.Errorf("%s is a symbolic link out of the checkout %s; refusing to source it", filepath.Join(dir, rel), dir)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", false, err
	}
	if !st.Mode().IsRegular() {
		return "", false, nil
	}
	return real, true, nil
}

// merge expands the file name in the session and merges the fragment.
func (a *applier) merge(ctx context.Context, sess *session, s plan.Step) (int, string, error) {
	where := s.File
	if s.Source != nil {
		where = fmt.Sprintf("[[%s|%s]] at %s", s.Group, s.File, s.Source)
	}
	target, err := expandName(s.File, func(names []string) ([]string, error) { return sess.vars(ctx, names) })
	if err != nil {
		return -1, "", fmt.Errorf("%s: %w", where, err)
	}
	if a.skipGroup[s.Group] {
		a.logf("%s: skipped: an earlier [[%s|...]] file name was undefined, and DevStack merges no more files of that group", s.ID, s.Group)
		return 0, "", nil
	}
	if target == "" {
		if a.skipGroup == nil {
			a.skipGroup = map[plan.Group]bool{}
		}
		a.skipGroup[s.Group] = true
		a.logf("%s: warning: unknown config file specification: %s is undefined; as DevStack does, this and the later files of the %s group are not merged", where, s.File, s.Group)
		return 0, "", nil
	}
	if !filepath.IsAbs(target) {
		pwd, err := sess.vars(ctx, []string{"PWD"})
		if err != nil {
			return -1, "", err
		}
		target = filepath.Join(pwd[0], target)
	}
	a.logf("%s: merge %d lines into %s", s.ID, len(s.Fragment), target)
	if err := mergeFile(target, s.File, s.Fragment); err != nil {
		return -1, target, fmt.Errorf("%s: %w", where, err)
	}
	return 0, target, nil
}
