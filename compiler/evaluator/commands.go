package evaluator

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/compiler/internal/suggest"
	"github.com/stackplan/stackplan/schema"
)

// arg is one expanded command argument with the word it came from.
type arg struct {
	val    string
	known  bool
	why    string
	text   string
	rng    hcl.Range
	unset  []string // unset variables the word referred to
	secret bool     // the value derives from a secret variable
}

// args expands a command's words into fields. A word whose value is not
// known counts as one argument, which is what almost every real use means.
func (ev *evaluator) expandArgs(words []*syntax.Word) []arg {
	var out []arg
	for _, w := range words {
		f, known := ev.fields(w)
		a := arg{known: known, why: ev.exp.why, text: ev.text(w), rng: ev.rangeOf(w), unset: bareUnset(w, ev.exp.unset), secret: ev.exp.secret}
		if !known {
			out = append(out, a)
			continue
		}
		if len(f) == 0 && len(a.unset) > 0 {
			ev.vanished = append(ev.vanished, a)
		}
		for _, v := range f {
			a.val = v
			out = append(out, a)
		}
	}
	return out
}

// bareUnset keeps the unset variables that w refers to without a default:
// ${GIT_BASE:-https://opendev.org} does not expand to nothing when
// GIT_BASE is unset, so it must not be reported as if it did.
func bareUnset(w *syntax.Word, unset []string) []string {
	if len(unset) == 0 {
		return nil
	}
	bare := map[string]bool{}
	syntax.Walk(w, func(n syntax.Node) bool {
		pe, ok := n.(*syntax.ParamExp)
		if !ok || pe.Param == nil {
			return true
		}
		if pe.Length || pe.Exp != nil && pe.Exp.Op >= syntax.DefaultUnset && pe.Exp.Op <= syntax.AssignUnsetOrNull {
			return true // the default, error or assignment word is walked on its own
		}
		bare[pe.Param.Value] = true
		return true
	})
	var out []string
	for _, name := range unset {
		if bare[name] {
			out = append(out, name)
		}
	}
	return out
}

func (a arg) value() schema.Value {
	v := schema.KnownString(a.val, a.text, a.rng)
	if !a.known {
		v = schema.UnknownString(a.text, a.rng)
	}
	v.Secret = a.secret
	return v
}

func (ev *evaluator) call(c *syntax.CallExpr) (tri, flow) {
	if len(c.Args) == 0 {
		st := triTrue
		for _, as := range c.Assigns {
			if !ev.assign(as, false) {
				st = triUnknown // the status of a command substitution
			}
		}
		return st, flowNext
	}
	name, known := ev.literal(c.Args[0])
	if !known {
		ev.diag(schema.RuleNotEvaluated.Diag("localrc runs a command computed at run time, which stackplan does not follow",
			fmt.Sprintf("%q is known only when localrc is sourced; variables it sets and plugins it enables are not in the plan.", ev.text(c.Args[0])),
			ev.rangeOf(c.Args[0])))
		return triUnknown, flowNext
	}
	ev.vanished = ev.vanished[:0]
	args := ev.expandArgs(c.Args[1:])
	if ev.aborted {
		// An argument's arithmetic error: bash abandons the command
		// before running it, with the statement of localrc around it.
		return triUnknown, flowExit
	}
	rng := ev.rangeOf(c)
	if name == "enable_plugin" {
		ev.reportVanished()
	}
	if body, ok := ev.funcs[name]; ok {
		return ev.callFunc(c, body, args)
	}
	switch name {
	case "enable_plugin":
		ev.enablePlugin(args, rng, c)
		return triTrue, flowNext
	case "set":
		ev.setBuiltin(args)
		return triTrue, flowNext
	case "type":
		return ev.typeBuiltin(args), flowNext
	case "warn":
		ev.warn(args)
		return triTrue, flowNext
	case "define_plugin", "plugin_requires", "true", ":", "echo", "printf", "cd", "pushd", "popd", "shopt", "umask", "trap", "sleep", "mkdir", "touch":
		if name == "printf" {
			ev.readsInto(args, "-v")
		}
		return triTrue, flowNext
	case "false":
		return triFalse, flowNext
	case "test", "[":
		if name == "[" && len(args) > 0 && args[len(args)-1].val == "]" {
			args = args[:len(args)-1]
		}
		return ev.testArgs(args), flowNext
	case "unset":
		ev.unset(args)
		return triTrue, flowNext
	case "read", "readarray", "mapfile":
		ev.readsInto(args, "")
		return triUnknown, flowNext
	case "shift":
		n := 1
		if len(args) > 0 {
			fmt.Sscan(args[0].val, &n)
		}
		ev.args = ev.args[min(max(n, 0), len(ev.args)):]
		return triTrue, flowNext
	case "source", ".", "eval":
		what := "sources " + firstText(args)
		if name == "eval" {
			what = "evaluates code built at run time"
		}
		ev.diag(schema.RuleNotEvaluated.Diag(
			fmt.Sprintf("localrc %s, which stackplan does not follow at plan time", what),
			"Variables set and plugins enabled there are not in the plan. Move plugin and service settings into the localrc itself.", rng))
		return triUnknown, flowNext
	case "exit", "die":
		return triUnknown, flowExit
	case "return":
		return ev.returnStatus(args), flowReturn
	case "break":
		return triTrue, flowBreak
	case "continue":
		return triTrue, flowContinue
	}
	ev.checkMisspelt(name, c.Args[0])
	return triUnknown, flowNext
}

