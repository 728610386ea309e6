package localconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/internal/devstackfuncs"
)

// The interp measurement answers issue #14's design question with numbers:
// would running localrc in mvdan.cc/sh/v3/interp, a bash interpreter in Go,
// agree with DevStack more often than this package's evaluator? It is a
// measurement, not a second evaluator: it lives in tests only, and runs
// the same programs, against the same oracle, as TestDifferentialDevStack.
//
// The interpreter runs nothing and reads nothing: every external command
// fails with status 127 (so a command substitution expands to ""), every
// file is absent except /dev/null, and directories are empty (so a glob
// matches nothing, as in the oracle's empty working directory). It is given
// DevStack's service functions from internal/devstackfuncs, and, from the
// pinned DevStack tree, enable_plugin, isset, the part of stackrc that runs
// before localrc and the part after it that changes what is cloned or dies.

// interpStepLimit bounds the simple commands one program may run, so that a
// loop that never ends fails the measurement instead of hanging it.
const interpStepLimit = 200000

var errInterpSteps = errors.New("step limit reached")

// interpDevStack is what the interpreter runs around each program.
type interpDevStack struct {
	before *syntax.File // functions, then stackrc up to localrc
	after  *syntax.File // stackrc after localrc, then stack.sh's disable_negated_services
}

