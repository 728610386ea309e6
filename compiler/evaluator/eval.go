package evaluator

import (
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/pattern"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/compiler/internal/shdepth"
	"github.com/stackplan/stackplan/schema"
)

// Limits that keep hostile input bounded. Real localrc files nest a few
// levels and run a few hundred statements.
const (
	maxNesting    = 200     // nested compound commands
	maxCallDepth  = 16      // user function calls within calls
	maxStatements = 200_000 // statements evaluated in one localrc
	MaxLoopItems  = 10_000  // items one for loop iterates statically (exported for the hostile tests)
	maxArithDepth = 100     // nested operators in one arithmetic expression
	// maxValueLen bounds one variable's value: X=$X$X doubles it, and forty
	// such lines would ask for a terabyte.
	maxValueLen = 1 << 20
	// maxExpansion bounds what one word may expand to.
	maxExpansion = 4 * maxValueLen
)

// tri is a command's exit status as far as plan time can tell.
type tri int8

const (
	triTrue tri = iota // exit status 0
	triFalse
	triUnknown
)

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// flow is how control leaves a command.
type flow int8

const (
	flowNext flow = iota
	flowBreak
	flowContinue
	flowReturn // return: ends a function, or the sourced localrc at top level
	flowExit   // exit or die: ends DevStack
)

// expansion records what one word expansion touched.
type expansion struct {
	tainted bool
	why     string
	unset   []string
	secret  bool // read a secret variable
}

func (x *expansion) taint(why string) {
	if !x.tainted {
		x.tainted, x.why = true, why
	}
}

// evaluator runs a localrc statically: it follows what DevStack's localrc
// can do to plugins, services and variables, and runs nothing.
type evaluator struct {
	src   string // the concatenated localrc text
	loc   locator
	cfg   *schema.Config
	diags hcl.Diagnostics

	vars      vars
	funcs     map[string]*syntax.Stmt
	args      []string // positional parameters
	argsKnown bool     // false when a positional parameter is unknown
	status    tri      // $?, the status of the last command
	// devstackAt is set while one of DevStack's functions runs: the
	// localrc call it came from, where its findings point.
	devstackAt   *hcl.Range
	devstackArgs []arg // the arguments of that call
	// elemSetAt is where each associative array element, "NAME[key]",
	// was last set: GITREPO[name] set after enable_plugin is what is cloned.
	elemSetAt map[string]hcl.Range
	// curStmt is the statement being evaluated; aborted is set when it
	// met a bash error that abandons the statement of localrc it is part of.
	curStmt *syntax.Stmt
	aborted bool
	// unescaped marks the replacements assocKeys has prepared.
	unescaped map[*syntax.ParamExp]bool
	exp       expansion
	envRead   map[string]bool
	expCfg    *expand.Config

	conds      []hcl.Range // the unknown conditions we are inside, innermost last
	subshell   int         // >0 inside a subshell, pipeline or background job
	depth      int
	callDepth  int
	statements int
	limitHit   bool
	localSaves []map[string]*variable // per function call: values hidden by "local"
	// destSetAt is where DEST was last assigned, for dest-after-plugin.
	pluginCount int
	// vanished collects the arguments of the current command that
	// expanded to no word because of unset variables.
	vanished []arg
}

func newEvaluator(src string, loc locator, cfg *schema.Config) *evaluator {
	ev := &evaluator{
		src: src, loc: loc, cfg: cfg,
		vars:      vars{},
		funcs:     map[string]*syntax.Stmt{},
		argsKnown: true,
		elemSetAt: map[string]hcl.Range{},
		unescaped: map[*syntax.ParamExp]bool{},
		envRead:   map[string]bool{},
	}
	ev.expCfg = &expand.Config{
		Env: shellEnv{ev},
		CmdSubst: func(io.Writer, *syntax.CmdSubst) error {
			ev.exp.taint("it uses a command substitution, which runs only when localrc is sourced")
			return nil
		},
		ProcSubst: func(*syntax.ProcSubst) (string, error) {
			ev.exp.taint("it uses a process substitution, which runs only when localrc is sourced")
			return "/dev/fd/63", nil
		},
		// ReadDir2 stays nil: globbing is off, so plan time never reads the file system.
	}
	return ev
}

