package evaluator

import (
	"maps"
	"slices"
	"strconv"

	"mvdan.cc/sh/v3/expand"
)

// variable is one shell variable as the static evaluator knows it. Values are
// never mutated in place: every change stores a new *variable, so forking the
// environment for the branches of an unknown condition is a map copy.
type variable struct {
	kind expand.ValueKind // expand.String, expand.Indexed or expand.Associative
	str  string
	list []string
	m    map[string]string
	// known is false when the value depends on something only a real run
	// can tell; why then says what, for diagnostics.
	known    bool
	why      string
	exported bool
	fromEnv  bool // given by the caller as part of the process environment
	// secret is set for a secret-named variable and for every value
	// computed from one, so outputs can mask exactly those values.
	secret bool
}

func (v *variable) equal(o *variable) bool {
	if v == o {
		return true
	}
	if v == nil || o == nil {
		return false
	}
	return v.kind == o.kind && v.known == o.known && v.secret == o.secret && v.str == o.str &&
		slices.Equal(v.list, o.list) && maps.Equal(v.m, o.m)
}

// vars is a scope of variables.
type vars map[string]*variable

// shellEnv adapts the evaluator's variables to mvdan.cc/sh's expand.Environ,
// noting every read of an unknown or environment-provided variable.
type shellEnv struct {
	ev *evaluator
}

var _ expand.WriteEnviron = shellEnv{}

func (e shellEnv) Get(name string) expand.Variable {
	ev := e.ev
	if v, ok := ev.special(name); ok {
		return v
	}
	v := ev.vars[name]
	if v == nil {
		if name != "IFS" && name != "PWD" { // read by the expander itself, not by the word
			ev.exp.unset = append(ev.exp.unset, name)
		}
		return expand.Variable{}
	}
	if v.fromEnv {
		ev.envRead[name] = true
	}
	if v.secret {
		ev.exp.secret = true
	}
	if !v.known {
		ev.exp.taint(v.why)
		return expand.Variable{Set: true, Kind: expand.String}
	}
	list := v.list
	if v.kind == expand.Indexed && list == nil {
		list = []string{} // "${ARR[@]}" of an empty array is no field, as "$@"
	}
	return expand.Variable{Set: true, Exported: v.exported, Kind: v.kind, Str: v.str, List: list, Map: v.m}
}

func (e shellEnv) Each(fn func(string, expand.Variable) bool) {
	for _, name := range slices.Sorted(maps.Keys(e.ev.vars)) {
		if !fn(name, e.Get(name)) {
			return
		}
	}
}

// Set is called by expansions such as ${X:=default}.
func (e shellEnv) Set(name string, vr expand.Variable) error {
	if !vr.IsSet() {
		e.ev.unsetVar(name)
		return nil
	}
	e.ev.setVar(name, &variable{kind: vr.Kind, str: vr.Str, list: vr.List, m: vr.Map, known: !e.ev.exp.tainted, why: e.ev.exp.why})
	return nil
}

// special answers the shell's special parameters: positional parameters
// inside functions, and the ones only a real run knows.
func (ev *evaluator) special(name string) (expand.Variable, bool) {
	switch name {
	case "#", "@", "*":
		if !ev.argsKnown {
			ev.exp.taint("the positional parameters are known only when localrc is sourced")
		}
		if name == "#" {
			return expand.Variable{Set: true, Kind: expand.String, Str: strconv.Itoa(len(ev.args))}, true
		}
		// Never a nil list: the expander reads nil as "not a list" and
		// makes "$@" one empty field instead of none.
		return expand.Variable{Set: true, Kind: expand.Indexed, List: append([]string{}, ev.args...)}, true
	case "?", "$", "!", "-", "0", "PPID", "RANDOM", "SECONDS", "LINENO", "BASHPID", "EPOCHSECONDS", "EPOCHREALTIME", "SRANDOM":
		ev.exp.taint("$" + name + " is known only when the shell runs")
		return expand.Variable{Set: true, Kind: expand.String}, true
	}
	// Only a name that starts with a digit can be a positional parameter
	// (Atoi's error on every other name would allocate).
	if name != "" && name[0] >= '0' && name[0] <= '9' {
		if n, err := strconv.Atoi(name); err == nil && n > 0 {
			if !ev.argsKnown {
				ev.exp.taint("the positional parameters are known only when localrc is sourced")
			}
			if n <= len(ev.args) {
				return expand.Variable{Set: true, Kind: expand.String, Str: ev.args[n-1]}, true
			}
			return expand.Variable{}, true
		}
	}
	if len(name) > 5 && name[:5] == "HOME " { // ~user
		ev.exp.taint("~" + name[5:] + " is known only on the machine that runs it")
		return expand.Variable{Set: true, Kind: expand.String}, true
	}
	return expand.Variable{}, false
}

func (ev *evaluator) setVar(name string, v *variable) {
	if old := ev.vars[name]; old != nil && old.exported {
		v.exported = true
	}
	ev.vars[name] = v
}

func (ev *evaluator) unsetVar(name string) { delete(ev.vars, name) }

func knownString(s string) *variable { return &variable{kind: expand.String, str: s, known: true} }

func unknownString(why string) *variable { return &variable{kind: expand.String, why: why} }

// stringValue is a variable's value as "$NAME" expands it.
func (v *variable) stringValue() string {
	switch v.kind {
	case expand.Indexed:
		if len(v.list) > 0 {
			return v.list[0]
		}
		return ""
	case expand.Associative:
		return v.m["0"]
	}
	return v.str
}

// size is how many bytes the value holds.
func (v *variable) size() int {
	n := len(v.str)
	for _, s := range v.list {
		n += len(s)
	}
	for k, s := range v.m {
		n += len(k) + len(s)
	}
	return n
}
