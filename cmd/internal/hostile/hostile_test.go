package hostile

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/stackplan/stackplan/cmd/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the want: lines of the testdata/hostile cases from what lint reports")

// casesDir is the repository's top-level testdata/hostile.
const casesDir = "../../../testdata/hostile"

// A hostileCase is one testdata/hostile/NAME.txtar. Its comment holds
// '#' description lines and directives, one per line:
//
//	want: RULE LINE:COL   a finding lint must report (all of them, in output order)
//	exit: N               lint's and plan's exit code (default 1; 2 for a usage-level refusal)
//	apply: refused [TEXT] (default) apply fails (with plan's exit code, or 1 when
//	                      plan succeeds), DEST is never created, stderr holds TEXT
//	apply: fails TEXT     an apply-time refusal after cloning: apply exits 1 and stderr holds TEXT
//	apply: ok             a neutralised attack: apply succeeds
//	apply-exit: N         apply's exit code for a refused case, when it differs
//	absent: TEXT          no output of any command holds TEXT
//	args: FLAGS           extra flags for lint, plan and apply
//	lint: FLAGS           extra flags for lint only
//	plan: FLAGS           extra flags for lint and plan, not apply (--fetch, --online)
//	exec: PATH            make a file executable (a hook or program a payload names)
//	random: PATH SIZE     write SIZE random bytes to PATH (a plugin too large for go-git, so git clones it)
//	env: KEY=VALUE        set in the process environment for the whole case
//	secret: VALUE         must appear in no output, plan, log or journal
//	input: FILE           the configuration to run (default local.conf)
//	encode: KIND          rewrite the input: utf16 (UTF-16LE with BOM), escapes (\xNN, \n, \\)
//	oversize: N           append N bytes of comment lines to the input
//	symlink: PATH -> DEST make PATH a symbolic link to DEST (before repositories are committed)
//	mkdir: PATH           make an empty directory
//	export: FLAGS         an export case: run `stackplan export ansible FLAGS` (with
//	                      --out, --dest and --connection local) instead of lint,
//	                      plan and apply; when it succeeds and ansible-playbook is
//	                      installed, run the playbook with a stand-in stackplan
//	                      that prints the node's local.conf and fails
//	written: TEXT         the local.conf the playbook wrote holds TEXT
//
// In every file, directive and symlink, @WORK@ is the case's working
// directory, @REPOS@ is @WORK@/repos and @CANARY@ is @WORK@/canary. Every
// directory repos/NAME becomes a git repository with one commit. Whatever
// the case, no file named canary* may exist afterwards: every payload that
// would run a command touches one. And no command may create, change or
// remove anything in @WORK@ outside @WORK@/dest and @WORK@/cache (the
// --cache-dir cases use).
type hostileCase struct {
	name, path string
	ar         *txtar.Archive
	want       []string
	exit       int
	apply      string
	applyText  string
	applyExit  int
	absent     []string
	args, lint []string
	planArgs   []string
	execs      []string
	randoms    [][2]string
	env        []string
	secrets    []string
	input      string
	encode     string
	oversize   int
	symlinks   [][2]string
	mkdirs     []string
	export     []string
	written    []string
}

