package localconf

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// progGen writes random localrc programs whose every value and condition
// is decidable at plan time: no command substitution, no environment, no
// file system. Whatever stackplan plans for them must therefore be exactly
// what DevStack registers, with nothing left unknown or conditional.
//
// The grammar covers what localrc files do with plugins and services, and
// the bash that static evaluators tend to get wrong: case with ;; ;& ;;&,
// set -- and positional parameters, declare/typeset/local scoping,
// BASH_REMATCH, escapes in patterns and replacements, indexed and
// associative arrays, arithmetic, loops, functions, GITREPO/GITBRANCH
// overrides, is_*_enabled functions and ENABLED_SERVICES edits.
type progGen struct {
	r      *rand.Rand
	b      strings.Builder
	depth  int
	funcs  []string // functions defined so far
	inFn   bool
	loops  int // nesting of loops, for break/continue
	loopID int // numbers loop counters
}

var (
	genVars     = []string{"A", "B", "C", "N", "U", "R"}
	genPlugins  = []string{"alpha", "beta", "gamma", "delta", "os-vif", "zeta"}
	genServices = []string{"nova", "n-cpu", "n-cpu-x", "n-api", "swift", "s-proxy", "s-object", "glance", "g-api", "neutron", "q-svc", "tempest", "foo", "bar-x", "c-vol", "cinder", "key"}
	genWords    = []string{"alpha", "beta", "x/y", "a b", "stable/2024.1", "https://h.example/p", "s-proxy", "n-cpu", "1", "2", "", "a.b", "-x", "*", "q?", "p/q/r"}
)

func (g *progGen) pick(s []string) string { return s[g.r.Intn(len(s))] }
func (g *progGen) n(k int) int            { return g.r.Intn(k) }

func (g *progGen) line(indent int, s string) {
	g.b.WriteString(strings.Repeat("    ", indent))
	g.b.WriteString(s)
	g.b.WriteString("\n")
}