// rangeOf maps a syntax node to its range in the input file.
func (ev *evaluator) rangeOf(n syntax.Node) hcl.Range {
	return ev.rangeOfPos(n.Pos(), n.End())
}

func (ev *evaluator) rangeOfPos(start, end syntax.Pos) hcl.Range {
	if ev.devstackAt != nil {
		return *ev.devstackAt
	}
	return ev.loc.rng(int(start.Offset()), int(end.Offset()))
}

func (ev *evaluator) text(n syntax.Node) string {
	if ev.devstackAt != nil {
		return ""
	}
	s, e := int(n.Pos().Offset()), int(n.End().Offset())
	if s < 0 || e > len(ev.src) || s > e {
		return ""
	}
	return ev.src[s:e]
}

func (ev *evaluator) diag(d *hcl.Diagnostic) { ev.diags = append(ev.diags, d) }

// run evaluates the localrc statement by statement, as bash sources it: a
// syntax error stops everything after it.
func (ev *evaluator) run() {
	if off, ok := shdepth.Source(ev.src); !ok {
		ev.limitAt(ev.loc.rng(off, off+1), fmt.Sprintf("brackets, braces, parentheses and compound commands nested deeper than %d levels", shdepth.MaxSource))
		return
	}
	parser := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.KeepComments(true))
	// The loop never stops the iterator early: StmtsSeq (mvdan.cc/sh
	// v3.14.1) yields its final error even after the loop body returned
	// false, which panics. Once done, the rest is only parsed, not evaluated.
	done := false
	for stmt, err := range parser.StmtsSeq(strings.NewReader(ev.src)) {
		if done {
			continue
		}
		if err != nil {
			ev.syntaxError(err)
			done = true
			continue
		}
		if deep, ok := shdepth.Tree(stmt); !ok {
			ev.limit(deep, fmt.Sprintf("a statement nested deeper than %d levels", shdepth.MaxTree))
			done = true
			continue
		}
		_, fl := ev.stmt(stmt)
		if ev.aborted {
			// bash dropped this statement of localrc, and goes on.
			ev.aborted = false
			ev.status = triFalse
			continue
		}
		if fl == flowReturn || fl == flowExit {
			done = true
		}
	}
}

var enablePluginRE = regexp.MustCompile(`(?m)^[ \t]*enable_plugin[ \t]+(\S+)`)

func (ev *evaluator) syntaxError(err error) {
	var off int
	var msg string
	switch e := err.(type) {
	case syntax.ParseError:
		off, msg = int(e.Pos.Offset()), e.Text
	case syntax.LangError:
		off, msg = int(e.Pos.Offset()), e.Feature+" is not supported here"
	default:
		off, msg = len(ev.src), err.Error()
	}
	off = max(0, min(off, len(ev.src)))
	// bash drops the statement being parsed and everything after it: from
	// the start of the line the error is on, at the latest.
	lineStart := strings.LastIndexByte(ev.src[:off], '\n') + 1
	rest := ev.src[lineStart:]
	dropped := strings.Count(rest, "\n")
	detail := fmt.Sprintf("bash stops sourcing localrc at a syntax error, and DevStack goes on without a word: the %d lines from here to the end of the localrc are ignored.", dropped)
	if m := enablePluginRE.FindAllStringSubmatchIndex(rest, -1); len(m) > 0 {
		var lost []string
		for _, idx := range m {
			p := ev.loc.rng(lineStart+idx[2], lineStart+idx[2]).Start
			lost = append(lost, fmt.Sprintf("%s (line %d)", rest[idx[2]:idx[3]], p.Line))
		}
		detail += " Plugins lost this way: " + strings.Join(lost, ", ") + "."
	}
	ev.diag(schema.RuleBashSyntax.Diag("bash syntax error: "+msg, detail, ev.loc.rng(off, off+1)))
}

func (ev *evaluator) limit(n syntax.Node, what string) { ev.limitAt(ev.rangeOf(n), what) }

func (ev *evaluator) limitAt(rng hcl.Range, what string) {
	if !ev.limitHit {
		ev.limitHit = true
		ev.diag(schema.RuleLimit.Diag("localrc too complex to evaluate: "+what,
			"stackplan stops following the localrc here; plugins enabled past this point are not in the plan.", rng))
	}
}

