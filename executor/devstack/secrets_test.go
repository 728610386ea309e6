package devstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestSecretsFromPluginSettings runs DevStack's own run_phase, with
// xtrace on as stack.sh has it, over a plugin whose override-defaults and
// settings generate a token and a password and whose settings and plugin.sh
// print them. Output masks, line by line, what Learn got so far: no byte of
// either value may reach it in clear, the xtrace of the assignment
// included, and nothing of the channel stays in the work directory.
func TestSecretsFromPluginSettings(t *testing.T) {
	ds := devstackDir(t)
	work := t.TempDir()
	dest := filepath.Join(work, "opt")
	hooks := filepath.Join(dest, "gamma", "devstack")
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		t.Fatal(err)
	}
	const password, token = "gen-42-pw", "tok-42-generated"
	for name, text := range map[string]string{
		"override-defaults": "GAMMA_TOKEN=tok-$((40+2))-generated\n",
		"settings":          "GAMMA_PASSWORD=$(printf 'gen-%s-pw' $((6*7)))\necho \"generated password: $GAMMA_PASSWORD\"\n",
		"plugin.sh":         "echo \"gamma $1 $2 with $GAMMA_PASSWORD and $GAMMA_TOKEN\"\n",
	} {
		if err := os.WriteFile(filepath.Join(hooks, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf(`#!/usr/bin/env bash
TOP_DIR=%[1]q
source $TOP_DIR/functions
DEST=%[2]q
declare -A -g GITREPO GITBRANCH GITDIR
enable_plugin gamma file:///nowhere master
set -o xtrace
run_phase override_defaults
run_phase source
run_phase stack install
`, ds, dest)
	if err := os.WriteFile(filepath.Join(work, "stack.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var learnt []string
	var pending []byte
	var out strings.Builder
	mask := func(line string) string {
		for _, v := range learnt {
			if len(v) >= 4 {
				line = strings.ReplaceAll(line, v, "***")
			}
		}
		return line
	}
	runDir := t.TempDir()
	code, err := Script{Dir: work, Name: "stack.sh", Env: os.Environ(), WorkDir: runDir,
		Secret: func(n string) bool { return strings.Contains(n, "PASSWORD") || strings.Contains(n, "TOKEN") },
		Learn: func(values []string) {
			mu.Lock()
			defer mu.Unlock()
			learnt = append(learnt, values...)
		},
		Output: func(b []byte) {
			mu.Lock()
			defer mu.Unlock()
			pending = append(pending, b...)
			if i := strings.LastIndexByte(string(pending), '\n'); i >= 0 {
				out.WriteString(mask(string(pending[:i+1])))
				pending = pending[i+1:]
			}
		},
	}.Run(context.Background())
	out.WriteString(mask(string(pending)))
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out.String())
	}
	if !slices.Contains(learnt, password) || !slices.Contains(learnt, token) {
		t.Fatalf("Learn did not get the generated password and token: %q", learnt)
	}
	got := out.String()
	for _, want := range []string{"GAMMA_TOKEN=***", "GAMMA_PASSWORD=***", "generated password: ***", "gamma stack install with *** and ***"} {
		if !strings.Contains(got, want) {
			t.Errorf("DevStack's output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, password) || strings.Contains(got, token) || strings.Contains(got, "__sp_") {
		t.Errorf("a secret or the watch shows in DevStack's output:\n%s", got)
	}
	left, _ := os.ReadDir(runDir)
	for _, e := range left {
		data, _ := os.ReadFile(filepath.Join(runDir, e.Name()))
		if !e.Type().IsRegular() || strings.Contains(string(data), password) {
			t.Errorf("the run left %s behind", e.Name())
		}
	}
}