func loadCases(t *testing.T) []*hostileCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(casesDir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases in %s: %v", casesDir, err)
	}
	var cases []*hostileCase
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := &hostileCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, ar: ar, exit: 1, apply: "refused", input: "local.conf"}
		for n, line := range strings.Split(string(ar.Comment), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, val, ok := strings.Cut(line, ":")
			val = strings.TrimSpace(val)
			bad := func() { t.Fatalf("%s:%d: bad directive %q", p, n+1, line) }
			if !ok {
				bad()
			}
			switch key {
			case "want":
				c.want = append(c.want, val)
			case "exit":
				if c.exit, err = strconv.Atoi(val); err != nil {
					bad()
				}
			case "apply":
				c.apply, c.applyText, _ = strings.Cut(val, " ")
			case "apply-exit":
				if c.applyExit, err = strconv.Atoi(val); err != nil {
					bad()
				}
			case "absent":
				c.absent = append(c.absent, val)
			case "args":
				c.args = append(c.args, strings.Fields(val)...)
			case "lint":
				c.lint = append(c.lint, strings.Fields(val)...)
			case "plan":
				c.planArgs = append(c.planArgs, strings.Fields(val)...)
			case "exec":
				c.execs = append(c.execs, val)
			case "random":
				path, size, ok := strings.Cut(val, " ")
				if !ok {
					bad()
				}
				c.randoms = append(c.randoms, [2]string{path, size})
			case "env":
				c.env = append(c.env, val)
			case "secret":
				c.secrets = append(c.secrets, val)
			case "input":
				c.input = val
			case "encode":
				c.encode = val
			case "oversize":
				if c.oversize, err = strconv.Atoi(val); err != nil {
					bad()
				}
			case "symlink":
				from, to, ok := strings.Cut(val, " -> ")
				if !ok {
					bad()
				}
				c.symlinks = append(c.symlinks, [2]string{from, to})
			case "mkdir":
				c.mkdirs = append(c.mkdirs, val)
			case "export":
				c.export = strings.Fields(val)
			case "written":
				c.written = append(c.written, val)
			default:
				bad()
			}
		}
		if !slices.Contains([]string{"refused", "fails", "ok"}, c.apply) {
			t.Fatalf("%s: apply: %q", p, c.apply)
		}
		cases = append(cases, c)
	}
	return cases
}

// TestHostile runs every case of testdata/hostile through the CLI.
func TestHostile(t *testing.T) {
	cases := loadCases(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	pkgDir, _ := os.Getwd()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t)
			assertNoCanary(t, pkgDir)
		})
	}
}