func (ev *evaluator) stmts(list []*syntax.Stmt) (tri, flow) {
	st := triTrue
	for _, s := range list {
		var fl flow
		st, fl = ev.stmt(s)
		if fl != flowNext {
			return st, fl
		}
	}
	return st, flowNext
}

func (ev *evaluator) stmt(s *syntax.Stmt) (tri, flow) {
	ev.statements++ // DevStack's functions count too: they run as bash
	if ev.statements > maxStatements {
		ev.limit(s, fmt.Sprintf("more than %d statements", maxStatements))
		return triUnknown, flowExit
	}
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxNesting {
		ev.limit(s, fmt.Sprintf("nested deeper than %d levels", maxNesting))
		return triUnknown, flowExit
	}
	if s.Cmd == nil {
		return triTrue, flowNext
	}
	if s.Background {
		// A background job runs in a subshell: nothing it sets survives.
		ev.inSubshell(func() { ev.command(s.Cmd) })
		return triTrue, flowNext
	}
	outer := ev.curStmt
	ev.curStmt = s
	st, fl := ev.command(s.Cmd)
	ev.curStmt = outer
	if ev.aborted {
		return triUnknown, flowExit
	}
	if s.Negated {
		st = st.not()
	}
	ev.status = st
	return st, fl
}

func (ev *evaluator) command(cmd syntax.Command) (tri, flow) {
	switch c := cmd.(type) {
	case *syntax.CallExpr:
		return ev.call(c)
	case *syntax.DeclClause:
		return ev.decl(c), flowNext
	case *syntax.IfClause:
		return ev.ifClause(c)
	case *syntax.CaseClause:
		return ev.caseClause(c)
	case *syntax.ForClause:
		return ev.forClause(c)
	case *syntax.WhileClause:
		return ev.whileClause(c)
	case *syntax.Block:
		return ev.stmts(c.Stmts)
	case *syntax.Subshell:
		var st tri
		ev.inSubshell(func() { st, _ = ev.stmts(c.Stmts) })
		return st, flowNext
	case *syntax.BinaryCmd:
		return ev.binary(c)
	case *syntax.FuncDecl:
		if c.Name != nil {
			ev.funcs[c.Name.Value] = c.Body
		}
		return triTrue, flowNext
	case *syntax.TestClause:
		return ev.test(c.X), flowNext
	case *syntax.TimeClause:
		if c.Stmt == nil {
			return triTrue, flowNext
		}
		return ev.stmt(c.Stmt)
	case *syntax.ArithmCmd:
		n, known := ev.arith(c.X)
		if !known {
			return triUnknown, flowNext
		}
		return triOf(n != 0), flowNext
	case *syntax.LetClause:
		st := triUnknown
		for _, x := range c.Exprs {
			n, known := ev.arith(x)
			if !known {
				return triUnknown, flowNext
			}
			st = triOf(n != 0)
		}
		return st, flowNext
	}
	// coproc: no status known at plan time.
	return triUnknown, flowNext
}

// inSubshell runs fn with its effects on variables and plugins discarded,
// as bash discards a subshell's.
func (ev *evaluator) inSubshell(fn func()) {
	saved := maps.Clone(ev.vars)
	savedFuncs := maps.Clone(ev.funcs)
	nPlugins := len(ev.cfg.Plugins)
	ev.subshell++
	fn()
	ev.subshell--
	ev.vars, ev.funcs = saved, savedFuncs
	ev.cfg.Plugins = ev.cfg.Plugins[:nPlugins]
}

// fork runs each alternative on its own copy of the variables, as one of
// them will run but plan time cannot tell which. Afterwards a variable
// keeps its value if every alternative left it the same, and is unknown
// otherwise. Plugins enabled in any alternative are kept, marked conditional.
func (ev *evaluator) fork(cond hcl.Range, alts ...func()) {
	base := ev.vars
	results := make([]vars, len(alts))
	ev.conds = append(ev.conds, cond)
	for i, alt := range alts {
		ev.vars = maps.Clone(base)
		alt()
		results[i] = ev.vars
	}
	ev.conds = ev.conds[:len(ev.conds)-1]
	merged := maps.Clone(results[0])
	for _, r := range results[1:] {
		for name := range r {
			if _, ok := merged[name]; !ok {
				merged[name] = nil // set in some alternatives only
			}
		}
	}
	for name, v := range merged {
		for _, r := range results {
			if !v.equal(r[name]) {
				p := cond.Start
				merged[name] = unknownString(fmt.Sprintf("$%s is set differently depending on the condition at line %d", name, p.Line))
				break
			}
		}
	}
	ev.vars = merged
}