// setBuiltin follows "set -- ARGS" and "set ARGS", which replace the
// positional parameters; options are ignored.
func (ev *evaluator) setBuiltin(args []arg) {
	switch {
	case len(args) == 0:
		return
	case args[0].val == "--":
		args = args[1:]
	case strings.HasPrefix(args[0].val, "-") || strings.HasPrefix(args[0].val, "+"):
		return
	}
	ev.args, ev.argsKnown = nil, true
	for _, a := range args {
		ev.args = append(ev.args, a.val)
		ev.argsKnown = ev.argsKnown && a.known
	}
}

// typeBuiltin answers "type NAME" for functions and builtins. Any other
// name is taken as no command: localrc files ask type about functions
// (DevStack's is_service_enabled asks for is_NAME_enabled).
func (ev *evaluator) typeBuiltin(args []arg) tri {
	st := triFalse
	for _, a := range args {
		switch {
		case !a.known:
			return triUnknown
		case strings.HasPrefix(a.val, "-"):
			continue
		}
		_, isFunc := ev.funcs[a.val]
		if !isFunc && !slices.Contains(builtins, a.val) {
			return triFalse
		}
		st = triTrue
	}
	return st
}

var builtins = []string{"enable_plugin", "set", "type", "warn", "echo", "printf", "true", "false", "test", "[", "unset", "read", "shift", "source", ".", "eval", "exit", "return", "break", "continue", "local", "declare", "typeset", "export", "readonly", "cd", ":", "let"}

// returnStatus is the status "return [N]" gives.
func (ev *evaluator) returnStatus(args []arg) tri {
	if len(args) == 0 {
		return ev.status
	}
	if !args[0].known {
		return triUnknown
	}
	n, err := strconv.Atoi(strings.TrimSpace(args[0].val))
	if err != nil {
		return triFalse // bash: "numeric argument required", status 2
	}
	return triOf(n%256 == 0)
}

// warn is DevStack's warn: inside DevStack's own functions it is how
// enable_service reports a service disabled before.
func (ev *evaluator) warn(args []arg) {
	if len(args) < 2 || !args[1].known || ev.devstackAt == nil {
		return
	}
	if svc, ok := strings.CutPrefix(args[1].val, "Attempt to enable_service "); ok {
		svc = strings.TrimSuffix(svc, " when it has been disabled")
		at := *ev.devstackAt
		for _, a := range ev.devstackArgs {
			if a.known && slices.Contains(strings.Fields(a.val), svc) {
				at = a.rng
			}
		}
		ev.diag(schema.RuleDisabledThenEnable.Diag(
			fmt.Sprintf("enable_service %s after disable_service %s", svc, svc),
			"DevStack warns \"Attempt to enable_service "+svc+" when it has been disabled\" and leaves it disabled.", at))
	}
}