func (c *hostileCase) run(t *testing.T) {
	work := t.TempDir()
	expand := strings.NewReplacer("@WORK@", work, "@REPOS@", filepath.Join(work, "repos"), "@CANARY@", filepath.Join(work, "canary")).Replace
	for _, kv := range c.env {
		k, v, _ := strings.Cut(expand(kv), "=")
		t.Setenv(k, v)
	}
	for _, f := range c.ar.Files {
		data := []byte(expand(string(f.Data)))
		if f.Name == c.input {
			data = c.encoded(t, data)
		}
		writeFile(t, filepath.Join(work, f.Name), data)
	}
	for _, d := range c.mkdirs {
		if err := os.MkdirAll(filepath.Join(work, expand(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range c.symlinks {
		from := filepath.Join(work, expand(l[0]))
		os.MkdirAll(filepath.Dir(from), 0o755)
		if err := os.Symlink(expand(l[1]), from); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range c.randoms {
		n, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, n)
		rand.Read(data)
		writeFile(t, filepath.Join(work, expand(r[0])), data)
	}
	for _, x := range c.execs {
		if err := os.Chmod(filepath.Join(work, expand(x)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	commitRepos(t, filepath.Join(work, "repos"))
	before := snapshot(work)

	if c.export != nil {
		c.runExport(t, work, expand)
		return
	}
	input := filepath.Join(work, c.input)
	expandAll := func(in []string) []string {
		out := make([]string, len(in))
		for i, a := range in {
			out[i] = expand(a)
		}
		return out
	}
	args := expandAll(c.args)
	planArgs := expandAll(c.planArgs)
	var outputs []string
	run := func(argv ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		cmd := cli.Command{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Env: os.Environ(),
			Getwd: func() (string, error) { return work, nil }}
		code := cmd.Main(argv)
		outputs = append(outputs, stdout.String(), stderr.String())
		return code, stdout.String(), stderr.String()
	}

	// lint: the rules at their positions.
	code, stdout, stderr := run(slices.Concat([]string{"lint", "--format", "json"}, args, planArgs, c.lint, []string{input})...)
	if code != c.exit {
		t.Errorf("lint exited %d, want %d; stderr:\n%s", code, c.exit, stderr)
	}
	var diags []struct {
		Severity string
		Rule     string
		Range    struct{ Start struct{ Line, Column int } }
	}
	if strings.TrimSpace(stdout) != "" {
		if err := json.Unmarshal([]byte(stdout), &diags); err != nil {
			t.Fatalf("lint --format json: %v\n%s", err, stdout)
		}
	}
	var got []string
	hasErrors := false
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s %d:%d", d.Rule, d.Range.Start.Line, d.Range.Start.Column))
		hasErrors = hasErrors || d.Severity == "error"
	}
	if *update {
		c.rewriteWant(t, got)
	} else if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
		t.Errorf("lint findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
	}

	// plan: the same verdict, and what it prints is a plan.
	wantPlan := 0
	switch {
	case c.exit == cli.ExitUsage:
		wantPlan = cli.ExitUsage
	case hasErrors:
		wantPlan = cli.ExitFindings
	}
	code, stdout, stderr = run(slices.Concat([]string{"plan", "--json"}, args, planArgs, []string{input})...)
	if code != wantPlan {
		t.Errorf("plan exited %d, want %d; stderr:\n%s", code, wantPlan, stderr)
	}
	if code != cli.ExitUsage && !json.Valid([]byte(stdout)) {
		t.Errorf("plan --json printed no JSON:\n%s", stdout)
	}

	// Nothing ran at plan time.
	assertNoCanary(t, work)

	// apply: refused before anything is cloned, run or written; or the
	// apply-time defence holds.
	dest := filepath.Join(work, "dest")
	code, _, stderr = run(slices.Concat([]string{"apply", "--dest", dest}, args, []string{input})...)
	switch c.apply {
	case "refused":
		want := max(wantPlan, cli.ExitFindings)
		if c.applyExit != 0 {
			want = c.applyExit
		}
		if code != want || !strings.Contains(stderr, c.applyText) {
			t.Errorf("apply exited %d, want %d with %q in stderr:\n%s", code, want, c.applyText, stderr)
		}
		if _, err := os.Lstat(dest); err == nil {
			t.Errorf("apply created %s although it refused the configuration: %v", dest, listTree(dest))
		}
	case "fails":
		if code != cli.ExitFindings || !strings.Contains(stderr, c.applyText) {
			t.Errorf("apply exited %d, want 1 with %q in stderr:\n%s", code, c.applyText, stderr)
		}
	case "ok":
		if code != cli.ExitOK {
			t.Errorf("apply exited %d, want 0; stderr:\n%s", code, stderr)
		}
	}
	for _, a := range c.absent {
		for _, out := range outputs {
			if strings.Contains(out, a) {
				t.Errorf("output holds %q:\n%s", a, out)
				break
			}
		}
	}

	assertNoCanary(t, work)
	if changed := changedOutside(before, snapshot(work)); len(changed) > 0 {
		t.Errorf("written outside DEST: %s", strings.Join(changed, ", "))
	}
	if len(c.secrets) > 0 {
		outputs = append(outputs, readTree(t, filepath.Join(dest, ".stackplan"))...)
		for _, s := range c.secrets {
			for _, out := range outputs {
				if strings.Contains(out, s) {
					t.Errorf("secret %q leaked:\n%s", s, out)
					break
				}
			}
		}
	}
}

// runExport runs an export case: the export, then the playbook it wrote,
// with a stand-in for stackplan on the node that prints (and so hands to
// Ansible's messages) the local.conf it is given, then fails.
func (c *hostileCase) runExport(t *testing.T, work string, expand func(string) string) {
	var argv []string
	for _, a := range c.export {
		argv = append(argv, expand(a))
	}
	deploy, dest := filepath.Join(work, "deploy"), filepath.Join(work, "dest")
	var stdout, stderr bytes.Buffer
	cmd := cli.Command{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Env: os.Environ(),
		Getwd: func() (string, error) { return work, nil }}
	code := cmd.Main(slices.Concat([]string{"export", "ansible", "--color", "never", "--out", deploy, "--dest", dest, "--connection", "local"}, argv))
	outputs := []string{stdout.String(), stderr.String()}
	if code != c.exit {
		t.Errorf("export exited %d, want %d; stderr:\n%s", code, c.exit, stderr.String())
	}
	assertNoCanary(t, work)
	if code != cli.ExitOK {
		if _, err := os.Lstat(deploy); err == nil {
			t.Errorf("export wrote %v although it failed", listTree(deploy))
		}
	} else if ansible, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Log("ansible-playbook is not installed: the playbook is not run")
	} else {
		fake := filepath.Join(work, "fake-stackplan")
		writeFile(t, fake, []byte("#!/bin/bash\necho \"args: $*\"\ncat local.conf\ncat local.conf >&2\nexit 1\n"))
		os.Chmod(fake, 0o755)
		tmp := filepath.Join(work, "ansible-tmp")
		run := exec.Command(ansible, "-i", "inventory.yml", "playbook.yml", "-e", "stackplan_bin="+fake)
		run.Dir = deploy
		run.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
			"ANSIBLE_LOCAL_TEMP="+tmp, "ANSIBLE_REMOTE_TEMP="+tmp, "ANSIBLE_HOME="+tmp)
		out, _ := run.CombinedOutput()
		outputs = append(outputs, string(out))
		if !strings.Contains(string(out), "stackplan plan failed on node") {
			t.Errorf("the playbook did not reach the node's plan:\n%s", out)
		}
		conf, _ := os.ReadFile(filepath.Join(dest, ".stackplan-job", "local.conf"))
		for _, w := range c.written {
			if !strings.Contains(string(conf), expand(w)) {
				t.Errorf("the local.conf written on the node does not hold %q:\n%s", expand(w), conf)
			}
		}
	}
	for _, a := range c.absent {
		for _, out := range outputs {
			if strings.Contains(out, expand(a)) {
				t.Errorf("output holds %q:\n%s", a, out)
				break
			}
		}
	}
	assertNoCanary(t, work)
}

// encoded turns the input into the bytes the case asks for.
func (c *hostileCase) encoded(t *testing.T, data []byte) []byte {
	switch c.encode {
	case "":
	case "utf16":
		u := utf16.Encode([]rune(string(data)))
		out := []byte{0xff, 0xfe}
		for _, r := range u {
			out = append(out, byte(r), byte(r>>8))
		}
		data = out
	case "escapes":
		s, err := strconv.Unquote(`"` + strings.NewReplacer(`"`, `\"`, "\n", `\n`).Replace(string(data)) + `"`)
		if err != nil {
			t.Fatalf("encode escapes: %v", err)
		}
		data = []byte(s)
	default:
		t.Fatalf("unknown encode %q", c.encode)
	}
	if c.oversize > 0 {
		line := "# " + strings.Repeat("x", 1021) + "\n"
		data = append(data, bytes.Repeat([]byte(line), c.oversize/len(line)+1)...)
	}
	return data
}

// rewriteWant replaces the case's want: lines (under -update).
func (c *hostileCase) rewriteWant(t *testing.T, got []string) {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(c.ar.Comment), "\n"), "\n") {
		if !strings.HasPrefix(l, "want:") {
			lines = append(lines, l)
		}
	}
	for _, g := range got {
		lines = append(lines, "want: "+g)
	}
	c.ar.Comment = []byte(strings.Join(lines, "\n") + "\n")
	if err := os.WriteFile(c.path, txtar.Format(c.ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// commitRepos makes every directory under dir a git repository with one
// commit of its files.
func commitRepos(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		repo := filepath.Join(dir, e.Name())
		for _, args := range [][]string{{"init", "-q", "-b", "master"}, {"add", "-A"}, {"commit", "-q", "--allow-empty", "-m", e.Name()}} {
			cmd := exec.Command("git", args...)
			cmd.Dir, cmd.Env = repo, env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v in %s: %v\n%s", args, repo, err, out)
			}
		}
	}
}

// assertNoCanary fails when any file named canary* exists under dir: a
// payload ran.
func assertNoCanary(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "canary") {
			t.Errorf("%s exists: an injected command ran", p)
		}
		if err == nil && d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		return nil
	})
}

// snapshot records every path under work outside dest and cache, with its
// size and modification time (links: their target).
func snapshot(work string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(work, p)
		if err != nil || rel == "dest" || rel == "cache" {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		v := fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			v = "-> " + target
		}
		if !d.IsDir() {
			out[rel] = v
		}
		return nil
	})
	return out
}

// changedOutside lists the paths that appeared, changed or went away.
func changedOutside(before, after map[string]string) []string {
	var out []string
	for p, v := range after {
		if before[p] != v {
			out = append(out, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, p+" (removed)")
		}
	}
	slices.Sort(out)
	return out
}

func listTree(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		out = append(out, p)
		return nil
	})
	return out
}

// readTree returns the content of every regular file under dir.
func readTree(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, string(b))
			}
		}
		return nil
	})
	return out
}