func (ev *evaluator) ifClause(c *syntax.IfClause) (tri, flow) {
	st, fl := ev.stmts(c.Cond)
	if fl != flowNext {
		return st, fl
	}
	switch st {
	case triTrue:
		return ev.stmts(c.Then)
	case triFalse:
		return ev.elsePart(c.Else)
	}
	condRange := ev.rangeOfPos(c.Position, c.ThenPos)
	ev.fork(condRange,
		func() { ev.stmts(c.Then) },
		func() { ev.elsePart(c.Else) })
	return triUnknown, flowNext
}

func (ev *evaluator) elsePart(e *syntax.IfClause) (tri, flow) {
	if e == nil {
		return triTrue, flowNext
	}
	if !e.ThenPos.IsValid() { // a plain "else"
		return ev.stmts(e.Then)
	}
	return ev.ifClause(e)
}

func (ev *evaluator) caseClause(c *syntax.CaseClause) (tri, flow) {
	word, known := ev.literal(c.Word)
	condRange := ev.rangeOf(c.Word)
	if !known {
		return ev.unknownCase(c, condRange)
	}
	st := triTrue // no item matched
	for i := 0; i < len(c.Items); i++ {
		item := c.Items[i]
		matched := false
		for _, p := range item.Patterns {
			m, ok := ev.match(word, p)
			if !ok {
				return ev.unknownCase(c, condRange)
			}
			if m {
				matched = true
				break
			}
		}
		if !matched {
			continue
		}
		var fl flow
		st, fl = ev.stmts(item.Stmts)
		// ";&" runs the next item's commands without testing its patterns.
		for fl == flowNext && item.Op == syntax.Fallthrough && i+1 < len(c.Items) {
			i++
			item = c.Items[i]
			st, fl = ev.stmts(item.Stmts)
		}
		// ";;&" goes on testing the items after this one; ";;" stops.
		if fl != flowNext || item.Op != syntax.Resume && item.Op != syntax.ResumeKorn {
			return st, fl
		}
	}
	return st, flowNext
}

func (ev *evaluator) unknownCase(c *syntax.CaseClause, cond hcl.Range) (tri, flow) {
	alts := []func(){func() {}} // no item matches
	for _, item := range c.Items {
		alts = append(alts, func() { ev.stmts(item.Stmts) })
	}
	ev.fork(cond, alts...)
	return triUnknown, flowNext
}

// match tests word against a case pattern; ok is false when the pattern is
// not known at plan time.
func (ev *evaluator) match(word string, p *syntax.Word) (matched, ok bool) {
	ev.exp = expansion{}
	ev.assocKeys(p)
	pat, err := ev.guard(func() (string, error) { return expand.Pattern(ev.expCfg, p) })
	if err != nil || ev.exp.tainted {
		return false, false
	}
	expr, err := pattern.Regexp(pat, pattern.EntireString|pattern.ExtendedOperators)
	if err != nil {
		return false, false
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return false, false
	}
	return re.MatchString(word), true
}

func (ev *evaluator) forClause(c *syntax.ForClause) (tri, flow) {
	cond := ev.rangeOfPos(c.ForPos, c.DoPos)
	if loop, ok := c.Loop.(*syntax.CStyleLoop); ok {
		return ev.arithFor(c, loop)
	}
	iter, ok := c.Loop.(*syntax.WordIter)
	if !ok || c.Select { // select loops: the count is not known
		ev.fork(cond, func() {}, func() { ev.stmts(c.Do) })
		return triUnknown, flowNext
	}
	items := ev.args
	if iter.InPos.IsValid() {
		var known bool
		items, known = ev.fieldsOf(iter.Items)
		if !known || len(items) > MaxLoopItems {
			ev.fork(cond, func() {}, func() {
				ev.setVar(iter.Name.Value, unknownString("$"+iter.Name.Value+" takes values known only when localrc is sourced"))
				ev.stmts(c.Do)
			})
			return triUnknown, flowNext
		}
	}
	st := triTrue
	for _, item := range items {
		ev.setVar(iter.Name.Value, knownString(item))
		var fl flow
		if st, fl = ev.stmts(c.Do); loopEnds(fl) {
			return st, afterLoop(fl)
		}
	}
	return st, flowNext
}

