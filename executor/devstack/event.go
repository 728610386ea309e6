// Package devstack runs DevStack's own stack.sh, unstack.sh and clean.sh,
// unmodified, and reports what they do: each plugin hook they source, each
// config file they merge, each git command they run on a checkout. The
// reports come from watch.bash, which bash sources through BASH_ENV before
// the script starts (see that file for how it stays out of DevStack's way).
package devstack

import (
	"fmt"
	"strconv"
	"strings"
)

// EventKind is what a watch line reports.
type EventKind string

const (
	// HookStart: DevStack sources a plugin's override-defaults, settings or
	// plugin.sh. Func is the DevStack function sourcing it.
	HookStart EventKind = "source"
	// End: the open hook, merge or localrc ended with Status.
	End EventKind = "end"
	// Localrc: the script sources stackrc (or openrc, which sources it),
	// which sources the localrc.
	Localrc EventKind = "rc"
	// MergeStart: merge_config_file starts on one [[group|file]].
	MergeStart EventKind = "merge"
	// MergeSkip: merge_config_group warned that a file name is undefined
	// and skipped the rest of the group.
	MergeSkip EventKind = "skip"
	// Git: git_clone runs git (clone, fetch, checkout) on a directory.
	Git EventKind = "git"
)

// The functions of DevStack that source each kind of plugin hook.
const (
	FuncOverrideDefaults = "plugin_override_defaults"
	FuncSettings         = "load_plugin_settings"
	FuncPhase            = "run_plugins"
)

// Event is one line of the watch.
type Event struct {
	PID    int
	Script string // "stack.sh", "unstack.sh", "clean.sh"
	Kind   EventKind
	Status int    // of End
	Func   string // the DevStack function the event happened in
	// HookStart
	Plugin, Mode, Phase, Dir string
	// MergeStart and MergeSkip: the group, the file as the header writes
	// it, and (MergeStart) as DevStack expanded it.
	Group, Spec, File string
	// Git: the directory and git's subcommand; Localrc: File.
	Verb string
}

// ParseEvent reads one line written by watch.bash.
func ParseEvent(line string) (Event, error) {
	f := strings.Split(line, "\t")
	if len(f) < 5 {
		return Event{}, fmt.Errorf("watch line %q: %d fields, want at least 5", line, len(f))
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return Event{}, fmt.Errorf("watch line %q: pid: %v", line, err)
	}
	status, err := strconv.Atoi(f[3])
	if err != nil {
		return Event{}, fmt.Errorf("watch line %q: status: %v", line, err)
	}
	e := Event{PID: pid, Script: f[1], Kind: EventKind(f[2]), Status: status, Func: f[4]}
	args := f[5:]
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch e.Kind {
	case HookStart:
		e.Plugin, e.Mode, e.Phase, e.Dir = arg(0), arg(1), arg(2), arg(3)
	case MergeStart:
		e.Group, e.Spec, e.File = arg(0), arg(1), arg(2)
	case MergeSkip:
		e.Group, e.Spec = arg(0), arg(1)
	case Git:
		e.Dir, e.Verb = arg(0), arg(1)
	case Localrc:
		e.File = arg(0)
	case End:
	default:
		return Event{}, fmt.Errorf("watch line %q: unknown event %q", line, e.Kind)
	}
	return e, nil
}