// reportVanished warns about enable_plugin arguments that expanded to no
// word at all: an unquoted unset variable disappears in bash, and the
// arguments after it shift into its place.
func (ev *evaluator) reportVanished() {
	for _, a := range ev.vanished {
		ev.diag(schema.RuleUnsetVariable.Diag(
			fmt.Sprintf("%s expands to nothing, so this enable_plugin argument disappears", a.text),
			fmt.Sprintf("$%s is not set when localrc runs (stackrc sets most variables only after sourcing localrc). Unquoted, it vanishes and the arguments after it shift: a missing ref becomes master, a missing name makes the URL the name. Set it in localrc, or pass --env %s=VALUE if it comes from the environment.", a.unset[0], a.unset[0]),
			a.rng))
	}
}

func firstText(args []arg) string {
	if len(args) == 0 {
		return "a file"
	}
	return args[0].text
}

// devstackFunctions are the DevStack functions a localrc calls; a command
// close to one of them is most likely a typo that bash would only answer
// with "command not found" while DevStack goes on.
var devstackCommandNames = []string{
	"enable_plugin", "enable_service", "disable_service", "disable_all_services",
	"disable_negated_services", "is_service_enabled", "is_plugin_enabled",
	"define_plugin", "plugin_requires",
}

func (ev *evaluator) checkMisspelt(name string, w *syntax.Word) {
	if !strings.Contains(name, "_") {
		return
	}
	if s := suggest.Closest(name, devstackCommandNames); s != "" {
		ev.diag(schema.RuleUnknownCommand.Diag(
			fmt.Sprintf("unknown command %q; did you mean %q?", name, s),
			fmt.Sprintf("DevStack does not stop on an unknown command: bash prints \"command not found\" and the run goes on without this %s.", s),
			ev.rangeOf(w)))
	}
}

// callFunc runs a function defined in localrc with its arguments.
func (ev *evaluator) callFunc(c *syntax.CallExpr, body *syntax.Stmt, args []arg) (tri, flow) {
	return ev.runFunc(ev.rangeOf(c), body, args)
}

// runFunc runs a function body called at rng with its arguments.
func (ev *evaluator) runFunc(rng hcl.Range, body *syntax.Stmt, args []arg) (tri, flow) {
	if ev.callDepth >= maxCallDepth {
		ev.limitAt(rng, fmt.Sprintf("function calls nested deeper than %d", maxCallDepth))
		return triUnknown, flowExit
	}
	saved, savedKnown := ev.args, ev.argsKnown
	ev.args, ev.argsKnown = nil, true
	for _, a := range args {
		ev.args = append(ev.args, a.val)
		ev.argsKnown = ev.argsKnown && a.known
	}
	// Findings inside DevStack's functions point at the localrc line that
	// called them; inside the localrc's own functions, at themselves.
	savedAt := ev.devstackAt
	switch {
	case !isDevstackFunc(body):
		ev.devstackAt = nil
	case savedAt == nil:
		ev.devstackAt, ev.devstackArgs = &rng, args
	}
	ev.callDepth++
	ev.localSaves = append(ev.localSaves, map[string]*variable{})
	st, fl := ev.stmt(body)
	for name, old := range ev.localSaves[len(ev.localSaves)-1] {
		if old == nil {
			ev.unsetVar(name)
		} else {
			ev.vars[name] = old
		}
	}
	ev.localSaves = ev.localSaves[:len(ev.localSaves)-1]
	ev.callDepth--
	ev.args, ev.argsKnown = saved, savedKnown
	if ev.devstackAt = savedAt; savedAt == nil {
		ev.devstackArgs = nil
	}
	if fl == flowReturn {
		fl = flowNext
	}
	return st, fl
}

// readsInto marks as unknown the variables a read-like builtin sets: every
// name argument, or only the one after flag when flag is given.
func (ev *evaluator) readsInto(args []arg, flag string) {
	for i, a := range args {
		switch {
		case flag != "":
			if a.val == flag && i+1 < len(args) {
				name := args[i+1].val
				ev.setVar(name, unknownString("$"+name+" is read at run time"))
			}
		case !strings.HasPrefix(a.val, "-") && isName(a.val) && (i == 0 || !takesValue(args[i-1].val)):
			ev.setVar(a.val, unknownString("$"+a.val+" is read at run time"))
		}
	}
}