// loopEnds tells whether a loop stops after its body left with fl; a
// continue, like the end of the body, goes on to the next iteration.
func loopEnds(fl flow) bool { return fl == flowBreak || fl == flowReturn || fl == flowExit }

// afterLoop is how control leaves a loop its body ended with fl: a break
// ends only the loop.
func afterLoop(fl flow) flow {
	if fl == flowBreak {
		return flowNext
	}
	return fl
}

func (ev *evaluator) whileClause(c *syntax.WhileClause) (tri, flow) {
	st := triTrue
	for range MaxLoopItems {
		cond, fl := ev.stmts(c.Cond)
		if fl != flowNext {
			return cond, fl
		}
		if c.Until {
			cond = cond.not()
		}
		switch cond {
		case triFalse:
			return st, flowNext
		case triUnknown:
			// The number of further iterations is not known: the body may
			// run or not.
			ev.fork(ev.rangeOfPos(c.WhilePos, c.DoPos), func() {}, func() { ev.stmts(c.Do) })
			return triUnknown, flowNext
		}
		if st, fl = ev.stmts(c.Do); loopEnds(fl) {
			return st, afterLoop(fl)
		}
	}
	ev.limit(c, fmt.Sprintf("a loop runs more than %d times", MaxLoopItems))
	return triUnknown, flowExit
}

// arithFor runs a C-style for loop whose condition is known at plan time.
func (ev *evaluator) arithFor(c *syntax.ForClause, loop *syntax.CStyleLoop) (tri, flow) {
	cond := ev.rangeOfPos(c.ForPos, c.DoPos)
	if loop.Init != nil {
		if _, known := ev.arith(loop.Init); !known {
			ev.fork(cond, func() {}, func() { ev.stmts(c.Do) })
			return triUnknown, flowNext
		}
	}
	st := triTrue
	for range MaxLoopItems {
		if loop.Cond != nil {
			n, known := ev.arith(loop.Cond)
			if !known {
				ev.fork(cond, func() {}, func() { ev.stmts(c.Do) })
				return triUnknown, flowNext
			}
			if n == 0 {
				return st, flowNext
			}
		}
		var fl flow
		if st, fl = ev.stmts(c.Do); loopEnds(fl) {
			return st, afterLoop(fl)
		}
		if loop.Post != nil {
			ev.arith(loop.Post)
		}
	}
	ev.limit(c, fmt.Sprintf("a loop runs more than %d times", MaxLoopItems))
	return triUnknown, flowExit
}

// arith evaluates an arithmetic expression as bash does, assignments
// included; known is false when it reads a value unknown at plan time.
func (ev *evaluator) arith(x syntax.ArithmExpr) (int, bool) {
	ev.exp = expansion{}
	if arithDepth(x) > maxArithDepth {
		ev.limit(x, fmt.Sprintf("arithmetic nested deeper than %d levels", maxArithDepth))
		return 0, false
	}
	var n int
	_, err := ev.guard(func() (string, error) {
		var err error
		n, err = expand.Arithm(ev.expCfg, x)
		return "", err
	})
	// An error in (( )), let or a for (( )) is only a failing status.
	if err != nil || ev.exp.tainted {
		return 0, false
	}
	return n, true
}

// arithDepth measures how deeply an arithmetic expression nests, stopping
// below the limit, so that a hostile expression never reaches the
// recursive arithmetic evaluator.
func arithDepth(x syntax.ArithmExpr) int {
	deepest := 0
	depth := 0
	syntax.Walk(x, func(n syntax.Node) bool {
		if n == nil {
			depth--
			return true
		}
		depth++
		deepest = max(deepest, depth)
		if depth > maxArithDepth {
			depth-- // Walk calls f(nil) only after children it entered
			return false
		}
		return true
	})
	return deepest
}