// devstackFunction returns the text of one function of functions-common.
func devstackFunction(t testing.TB, functionsCommon, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?ms)^function ` + name + ` \{\n.*?^\}\n`).FindString(functionsCommon)
	if m == "" {
		t.Fatalf("functions-common has no function %s", name)
	}
	return m
}

func loadInterpDevStack(t testing.TB, ds string) interpDevStack {
	t.Helper()
	fc, stackrc := readDevStack(t, ds)
	var before, after strings.Builder
	before.WriteString("declare -A -g GITREPO GITBRANCH GITDIR\n")
	before.WriteString("die() { exit 1; }\nwarn() { :; }\nerr() { :; }\n")
	before.WriteString(devstackFunction(t, string(fc), "enable_plugin"))
	before.WriteString(devstackFunction(t, string(fc), "isset"))
	before.WriteString(devstackfuncs.Source)
	// The same lines of stackrc as the oracle's sed programs take.
	inBefore, inWSGI := false, false
	for _, l := range strings.Split(string(stackrc), "\n") {
		switch {
		case strings.HasPrefix(l, "TARGET_BRANCH=master"):
			inBefore = true
		case strings.HasPrefix(l, "# allow local overrides"):
			inBefore = false
		}
		if inBefore {
			before.WriteString(strings.ReplaceAll(l, "STACK_USER=$(whoami)", "STACK_USER=stack") + "\n")
		}
		if strings.HasPrefix(l, "WSGI_MODE=") {
			inWSGI = true
		}
		if inWSGI || strings.HasPrefix(l, "GIT_BASE=") || strings.HasPrefix(l, "GITREPO[") || strings.HasPrefix(l, "GITBRANCH[") || strings.HasPrefix(l, "GITDIR[") {
			after.WriteString(l + "\n")
		}
		if inWSGI && l == "fi" {
			inWSGI = false
		}
	}
	after.WriteString("disable_negated_services\n")
	parse := func(name, src string) *syntax.File {
		f, err := syntax.NewParser().Parse(strings.NewReader(src), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return f
	}
	return interpDevStack{before: parse("before", before.String()), after: parse("after", after.String())}
}

// nopCloser is /dev/null.
type nopCloser struct{}

func (nopCloser) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopCloser) Write(p []byte) (int, error) { return len(p), nil }
func (nopCloser) Close() error                { return nil }

func newSandboxRunner(dir string) (*interp.Runner, error) {
	steps := 0
	return interp.New(
		interp.Env(expand.ListEnviron("PATH=/nonexistent", "HOME="+dir, "LC_ALL=C")),
		interp.Dir(dir),
		interp.StdIO(nil, io.Discard, io.Discard),
		interp.CallHandler(func(ctx context.Context, args []string) ([]string, error) {
			if steps++; steps > interpStepLimit {
				return nil, errInterpSteps
			}
			return args, nil
		}),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
			return func(context.Context, []string) error { return interp.NewExitStatus(127) }
		}),
		interp.OpenHandler(func(_ context.Context, path string, _ int, _ os.FileMode) (io.ReadWriteCloser, error) {
			if path == "/dev/null" {
				return nopCloser{}, nil
			}
			return nil, fs.ErrNotExist
		}),
		interp.ReadDirHandler2(func(context.Context, string) ([]fs.DirEntry, error) { return nil, nil }),
		interp.StatHandler(func(context.Context, string, bool) (fs.FileInfo, error) { return nil, fs.ErrNotExist }),
	)
}

// planner returns a planner that runs each program in the interpreter. It never
// gives a reason not to compare: an interpreter decides everything, rightly
// or not.
func (ds interpDevStack) planner(dir string) func(string) (oracleResult, string) {
	return func(src string) (oracleResult, string) {
		res, err := ds.run(dir, src)
		if err != nil {
			return res, "interp: " + err.Error()
		}
		return res, ""
	}
}

func (ds interpDevStack) run(dir, src string) (res oracleResult, err error) {
	// interp v3.14.1 panics on some words (an associative array's key
	// that parses as arithmetic, as in "${M[k-1]}"): a production design
	// would have to recover, and the program counts as a disagreement.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	r, err := newSandboxRunner(dir)
	if err != nil {
		return oracleResult{}, err
	}
	ctx := context.Background()
	// fatal tells a runner error that stops the measurement from a
	// command's exit status, which bash would carry on after.
	fatal := func(err error) bool {
		_, isStatus := interp.IsExitStatus(err)
		return err != nil && !isStatus
	}
	if err := r.Run(ctx, ds.before); fatal(err) || r.Exited() {
		return oracleResult{}, fmt.Errorf("DevStack's prelude: %v", err)
	}
	res = oracleResult{End: "exit"}
	// Statement by statement, as bash sources a file: a syntax error stops
	// it there, after what came before has run.
	var runErr error
	parseErr := syntax.NewParser().Stmts(strings.NewReader(src), func(st *syntax.Stmt) bool {
		if err := r.Run(ctx, st); fatal(err) {
			runErr = err
		}
		return runErr == nil && !r.Exited()
	})
	switch {
	case errors.Is(runErr, errInterpSteps):
		return res, runErr
	case runErr == nil && parseErr == nil && !r.Exited():
		res.End = "died"
		if err := r.Run(ctx, ds.after); !fatal(err) && !r.Exited() {
			res.End = "done"
		}
	}
	// Otherwise bash stopped in localrc: an exit, a die, a syntax error, or
	// an expansion error such as a bad array subscript.
	get := func(name, key string) string {
		v := r.Vars[name]
		if key == "" {
			return v.String()
		}
		return v.Map[key]
	}
	for _, name := range strings.Split(strings.TrimPrefix(get("DEVSTACK_PLUGINS", ""), ","), ",") {
		if name != "" {
			res.Plugins = append(res.Plugins, bashPlugin{name, get("GITREPO", name), get("GITBRANCH", name), get("GITDIR", name)})
		}
	}
	if res.End == "done" { // as the oracle compares them
		res.Services = get("ENABLED_SERVICES", "")
	}
	return res, nil
}

// interpAgreement compares the interpreter with DevStack on progs.
func interpAgreement(t testing.TB, progs []string) (disagree []string) {
	ds := needDevStack(t)
	want := runOracle(t, ds, progs, true, 2)
	return disagreements(progs, want, loadInterpDevStack(t, ds).planner(t.TempDir()))
}

// TestInterpAgreementReport is the interp half of scripts/differential.sh:
// the same programs as TestAgreementReport, run in mvdan.cc/sh/v3/interp.
func TestInterpAgreementReport(t *testing.T) {
	if *agreementN == 0 {
		t.Skip("give -agreement.n")
	}
	d := interpAgreement(t, generated(*agreementSeed, *agreementN))
	for i, s := range d {
		if i < *agreementShow {
			t.Log(s)
		}
	}
	t.Logf("interp agreement: %d/%d programs (%.1f%%)", *agreementN-len(d), *agreementN, 100*float64(*agreementN-len(d))/float64(*agreementN))
}

// issueConstructs are issue #14's tricky constructs, one program each.
var issueConstructs = []string{
	"case alpha in\n a*) enable_plugin p1 u1 ;;&\n *) enable_plugin p2 u2 ;&\n x) enable_plugin p3 u3 ;;\nesac\n",
	"set -- one two\nenable_plugin \"$2\" u \"$#\"\nf() { set -- x; enable_plugin \"p$1\" u; }\nf\nenable_plugin \"q$1\" u\n",
	"f() { declare A=in; typeset B=in; }\nA=out B=out\nf\nenable_plugin \"$A$B\" u\n",
	"local A=x\nenable_plugin \"p${A-unset}\" u\n",
	"[[ abc/def =~ ^([a-z]+)/(.*)$ ]]\nenable_plugin \"${BASH_REMATCH[1]}\" \"${BASH_REMATCH[2]}\"\n",
	"B=a/b/c\nenable_plugin p \"${B//\\//\\/}\" \"${B//\\//-}\"\n",
	"enable_plugin 'a*' u\n",
	"declare -A M\nM[k]=v M[j]=w\nenable_plugin \"${M[k]}${M[j]}\" u\n",
	"ENABLED_SERVICES=swift\nis_service_enabled s-proxy && enable_plugin p1 u\n",
	"ENABLED_SERVICES=n-cpu\nis_service_enabled n-cpu-x && enable_plugin p1 u\nis_service_enabled nova && enable_plugin p2 u\n",
	"ENABLED_SERVICES=key\nis_service_enabled nova || enable_plugin p1 u\n",
	"is_foo_enabled() { return 0; }\nis_service_enabled foo && enable_plugin p1 u\n",
	"ENABLED_SERVICES=\"key, n-api,g-api\"\nis_service_enabled n-api && enable_plugin p1 u\nenable_service c-vol\n",
	"enable_plugin \"p-$TRAILING_TARGET_BRANCH\" u \"$BRANCHLESS_TARGET_BRANCH\"\n",
	"enable_plugin p u\nGITREPO[p]=v\nGITBRANCH[p]=stable/x\n",
	"enable_plugin os-vif https://example.org/my-os-vif\n",
	"WSGI_MODE=mod_wsgi\nenable_plugin p u\n",
}

// TestInterpConstructsReport runs issueConstructs through DevStack, the
// evaluator and the interpreter, and reports which agree.
func TestInterpConstructsReport(t *testing.T) {
	if *agreementN == 0 {
		t.Skip("give -agreement.n")
	}
	ds := needDevStack(t)
	want := runOracle(t, ds, issueConstructs, true, 1)
	for _, design := range []struct {
		name string
		plan func(string) (oracleResult, string)
	}{{"evaluator", planned}, {"interp", loadInterpDevStack(t, ds).planner(t.TempDir())}} {
		d := disagreements(issueConstructs, want, design.plan)
		for _, s := range d {
			t.Logf("%s: %s", design.name, s)
		}
		t.Logf("%s constructs agreement: %d/%d", design.name, len(issueConstructs)-len(d), len(issueConstructs))
	}
}

// TestInterpCorpusReport runs the corpus's localrc through the interpreter
// and through bash (runBash, as TestDifferentialCorpus does) and reports
// how many files register the same plugins, and how many plugins the
// evaluator leaves unknown or conditional, which the interpreter, running
// no command, silently resolves to one value.
func TestInterpCorpusReport(t *testing.T) {
	if *agreementN == 0 {
		t.Skip("give -agreement.n")
	}
	bash := needBash(t)
	ds := needDevStack(t)
	files, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil || len(files) == 0 {
		t.Skip("corpus absent: " + corpusDir)
	}
	ids := loadInterpDevStack(t, ds)
	dir := t.TempDir()
	agree, undecided := 0, 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		localrc := string(src)
		if DetectKind(filepath.Base(file), src) != "localrc" {
			localrc = extractLocalrc(src)
		}
		cfg, _ := Parse(filepath.Base(file), src, Options{TopDir: "/opt/stack/devstack", Env: map[string]string{"STACK_USER": "stack"}})
		for _, p := range cfg.Plugins {
			if p.Conditional || !p.Name.Known() || !p.URL.Known() && !p.URL.Missing() || !p.Ref.Known() || !p.Dir.Known() {
				undecided++
			}
		}
		want := runBash(t, bash, localrc, []string{"STACK_USER=stack"}).plugins
		for i := range want {
			want[i].Dir = filepath.Clean(want[i].Dir)
		}
		got, err := ids.run(dir, localrc)
		for i := range got.Plugins {
			got.Plugins[i].Dir = filepath.Clean(got.Plugins[i].Dir)
		}
		if diff := cmp.Diff(want, got.Plugins); err != nil || diff != "" {
			t.Logf("%s: interp differs from bash (%v):\n%s", filepath.Base(file), err, diff)
			continue
		}
		agree++
	}
	t.Logf("interp corpus agreement: %d/%d files; the evaluator marks %d plugins unknown or conditional", agree, len(files), undecided)
}