func takesValue(flag string) bool {
	switch flag {
	case "-p", "-d", "-t", "-n", "-N", "-u", "-i", "-C", "-c", "-O", "-s":
		return true
	}
	return false
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (ev *evaluator) unset(args []arg) {
	funcs := false
	for _, a := range args {
		switch a.val {
		case "-f":
			funcs = true
		case "-v", "-n":
		default:
			if funcs {
				delete(ev.funcs, a.val)
			} else {
				ev.unsetVar(a.val)
			}
		}
	}
}

// decl handles export, declare, typeset, local and readonly.
func (ev *evaluator) decl(c *syntax.DeclClause) tri {
	variant := c.Variant.Value
	inFunc := len(ev.localSaves) > 0
	if variant == "local" && !inFunc {
		// bash: "local: can only be used in a function"; nothing is set.
		return triFalse
	}
	global, assoc, indexed := false, false, false
	st := triTrue
	for _, as := range c.Args {
		if as.Name == nil { // an option such as -A, or a name computed at run time
			if flags, known := ev.literal(as.Value); known && strings.HasPrefix(flags, "-") {
				global = global || strings.Contains(flags, "g")
				assoc = assoc || strings.Contains(flags, "A")
				indexed = indexed || strings.Contains(flags, "a")
			}
			continue
		}
		name := as.Name.Value
		// declare and typeset inside a function are local, as local is,
		// unless -g.
		if inFunc && (variant == "local" || (variant == "declare" || variant == "typeset") && !global) {
			frame := ev.localSaves[len(ev.localSaves)-1]
			if _, saved := frame[name]; !saved {
				frame[name] = ev.vars[name]
				if !as.Naked || assoc || indexed {
					delete(ev.vars, name) // a new local starts empty
				}
			}
		}
		if assoc || indexed {
			if v := ev.vars[name]; v == nil || v.kind == expand.String && v.str == "" {
				kind := expand.Indexed
				if assoc {
					kind = expand.Associative
				}
				ev.vars[name] = &variable{kind: kind, known: true, m: map[string]string{}}
			}
		}
		if as.Naked {
			if v := ev.vars[name]; v != nil && variant == "export" {
				nv := *v
				nv.exported = true
				ev.vars[name] = &nv
			}
			continue
		}
		if !ev.assign(as, variant == "export") {
			st = triUnknown
		}
	}
	return st
}

// assign performs one assignment; it returns false when the value is not
// known at plan time.
func (ev *evaluator) assign(as *syntax.Assign, export bool) bool {
	name := as.Name.Value
	rng := ev.rangeOf(as)
	old := ev.vars[name]
	var nv *variable
	var text string
	switch {
	case as.Array != nil:
		nv = ev.arrayValue(as, old)
		text = ev.text(as.Array)
	case as.Index != nil:
		nv = ev.elementValue(as, old)
		if as.Value != nil {
			text = ev.text(as.Value)
		}
	default:
		val, known := ev.literal(as.Value)
		if as.Value != nil {
			text = ev.text(as.Value)
		}
		if as.Append && old != nil {
			if !old.known {
				known = false
			}
			val = old.stringValue() + val
		}
		nv = &variable{kind: expand.String, str: val, known: known, why: ev.exp.why}
		if !known && nv.why == "" {
			nv.why = "$" + name + " depends on a value known only when localrc is sourced"
		}
	}
	if nv.known && nv.size() > maxValueLen {
		ev.limit(as, fmt.Sprintf("$%s grows beyond %d bytes", name, maxValueLen))
		nv = unknownString(fmt.Sprintf("$%s grew beyond %d bytes; stackplan stops following its value", name, maxValueLen))
	}
	nv.exported = export || old != nil && old.exported
	nv.secret = schema.IsSecretName(name) || ev.exp.secret || as.Append && old != nil && old.secret
	ev.vars[name] = nv

	valueRange := rng
	if as.Value != nil {
		valueRange = ev.rangeOf(as.Value)
	} else if as.Array != nil {
		valueRange = ev.rangeOf(as.Array)
	}
	value := schema.KnownString(nv.stringValue(), text, valueRange)
	if !nv.known {
		value = schema.UnknownString(text, valueRange)
	}
	value.Secret = nv.secret
	if ev.subshell == 0 && ev.devstackAt == nil {
		ev.cfg.Assignments = append(ev.cfg.Assignments, schema.Assignment{
			Name: name, Value: value, Append: as.Append, Conditional: len(ev.conds) > 0, Range: rng,
		})
	}
	if name == "DEST" && ev.pluginCount > 0 && ev.subshell == 0 && (old == nil || !old.equal(nv)) {
		ev.destChanged(rng)
	}
	return nv.known
}

func (ev *evaluator) arrayValue(as *syntax.Assign, old *variable) *variable {
	nv := &variable{kind: expand.Indexed, known: true}
	if as.Append && old != nil {
		nv.known = old.known
		nv.list = append(nv.list, old.list...)
		if old.kind == expand.String && old.str != "" {
			nv.list = append(nv.list, old.str)
		}
	}
	for _, el := range as.Array.Elems {
		if el.Index != nil { // [i]=v and associative arrays: not followed element by element
			nv.known = false
			nv.why = "$" + as.Name.Value + " is an array with computed indexes"
			continue
		}
		if el.Value == nil {
			continue
		}
		f, known := ev.fields(el.Value)
		if !known {
			nv.known, nv.why = false, ev.exp.why
		}
		nv.list = append(nv.list, f...)
	}
	return nv
}

func (ev *evaluator) elementValue(as *syntax.Assign, old *variable) *variable {
	if old != nil && old.kind == expand.Associative {
		return ev.assocElement(as, old)
	}
	nv := &variable{kind: expand.Indexed, known: old == nil || old.known}
	if old != nil {
		nv.list = append(nv.list, old.list...)
		if old.kind == expand.String {
			nv.list = []string{old.str}
		}
	}
	idx, idxKnown := ev.arith(as.Index)
	val, known := ev.literal(as.Value)
	if idx < 0 || idx > MaxLoopItems || !known || !idxKnown {
		nv.known, nv.why = false, "$"+as.Name.Value+" has an element known only at run time"
		return nv
	}
	for len(nv.list) <= idx {
		nv.list = append(nv.list, "")
	}
	if as.Append {
		val = nv.list[idx] + val
	}
	nv.list[idx] = val
	return nv
}

// assocElement sets one element of an associative array, M[key]=value.
// The key is the index as written: bash does not read it as arithmetic.
func (ev *evaluator) assocElement(as *syntax.Assign, old *variable) *variable {
	key, keyKnown := ev.text(as.Index), true
	if w, ok := as.Index.(*syntax.Word); ok {
		key, keyKnown = ev.literal(w)
	}
	val, known := ev.literal(as.Value)
	nv := &variable{kind: expand.Associative, known: old.known, m: maps.Clone(old.m)}
	if nv.m == nil {
		nv.m = map[string]string{}
	}
	if !keyKnown || !known || !nv.known {
		return &variable{kind: expand.Associative, why: "$" + as.Name.Value + " has an element known only at run time"}
	}
	if as.Append {
		val = nv.m[key] + val
	}
	nv.m[key] = val
	ev.elemSetAt[as.Name.Value+"["+key+"]"] = ev.rangeOf(as)
	return nv
}

func (ev *evaluator) destChanged(rng hcl.Range) {
	var names []string
	for _, p := range ev.cfg.Plugins {
		names = append(names, p.Name.Text)
	}
	ev.diag(schema.RuleDestAfterPlugin.Diag(
		"DEST changes after enable_plugin",
		fmt.Sprintf("DevStack fixes a plugin's directory ($DEST/NAME) when enable_plugin runs, so %s keep the earlier DEST. Set DEST before the first enable_plugin.", strings.Join(names, ", ")),
		rng))
}

// testArgs evaluates the arguments of test or [ for the simple forms
// localrc files use.
func (ev *evaluator) testArgs(args []arg) tri {
	for _, a := range args {
		if !a.known {
			return triUnknown
		}
	}
	neg := false
	if len(args) > 0 && args[0].val == "!" {
		neg, args = true, args[1:]
	}
	var st tri
	switch len(args) {
	case 0:
		st = triFalse
	case 1:
		st = triOf(args[0].val != "")
	case 2:
		st = unaryTest(args[0].val, args[1].val)
	case 3:
		st = binaryTest(args[1].val, args[0].val, args[2].val, nil)
	default:
		st = triUnknown
	}
	if neg {
		st = st.not()
	}
	return st
}

func unaryTest(op, x string) tri {
	switch op {
	case "-n":
		return triOf(x != "")
	case "-z":
		return triOf(x == "")
	}
	return triUnknown // file tests: plan time never looks at the file system
}

// binaryTest compares two known strings; match tests glob patterns for
// [[ == ]] (nil for test/[, which compares literally).
func binaryTest(op, x, y string, match func() (bool, bool)) tri {
	switch op {
	case "=", "==", "!=":
		eq := x == y
		if match != nil {
			m, ok := match()
			if !ok {
				return triUnknown
			}
			eq = m
		}
		if op == "!=" {
			eq = !eq
		}
		return triOf(eq)
	case "-eq", "-ne", "-lt", "-le", "-gt", "-ge":
		var a, b int
		if _, err := fmt.Sscan(x, &a); err != nil {
			return triUnknown
		}
		if _, err := fmt.Sscan(y, &b); err != nil {
			return triUnknown
		}
		return triOf(map[string]bool{"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[op])
	}
	return triUnknown
}

// test evaluates a [[ ]] expression.
func (ev *evaluator) test(x syntax.TestExpr) tri {
	switch e := x.(type) {
	case *syntax.Word:
		s, known := ev.literal(e)
		if !known {
			return triUnknown
		}
		return triOf(s != "")
	case *syntax.ParenTest:
		return ev.test(e.X)
	case *syntax.UnaryTest:
		if e.Op == syntax.TsNot {
			return ev.test(e.X).not()
		}
		w, ok := e.X.(*syntax.Word)
		if !ok {
			return triUnknown
		}
		if e.Op == syntax.TsVarSet {
			name, known := ev.literal(w)
			if !known {
				return triUnknown
			}
			v := ev.vars[name]
			return triOf(v != nil)
		}
		s, known := ev.literal(w)
		if !known {
			return triUnknown
		}
		return unaryTest(e.Op.String(), s)
	case *syntax.BinaryTest:
		switch e.Op {
		case syntax.AndTest, syntax.OrTest:
			l := ev.test(e.X)
			if e.Op == syntax.AndTest && l == triFalse || e.Op == syntax.OrTest && l == triTrue {
				return l
			}
			r := ev.test(e.Y)
			if l == triUnknown {
				if e.Op == syntax.AndTest && r == triFalse || e.Op == syntax.OrTest && r == triTrue {
					return r
				}
				return triUnknown
			}
			return r
		}
		xw, ok1 := e.X.(*syntax.Word)
		yw, ok2 := e.Y.(*syntax.Word)
		if !ok1 || !ok2 {
			return triUnknown
		}
		xs, k1 := ev.literal(xw)
		if !k1 {
			return triUnknown
		}
		if e.Op == syntax.TsReMatch {
			return ev.regexMatch(xs, yw)
		}
		if e.Op == syntax.TsMatch || e.Op == syntax.TsMatchShort || e.Op == syntax.TsNoMatch {
			return binaryTest(e.Op.String(), xs, "", func() (bool, bool) { return ev.match(xs, yw) })
		}
		ys, k2 := ev.literal(yw)
		if !k2 {
			return triUnknown
		}
		return binaryTest(e.Op.String(), xs, ys, nil)
	}
	return triUnknown
}

// regexMatch is [[ X =~ RE ]]: quoted parts of RE match literally, and
// BASH_REMATCH receives the match and its groups (empty when none).
func (ev *evaluator) regexMatch(x string, re *syntax.Word) tri {
	var expr strings.Builder
	known := true
	for _, part := range re.Parts {
		s, ok := ev.literal(&syntax.Word{Parts: []syntax.WordPart{part}})
		known = known && ok
		switch part.(type) {
		case *syntax.SglQuoted, *syntax.DblQuoted:
			s = regexp.QuoteMeta(s)
		}
		expr.WriteString(s)
	}
	if !known {
		ev.setVar("BASH_REMATCH", unknownString("BASH_REMATCH holds a match known only when localrc is sourced"))
		return triUnknown
	}
	// bash uses POSIX extended regular expressions, leftmost-longest.
	rx, err := regexp.CompilePOSIX(expr.String())
	if err != nil {
		return triFalse // bash: status 2, BASH_REMATCH unchanged
	}
	m := rx.FindStringSubmatch(x)
	ev.setVar("BASH_REMATCH", &variable{kind: expand.Indexed, known: true, list: m})
	return triOf(m != nil)
}