func (ev *evaluator) binary(c *syntax.BinaryCmd) (tri, flow) {
	switch c.Op {
	case syntax.AndStmt, syntax.OrStmt:
		st, fl := ev.stmt(c.X)
		if fl != flowNext {
			return st, fl
		}
		runY := triOf(st == triTrue)
		if c.Op == syntax.OrStmt {
			runY = triOf(st == triFalse)
		}
		if st == triUnknown {
			runY = triUnknown
		}
		switch runY {
		case triTrue:
			return ev.stmt(c.Y)
		case triFalse:
			return st, flowNext
		}
		ev.fork(ev.rangeOf(c.X), func() {}, func() { ev.stmt(c.Y) })
		return triUnknown, flowNext
	}
	// A pipeline runs each part in a subshell.
	ev.inSubshell(func() {
		ev.stmt(c.X)
		ev.stmt(c.Y)
	})
	return triUnknown, flowNext
}

// literal expands a word without field splitting, as in an assignment.
func (ev *evaluator) literal(w *syntax.Word) (string, bool) {
	ev.exp = expansion{}
	if w == nil {
		return "", true
	}
	if tooBig(w) || ev.expandsTooLarge(w) {
		ev.exp.taint("its expansion is too large to evaluate")
		return "", false
	}
	ev.assocKeys(w)
	s, err := ev.guard(func() (string, error) { return expand.Literal(ev.expCfg, w) })
	ev.runtimeError(err)
	if err != nil {
		ev.exp.taint(err.Error())
		return "", false
	}
	return s, !ev.exp.tainted
}

// fieldsOf expands words into fields as bash does for a command's
// arguments; known is false if any part is unknown.
func (ev *evaluator) fieldsOf(words []*syntax.Word) ([]string, bool) {
	var out []string
	for _, w := range words {
		f, known := ev.fields(w)
		if !known {
			return nil, false
		}
		out = append(out, f...)
	}
	return out, true
}

func (ev *evaluator) fields(w *syntax.Word) ([]string, bool) {
	ev.exp = expansion{}
	if tooBig(w) || ev.expandsTooLarge(w) {
		ev.exp.taint("its expansion is too large to evaluate")
		return nil, false
	}
	ev.assocKeys(w)
	var f []string
	_, err := ev.guard(func() (string, error) {
		var err error
		f, err = expand.Fields(ev.expCfg, w)
		return "", err
	})
	ev.runtimeError(err)
	if err != nil {
		ev.exp.taint(err.Error())
		return nil, false
	}
	return f, !ev.exp.tainted
}

var braceRangeRE = regexp.MustCompile(`\{(-?\d+)\.\.(-?\d+)`)

// tooBig reports whether a word holds a brace range so large that
// expanding it would exhaust memory ({1..100000000}).
func tooBig(w *syntax.Word) bool {
	for _, part := range w.Parts {
		lit, ok := part.(*syntax.Lit)
		if !ok || !strings.Contains(lit.Value, "..") {
			continue
		}
		for _, m := range braceRangeRE.FindAllStringSubmatch(lit.Value, -1) {
			a, err1 := strconv.Atoi(m[1])
			b, err2 := strconv.Atoi(m[2])
			if err1 != nil || err2 != nil || a-b > MaxLoopItems || b-a > MaxLoopItems {
				return true
			}
		}
	}
	return false
}

// expandsTooLarge reports whether expanding w could build a string larger
// than maxValueLen many times over: ${X//?/$X} squares the size of $X.
// The estimate is an upper bound computed from the variables' sizes.
func (ev *evaluator) expandsTooLarge(w *syntax.Word) bool {
	return ev.estimate(w, 0) > maxExpansion
}