// quote quotes a literal word so bash reads it back unchanged. A word
// starting with "-" is quoted too: inside [[ ]] the parser would take it
// for an operator where bash does not (see README).
func quote(s string) string {
	if s != "" && s[0] != '-' && !strings.ContainsAny(s, " *?[]'\"$\\|&;<>(){}#~`!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// word returns an expression that expands to one field.
func (g *progGen) word() string {
	v := g.pick(genVars)
	switch g.n(18) {
	case 0, 1:
		return quote(g.pick(genWords))
	case 2:
		return `"$` + v + `"`
	case 3:
		return `"${` + v + `:-` + strings.ReplaceAll(g.pick(genWords), " ", "_") + `}"`
	case 4:
		return `"${` + v + `//\//\/}"`
	case 5:
		return `"${` + v + `//` + g.pick([]string{"a", "x", `\*`, "?", "[ab]", "/", "-"}) + "/" + g.pick([]string{"Z", "", `\/`, "-"}) + `}"`
	case 6:
		return `"${` + v + `#` + g.pick([]string{"*/", "a", `\*`, "?"}) + `}"`
	case 7:
		return `"${` + v + `%` + g.pick([]string{"/*", "a", "%%b", "?"}) + `}"`
	case 8:
		return `"${#` + v + `}"`
	case 9:
		return `"$` + g.pick([]string{"1", "2", "#", "{3:-none}"}) + `"`
	case 10:
		return `"${ARR[` + fmt.Sprint(g.n(3)) + `]}"`
	case 11:
		return `"${M[` + g.pick([]string{"k1", "k2", "$A", "alpha"}) + `]}"`
	case 12:
		return `"${BASH_REMATCH[` + fmt.Sprint(g.n(3)) + `]}"`
	case 13:
		return `"$((` + g.arith() + `))"`
	case 14:
		return `"${` + v + `^^}"`
	case 15:
		return `"$` + g.pick([]string{"TARGET_BRANCH", "TRAILING_TARGET_BRANCH", "DEST", "DATA_DIR", "REGION_NAME", "GIT_BASE"}) + `"`
	case 16:
		return `"$` + v + `/` + g.pick(genPlugins) + `"`
	}
	return `"${GITREPO[` + g.pick(genPlugins) + `]}"`
}

func (g *progGen) arith() string {
	a := g.pick([]string{"N", "${#A}", "1", "2", "$#", "3"})
	b := g.pick([]string{"1", "2", "N", "0"})
	return a + " " + g.pick([]string{"+", "-", "*", "%", "<", "==", ">="}) + " " + b
}

func (g *progGen) cond() string {
	switch g.n(14) {
	case 0, 1:
		var s []string
		for i := 0; i <= g.n(2); i++ {
			s = append(s, g.pick(genServices))
		}
		return "is_service_enabled " + strings.Join(s, " ")
	case 2:
		return "is_plugin_enabled " + g.pick(genPlugins)
	case 3:
		return "[[ -n " + g.word() + " ]]"
	case 4:
		return "[[ -z " + g.word() + " ]]"
	case 5:
		return "[[ " + g.word() + " == " + g.pick([]string{"a*", "*/*", `\*`, "?", "alpha", `"x/y"`, "*[0-9]*", "@(a|b)*"}) + " ]]"
	case 6:
		return "[ " + g.word() + " = " + g.word() + " ]"
	case 7:
		return "(( " + g.arith() + " ))"
	case 8:
		// Not "! ! x": bash accepts it, the parser does not (see README).
		return "! " + strings.TrimPrefix(g.cond(), "! ")
	case 9:
		return g.cond() + " && " + g.cond()
	case 10:
		return g.cond() + " || " + g.cond()
	case 11:
		return "[[ " + g.word() + " =~ " + g.pick([]string{"^([a-z]+)/(.*)$", "([0-9]+)", "^(s|n)-(.*)", "a"}) + " ]]"
	case 12:
		if len(g.funcs) > 0 {
			return g.pick(g.funcs) + " " + g.word()
		}
	}
	return g.pick([]string{"true", "false"})
}

// stmt writes one statement at indent.
func (g *progGen) stmt(indent int) {
	g.depth++
	defer func() { g.depth-- }()
	k := g.n(30)
	if g.depth > 3 && k >= 12 {
		k %= 12
	}
	v := g.pick(genVars)
	switch k {
	case 0, 1, 2:
		op := g.pick([]string{"=", "=", "+="})
		prefix := g.pick([]string{"", "", "", "declare ", "typeset ", "local ", "export "})
		if prefix != "" {
			op = "="
		}
		g.line(indent, prefix+v+op+g.word())
	case 3, 4:
		args := []string{g.pickName(), g.word()}
		if g.n(3) > 0 {
			args = append(args, g.word())
		}
		g.line(indent, "enable_plugin "+strings.Join(args, " "))
	case 5:
		var s []string
		for i := 0; i <= g.n(3); i++ {
			s = append(s, g.pick(genServices))
		}
		g.line(indent, g.pick([]string{"enable_service ", "disable_service "})+strings.Join(s, " "))
	case 6:
		switch g.n(5) {
		case 0:
			g.line(indent, "disable_all_services")
		case 1:
			g.line(indent, `ENABLED_SERVICES+=",`+g.pick([]string{"-", ""})+g.pick(genServices)+`"`)
		case 2:
			g.line(indent, `ENABLED_SERVICES="`+g.pick(genServices)+", "+g.pick(genServices)+`,`+g.pick(genServices)+`"`)
		case 3:
			g.line(indent, `ENABLED_SERVICES+=,`+g.pick(genServices)+`,,`+g.pick(genServices))
		default:
			g.line(indent, "disable_negated_services")
		}
	case 7:
		g.line(indent, g.pick([]string{"GITREPO", "GITBRANCH"})+"["+g.pick(genPlugins)+"]="+g.word())
	case 8:
		g.line(indent, "set -- "+g.word()+" "+g.word()+g.pick([]string{"", " c d"}))
	case 9:
		switch g.n(4) {
		case 0:
			g.line(indent, "ARR=("+g.word()+" "+g.word()+")")
		case 1:
			g.line(indent, "ARR+=("+g.word()+")")
		case 2:
			g.line(indent, "declare -A M")
			g.line(indent, "M[k1]="+g.word())
		default:
			g.line(indent, "M["+g.pick([]string{"k2", "alpha", "$A"})+"]="+g.word())
		}
	case 10:
		g.line(indent, "N=$(( "+g.arith()+" ))")
	case 11:
		g.line(indent, "shift")
	case 12, 13:
		g.line(indent, "if "+g.cond()+"; then")
		g.block(indent + 1)
		if g.n(2) == 0 {
			g.line(indent, "elif "+g.cond()+"; then")
			g.block(indent + 1)
		}
		if g.n(2) == 0 {
			g.line(indent, "else")
			g.block(indent + 1)
		}
		g.line(indent, "fi")
	case 14, 15:
		g.line(indent, "case "+g.word()+" in")
		for i := 0; i <= g.n(3); i++ {
			pats := []string{g.pick([]string{"a*", "*/*", `\*`, "alpha|beta", "?", `"a b"`, "x/y", "[0-9]", "''", "*-*", "s-*"})}
			if i == 2 || g.n(6) == 0 {
				pats = []string{"*"}
			}
			g.line(indent+1, strings.Join(pats, "|")+")")
			g.block(indent + 2)
			g.line(indent+2, g.pick([]string{";;", ";;", ";&", ";;&"}))
		}
		g.line(indent, "esac")
	case 16:
		g.line(indent, "for "+v+" in "+g.word()+" "+g.pick([]string{"alpha beta", "$A", `"${ARR[@]}"`, `"$@"`, "os-vif"})+"; do")
		g.loops++
		g.block(indent + 1)
		g.loops--
		g.line(indent, "done")
	case 17:
		g.loopID++
		i := fmt.Sprintf("i%d", g.loopID)
		g.line(indent, "for (( "+i+" = 0; "+i+" < "+fmt.Sprint(g.n(3))+"; "+i+"++ )); do")
		g.loops++
		g.block(indent + 1)
		g.loops--
		g.line(indent, "done")
	case 18:
		// One counter per loop, so no loop resets another's.
		g.loopID++
		w := fmt.Sprintf("W%d", g.loopID)
		g.line(indent, w+"=0")
		g.line(indent, "while (( "+w+" < "+fmt.Sprint(g.n(3))+" )); do")
		g.loops++
		g.line(indent+1, w+"=$(( "+w+" + 1 ))")
		g.block(indent + 1)
		g.loops--
		g.line(indent, "done")
	case 19, 20:
		if g.inFn {
			g.line(indent, "return "+g.pick([]string{"0", "1"}))
			return
		}
		// Each name is defined once and a body calls only functions
		// defined before it, so no program recurses.
		var name string
		for _, n := range []string{"f1", "is_foo_enabled", "f2", "is_bar-x_enabled", "setup"} {
			if !slices.Contains(g.funcs, n) {
				name = n
				break
			}
		}
		if name == "" || g.n(3) == 0 && !slices.Contains(g.funcs, "is_foo_enabled") {
			name = cmp.Or(name, "f1")
		}
		if slices.Contains(g.funcs, name) {
			g.line(indent, ":")
			return
		}
		g.line(indent, name+"() {")
		g.inFn = true
		if g.n(2) == 0 {
			g.line(indent+1, g.pick([]string{"local", "declare", "typeset"})+" "+g.pick(genVars)+"="+g.word())
		}
		if strings.HasPrefix(name, "is_") {
			// is_service_enabled calls it: a body that called is_service_enabled
			// (itself, or through another function) would recurse forever.
			g.line(indent+1, g.pick([]string{"return 0", "return 1", "[[ -n $A ]]"}))
		} else {
			g.block(indent + 1)
		}
		g.inFn = false
		g.line(indent, "}")
		g.funcs = append(g.funcs, name)
	case 21, 22:
		if len(g.funcs) == 0 {
			g.line(indent, ":")
			return
		}
		g.line(indent, g.pick(g.funcs)+" "+g.word()+" "+g.word())
	case 23:
		if g.loops > 0 {
			g.line(indent, g.pick([]string{"break", "continue"}))
			return
		}
		g.line(indent, "true")
	case 24:
		g.line(indent, g.cond()+" && "+v+"="+g.word())
	case 25:
		g.line(indent, g.cond()+" || "+v+"="+g.word())
	case 26:
		g.line(indent, "unset "+v)
	case 27:
		g.line(indent, "[[ "+g.word()+" =~ "+g.pick([]string{"^([a-z]+)-(.*)$", "(.)/(.)"})+" ]] && "+v+`="${BASH_REMATCH[1]}"`)
	case 28:
		g.line(indent, "DEST="+g.pick([]string{"/srv/stack", "/opt/stack", "/x/y"}))
	default:
		g.line(indent, "TARGET_BRANCH="+g.pick([]string{"stable/2024.1", "master"}))
	}
}

// pickName is a plugin name: literal, from a variable, or computed.
func (g *progGen) pickName() string {
	switch g.n(4) {
	case 0:
		return `"$1"`
	case 1:
		return `"${A:-` + g.pick(genPlugins) + `}"`
	}
	return g.pick(genPlugins)
}

func (g *progGen) block(indent int) {
	for i, k := 0, 1+g.n(3); i < k; i++ {
		g.stmt(indent)
	}
}

// genProgram writes one program.
func genProgram(r *rand.Rand) string {
	g := &progGen{r: r}
	for i, k := 0, 4+r.Intn(12); i < k; i++ {
		g.stmt(0)
	}
	return g.b.String()
}

var (
	agreementN    = flag.Int("agreement.n", 0, "programs for TestAgreementReport")
	agreementSeed = flag.Int64("agreement.seed", 1, "seed for TestAgreementReport")
	agreementShow = flag.Int("agreement.show", 20, "disagreements shown")
)
