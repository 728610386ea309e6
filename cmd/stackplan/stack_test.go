package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/stackplan/stackplan/internal/corpustest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// These tests stack for real: `stackplan apply --devstack` runs DevStack's
// own stack.sh, unstack.sh and clean.sh, unmodified, from a copy of the
// pinned DevStack tree, as the stack user, with the stand-ins a container
// needs (scripts/devstack-host.sh). They need root and the DevStack tree
// (../shared/devstack, or $STACKPLAN_DEVSTACK) and skip, saying so, without.

const secret = "Adm1n-S3cret-Value"

// stackHost is one stacking: a DevStack copy, plugin repositories and DEST.
type stackHost struct {
	t        *testing.T
	work     string // everything, owned by the stack user
	devstack string
	dest     string
	bin      string
	runAs    string
}

func devstackTree(t *testing.T) string {
	dir := os.Getenv("STACKPLAN_DEVSTACK")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "devstack")
	}
	if _, err := os.Stat(filepath.Join(dir, "stack.sh")); err != nil {
		corpustest.Skip(t, dir, fmt.Errorf("%w; set STACKPLAN_DEVSTACK to a DevStack tree", err))
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

func skip(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(os.Stderr, "SKIP %s: %s\n", t.Name(), msg)
	t.Skip(msg)
}

var builtBinary string

// newStackHost prepares the machine (once) and a fresh stacking with the
// given plugins: NAME -> files under devstack/.
func newStackHost(t *testing.T, plugins map[string]map[string]string) *stackHost {
	t.Helper()
	if testing.Short() {
		t.Skip("runs DevStack's stack.sh: skipped with -short")
	}
	tree := devstackTree(t)
	if os.Geteuid() != 0 {
		skip(t, "needs root to run DevStack as the stack user (CI runs as root)")
	}
	// The stand-ins, where .ci/run's setup put them (setup is idempotent).
	hostDir := "/var/lib/stackplan-devstack"
	run(t, "", "bash", filepath.Join("..", "..", "scripts", "devstack-host.sh"), "setup", hostDir)

	work, err := os.MkdirTemp("", "stackplan-stack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	h := &stackHost{t: t, work: work, devstack: filepath.Join(work, "devstack"), dest: filepath.Join(work, "opt"), runAs: filepath.Join(hostDir, "run-as-stack")}
	if builtBinary == "" {
		bin := filepath.Join(hostDir, "stackplan-test")
		run(t, "", "go", "build", "-o", bin, ".")
		builtBinary = bin
	}
	h.bin = builtBinary
	// An unmodified copy of DevStack, writable as the stack user needs.
	run(t, "", "cp", "-r", tree, h.devstack)
	run(t, "", "chmod", "-R", "u+w", h.devstack)
	run(t, "", "bash", filepath.Join("..", "..", "scripts", "devstack-host.sh"), "requirements", filepath.Join(h.dest, "requirements"))
	for name, files := range plugins {
		repo := filepath.Join(work, "repos", name)
		for rel, text := range files {
			p := filepath.Join(repo, "devstack", rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run(t, repo, "git", "init", "-q", "-b", "master")
		run(t, repo, "git", "add", "-A")
		run(t, repo, "git", "-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-qm", name)
	}
	return h
}

// own gives everything to the stack user, as DevStack requires.
func (h *stackHost) own() {
	os.Chmod(h.work, 0o755)
	run(h.t, "", "chown", "-R", "stack:", h.work)
}

func (h *stackHost) localConf(extra string, plugins ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[[local|localrc]]\nDEST=%s\nDATA_DIR=%s/data\nLOGFILE=%s/logs/stack.sh.log\n", h.dest, h.dest, h.dest)
	fmt.Fprintf(&b, "ADMIN_PASSWORD=%s\nDATABASE_PASSWORD=%s\nRABBIT_PASSWORD=%s\nSERVICE_PASSWORD=%s\n", secret, secret, secret, secret)
	b.WriteString("disable_all_services\n")
	for _, p := range plugins {
		fmt.Fprintf(&b, "enable_plugin %s file://%s/repos/%s\n", p, h.work, p)
	}
	b.WriteString(extra)
	path := filepath.Join(h.work, "local.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return path
}

// apply runs stackplan apply --devstack as the stack user, in JSON mode.
func (h *stackHost) apply(args ...string) (events []map[string]any, stdout, stderr string, code int) {
	h.own()
	cmd := exec.Command(h.runAs, append([]string{h.bin, "apply", "--devstack", h.devstack, "--json"}, args...)...)
	cmd.Dir = h.work
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		h.t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			h.t.Fatalf("not a JSON event: %q", sc.Text())
		}
		events = append(events, ev)
	}
	return events, out.String(), errb.String(), code
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// typed returns the value of key of the events of a type, in order.
func typed(events []map[string]any, typ, key string) []string {
	var out []string
	for _, e := range events {
		if e["type"] == typ {
			out = append(out, fmt.Sprint(e[key]))
		}
	}
	return out
}

func trace(name string) string {
	return fmt.Sprintf("echo \"%s ${1-} ${2-}\" >> $DEST/trace\n", name)
}

// Three plugins: alpha's override-defaults sets a value beta's settings
// read, beta uses DevStack's runtime (stackrc's $PYTHON and
// $TARGET_BRANCH, lib's iniset, sudo), gamma's settings define the file a
// [[post-config|$GAMMA_CONF]] section merges into. Stack, unstack, clean.
func TestStackUnstackCleanWithRealDevstack(t *testing.T) {
	h := newStackHost(t, map[string]map[string]string{
		"alpha": {
			"override-defaults": "ALPHA_PORT=${ALPHA_PORT:-9001}\n",
			"settings":          "ALPHA_URL=http://localhost:$ALPHA_PORT\n",
			"plugin.sh":         trace("alpha") + "echo \"alpha sees the admin password $ADMIN_PASSWORD\"\n",
		},
		"beta": {
			"settings": "BETA_CONF=$DEST/beta/beta.conf\nBETA_ALPHA=$ALPHA_URL\n",
			"plugin.sh": trace("beta") + `if [[ $1 == stack && $2 == install ]]; then
    iniset $BETA_CONF DEFAULT alpha "$BETA_ALPHA"
    echo "beta runtime python=$PYTHON branch=$TARGET_BRANCH" >> $DEST/trace
    sudo touch $DEST/beta-sudo
fi
`,
		},
		"gamma": {
			// A password the settings generate and print (xtrace shows
			// its assignment too): known to no plan, masked at once.
			"settings":  "GAMMA_CONF=$DEST/gamma/gamma.conf\nGAMMA_PASSWORD=$(printf 'gamma-%s-generated' $((6*7)))\necho \"gamma generated $GAMMA_PASSWORD\"\n",
			"plugin.sh": trace("gamma"),
		},
	})
	conf := h.localConf("\n[[post-config|$GAMMA_CONF]]\n[DEFAULT]\nlog_dir = $DEST/logs\n", "alpha", "beta", "gamma")

	events, stdout, stderr, code := h.apply(conf)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// DevStack's log, before clean.sh removes it.
	dlog := devstackLog(t, h)
	more, stdout2, stderr2, code := h.apply("--lifecycle", "unstack,clean", conf)
	if code != 0 {
		t.Fatalf("unstack and clean: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout2, stderr2)
	}
	events = append(events, more...)
	stdout += stdout2
	stderr += stderr2
	// DevStack read the local.conf the plan was compiled from, written
	// where it looks for it.
	if got, _ := os.ReadFile(filepath.Join(h.devstack, "local.conf")); string(got) != mustRead(t, conf) {
		t.Errorf("DevStack's local.conf is not the configuration applied")
	}

	// Every hook, in the plan's order, as DevStack sourced it.
	planOut := run(t, h.work, h.bin, "plan", "--json", conf)
	var p struct {
		Steps []struct{ ID, Kind, Plugin string }
	}
	if err := json.Unmarshal([]byte(planOut), &p); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range p.Steps {
		// alpha alone has an override-defaults file; DevStack passes over
		// the others, as the plan's order check expects.
		if s.Kind == "clone" || (s.Kind == "override-defaults" && s.Plugin != "alpha") {
			continue
		}
		want = append(want, s.ID)
	}
	started := typed(events, "step_start", "step")
	var clones, hooks []string
	for _, id := range started {
		if strings.Contains(id, ":clone:") {
			clones = append(clones, id)
		} else {
			hooks = append(hooks, id)
		}
	}
	// The three plugins, and DevStack's requirements (always cloned by
	// stack.sh; the host's offline checkout is kept).
	if len(clones) != 4 || !slices.Contains(clones, "stack:clone:project:requirements") {
		t.Errorf("clone steps: %v", clones)
	}
	if strings.Join(hooks, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps DevStack ran:\n%s\n\nthe plan's order:\n%s", strings.Join(hooks, "\n"), strings.Join(want, "\n"))
	}
	if got := typed(events, "step_complete", "step"); len(got) != len(started) {
		t.Errorf("%d steps started, %d completed", len(started), len(got))
	}
	if got := typed(events, "script_complete", "script"); strings.Join(got, ",") != "stack.sh,unstack.sh,clean.sh" {
		t.Errorf("scripts: %v\n%s", got, stdout)
	}

	// DevStack's order of the real hooks, from the plugins themselves.
	tr := mustRead(t, filepath.Join(h.dest, "trace"))
	for _, w := range []string{
		"alpha stack pre-install\nbeta stack pre-install\ngamma stack pre-install\nalpha stack install\nbeta stack install\nbeta runtime python=",
		"alpha unstack \nbeta unstack \ngamma unstack \n",
		"gamma unstack \nalpha clean \nbeta clean \ngamma clean \n",
	} {
		if !strings.Contains(tr, w) {
			t.Errorf("trace lacks %q:\n%s", w, tr)
		}
	}
	if strings.Count(tr, "alpha unstack") != 2 {
		t.Errorf("unstack hooks should run in unstack.sh and in clean.sh's unstack.sh:\n%s", tr)
	}
	if !strings.Contains(tr, "branch=master") || strings.Contains(tr, "python= ") {
		t.Errorf("beta did not see stackrc's runtime:\n%s", tr)
	}
	if _, err := os.Stat(filepath.Join(h.dest, "beta-sudo")); err != nil {
		t.Errorf("beta's sudo: %v", err)
	}
	// The merge, as DevStack writes it: values expanded.
	// (DevStack's merge_config_file starts a new file with an empty line.)
	if got := mustRead(t, filepath.Join(h.dest, "gamma", "gamma.conf")); got != "\n[DEFAULT]\nlog_dir = "+h.dest+"/logs\n" {
		t.Errorf("gamma.conf:\n%s", got)
	}
	if got := mustRead(t, filepath.Join(h.dest, "beta", "beta.conf")); !strings.Contains(got, "alpha = http://localhost:9001") {
		t.Errorf("beta.conf:\n%s", got)
	}

	// DevStack cloned and fetched no plugin: its log shows git_clone
	// finding each checkout stackplan's clone stage made (it prints the
	// commit), and no git clone or fetch of one ("Cloning into", "From").
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if !regexp.MustCompile(`\| [0-9a-f]{7,} ` + name + `\n`).MatchString(dlog) {
			t.Errorf("DevStack's log does not show git_clone finding %s's checkout:\n%s", name, dlog)
		}
	}
	if strings.Contains(dlog, "Cloning into") || strings.Contains(dlog, "From file://") {
		t.Errorf("DevStack cloned or fetched a plugin:\n%s", dlog)
	}
	if !strings.Contains(dlog, "alpha sees the admin password "+secret) {
		t.Errorf("alpha's output is not in DevStack's log")
	}

	// No secret in stackplan's output or log; the log has alpha's line, masked.
	logs, _ := filepath.Glob(filepath.Join(h.dest, ".stackplan", "logs", "*.log"))
	var all strings.Builder
	for _, l := range logs {
		all.WriteString(mustRead(t, l))
	}
	for what, text := range map[string]string{"stdout": stdout, "stderr": stderr, "log": all.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("the secret is in stackplan's %s", what)
		}
	}
	if !strings.Contains(all.String(), "alpha sees the admin password ***") {
		t.Errorf("stackplan's log lacks DevStack's output, masked")
	}
	const generated = "gamma-42-generated"
	if !strings.Contains(dlog, "gamma generated "+generated) {
		t.Errorf("gamma's settings did not print their password in DevStack's own log")
	}
	if strings.Contains(stdout+stderr+all.String(), generated) || !strings.Contains(all.String(), "gamma generated ***") {
		t.Errorf("the password gamma's settings generated is not masked in stackplan's output and log")
	}

	// The journal knows the stack is gone: a new apply would stack again.
	events, stdout, stderr, code = h.apply("--dry-run", conf)
	would := 0
	for _, e := range events {
		if e["type"] == "step_skipped" && !strings.Contains(fmt.Sprint(e["step"]), ":clone:") {
			if e["reason"] != "dry run" {
				t.Errorf("after clean, %s: %v", e["step"], e["reason"])
			}
			would++
		}
	}
	if code != 0 || would == 0 {
		t.Errorf("after clean, a dry run shows no stack step to run: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func devstackLog(t *testing.T, h *stackHost) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(h.dest, "logs", "stack.sh.log.*"))
	var b strings.Builder
	for _, l := range logs {
		if !strings.Contains(l, "summary") {
			b.WriteString(mustRead(t, l))
		}
	}
	return b.String()
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A hook that fails stops stack.sh: stackplan names the step, shows the
// end of DevStack's output, exits non-zero and records how far it got. A
// local.conf in the DevStack checkout that differs is never overwritten.
func TestStackFailingHookWithRealDevstack(t *testing.T) {
	h := newStackHost(t, map[string]map[string]string{
		"alpha": {"plugin.sh": trace("alpha")},
		"delta": {"plugin.sh": trace("delta") + "if [[ $1 == stack && $2 == install ]]; then\n    echo 'delta cannot install'\n    false\nfi\n"},
	})
	conf := h.localConf("", "alpha", "delta")

	other := filepath.Join(h.devstack, "local.conf")
	os.WriteFile(other, []byte("[[local|localrc]]\nDEST=/elsewhere\n"), 0o644)
	_, stdout, stderr, code := h.apply(conf)
	if code == 0 || !strings.Contains(stderr, other+" differs") {
		t.Fatalf("a different DevStack local.conf: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(h.dest, "alpha")); err == nil {
		t.Fatal("something was cloned before the refusal")
	}
	if got := mustRead(t, other); got != "[[local|localrc]]\nDEST=/elsewhere\n" {
		t.Fatal("the user's local.conf was overwritten")
	}
	os.Remove(other)

	events, stdout, stderr, code := h.apply(conf)
	if code == 0 {
		t.Fatalf("a failing hook gave exit 0\n%s", stdout)
	}
	if got := typed(events, "step_failed", "step"); !slices.Equal(got, []string{"stack:phase:install:delta"}) {
		t.Errorf("failed steps: %v\n%s", got, stdout)
	}
	if !strings.Contains(stderr, "stack.sh failed with exit status") || !strings.Contains(stderr, "stack:phase:install:delta (plugin delta)") ||
		!strings.Contains(stderr, "delta cannot install") || !strings.Contains(stderr, "runs stack.sh again from its start") {
		t.Errorf("the failure report:\n%s", stderr)
	}
	j := mustRead(t, filepath.Join(h.dest, ".stackplan", "journal.json"))
	if !strings.Contains(j, `"stack:phase:install:alpha": {`) || strings.Contains(j, `"stack:phase:install:delta": {`) ||
		!strings.Contains(j, `"running": "stack:phase:install:delta"`) {
		t.Errorf("the journal does not say how far stack.sh got:\n%s", j)
	}

	// Applying again says what runs again.
	events, stdout, _, code = h.apply(conf)
	if code == 0 {
		t.Fatal("the failing hook passed the second time")
	}
	if got := typed(events, "script_start", "reason"); len(got) != 1 ||
		!strings.Contains(got[0], "stopped during stack:phase:install:delta") || !strings.Contains(got[0], "stack.sh runs again from its start") {
		t.Errorf("the re-run does not say what runs again: %q\n%s", got, stdout)
	}
}

// A plugin enabled from another plugin's settings is sourced by DevStack at
// every phase, and no plan can foresee it: stackplan reports each hook it
// did not predict, naming both sides, and fails.
func TestStackDivergenceWithRealDevstack(t *testing.T) {
	h := newStackHost(t, map[string]map[string]string{
		"alpha": {"settings": "", "plugin.sh": trace("alpha")},
		"zeta":  {"plugin.sh": trace("zeta")},
	})
	// alpha's settings enable zeta, whose checkout is already in DEST.
	os.WriteFile(filepath.Join(h.work, "repos", "alpha", "devstack", "settings"), []byte("enable_plugin zeta file://"+h.work+"/repos/zeta\n"), 0o644)
	run(t, filepath.Join(h.work, "repos", "alpha"), "git", "-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-qam", "enable zeta")
	run(t, "", "git", "clone", "-q", filepath.Join(h.work, "repos", "zeta"), filepath.Join(h.dest, "zeta"))
	conf := h.localConf("", "alpha")

	_, stdout, stderr, code := h.apply(conf)
	if code == 0 {
		t.Fatalf("exit 0 although DevStack ran zeta's hooks\n%s", stdout)
	}
	if !strings.Contains(stderr, "stack.sh did not do what the plan says") ||
		!strings.Contains(stderr, "sourced "+filepath.Join(h.dest, "zeta")+"/devstack/plugin.sh stack install, which the plan does not predict") {
		t.Errorf("the divergence report:\n%s", stderr)
	}
	if !strings.Contains(mustRead(t, filepath.Join(h.dest, "trace")), "zeta stack install") {
		t.Errorf("DevStack did not run zeta: the test proves nothing")
	}
}