func (ev *evaluator) estimate(w *syntax.Word, depth int) int {
	if w == nil || depth > maxNesting {
		return 0
	}
	total := 0
	for _, part := range w.Parts {
		n := 0
		switch p := part.(type) {
		case *syntax.Lit:
			n = len(p.Value)
		case *syntax.SglQuoted:
			n = len(p.Value)
		case *syntax.DblQuoted:
			n = ev.estimate(&syntax.Word{Parts: p.Parts}, depth+1)
		case *syntax.ParamExp:
			if p.Param != nil {
				if v := ev.vars[p.Param.Value]; v != nil {
					n = v.size()
				}
			}
			if p.Repl != nil {
				n = min(n, maxExpansion+1) * max(1, ev.estimate(p.Repl.With, depth+1))
			}
			if p.Exp != nil {
				n += ev.estimate(p.Exp.Word, depth+1)
			}
		}
		total += min(n, maxExpansion+1) // clamped, so products cannot overflow
		if total > maxExpansion {
			return total
		}
	}
	return total
}

// assocKeys prepares a word for the expander where it differs from bash:
//   - the index of ${NAME[key]} for an associative array becomes the key
//     as written: the parser cannot know NAME's kind and reads "os-vif" as
//     arithmetic, which the expander does not take for a key;
//   - in the replacement of ${X//pattern/replacement}, bash removes the
//     backslash of \/ and the like, which the expander keeps.
func (ev *evaluator) assocKeys(w *syntax.Word) {
	syntax.Walk(w, func(n syntax.Node) bool {
		pe, ok := n.(*syntax.ParamExp)
		if !ok || pe.Param == nil {
			return true
		}
		if pe.Repl != nil && pe.Repl.With != nil && !ev.unescaped[pe] {
			ev.unescaped[pe] = true // once: the word may be expanded again
			for _, part := range pe.Repl.With.Parts {
				if lit, ok := part.(*syntax.Lit); ok && strings.Contains(lit.Value, "\\") {
					lit.Value = unescape(lit.Value)
				}
			}
		}
		if pe.Index == nil {
			return true
		}
		if _, isWord := pe.Index.(*syntax.Word); isWord {
			return true
		}
		if v := ev.vars[pe.Param.Value]; v != nil && v.kind == expand.Associative {
			pe.Index = &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{Value: ev.text(pe.Index), ValuePos: pe.Index.Pos(), ValueEnd: pe.Index.End()}}}
		}
		return true
	})
}

// guard runs one expansion and turns a panic of the expander on input it
// does not expect into an unknown value: plan time must never crash.
func (ev *evaluator) guard(expand func() (string, error)) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("the expander cannot evaluate it: %v", r)
		}
	}()
	return expand()
}

// unescape removes one level of backslash quoting, as bash's quote removal
// does: \x becomes x.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// runtimeError stops the evaluation where bash stops: an arithmetic error
// in a word's $(( )) abandons the top-level statement of the sourced
// localrc it is part of (however deep in functions), and bash goes on
// with the next one.
func (ev *evaluator) runtimeError(err error) {
	if err == nil || ev.exp.tainted || ev.aborted || ev.curStmt == nil {
		return
	}
	if msg := err.Error(); msg == "division by zero" || msg == "exponent less than 0" {
		ev.aborted = true
		ev.diag(schema.RuleBashSyntax.Diag("bash error: "+msg,
			"At an arithmetic error bash abandons this statement of localrc, whole, and goes on with the next; DevStack runs without what the rest of the statement would have done.",
			ev.rangeOf(ev.curStmt)))
	}
}

// finish records in cfg what localrc left behind: DEST, the services and
// the environment variables it read.
func (ev *evaluator) finish(opts Options) {
	cfg := ev.cfg
	if d := ev.vars["DEST"]; d != nil && d.known && d.str != "" {
		cfg.Dest = d.str // DEST after localrc: where DevStack keeps everything else
	}
	ev.afterLocalrc()
	// stack.sh runs disable_negated_services right after stackrc.
	if len(cfg.Localrc) > 0 && !ev.limitHit {
		ev.runFunc(cfg.Localrc[len(cfg.Localrc)-1].Range, devstackFunctions()["disable_negated_services"], nil)
	}
	if list, known := ev.services(); known {
		cfg.Services.Enabled, cfg.Services.EnabledKnown = list, true
	}
	cfg.Services.Disabled = ev.disabledServices()
	for _, name := range slices.Sorted(maps.Keys(ev.envRead)) {
		cfg.Env = append(cfg.Env, schema.EnvVar{Name: name, Value: opts.Env[name]})
	}
}
