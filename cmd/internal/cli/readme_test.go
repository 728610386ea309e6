package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeCheck checks what one README command printed (stdout and stderr
// together) and its exit code, in the fresh clone at dir.
type readmeCheck func(t *testing.T, dir, out string, code int)

// readmeCommands are the checks of every command in the README's
// "Quick start" section, its "More to try" included. A command the README
// gains without a check here fails the test, so the two cannot drift.
var readmeCommands = map[string]readmeCheck{
	"bash examples/demo.sh": func(t *testing.T, dir, out string, code int) {
		wantCode(t, code, 0, out)
		wantLines(t, out,
			`^== stackplan plan$`,
			`^Plan for examples/demo/local\.conf: 2 plugin\(s\)`,
			`^== stackplan apply --lifecycle stack$`,
			`^apply done: 18 step\(s\) run, 2 clone\(s\)`,
			`^== what the post-config merge left in hello.conf$`,
			`^== stackplan apply --lifecycle unstack,clean$`,
			`^apply done: 19 step\(s\) run, 0 clone\(s\)`)
	},
	"go test ./...": nil, // this test is part of it: running it here would recurse
	"go run ./cmd/stackplan plan examples/local.conf": func(t *testing.T, dir, out string, code int) {
		wantCode(t, code, 0, out)
		wantLines(t, out,
			`^Plan for examples/local\.conf: 3 plugin\(s\), 55 step\(s\), DEST /opt/stack$`,
			`^  1\.  barbican   stable/2025\.1  https://opendev\.org/openstack/barbican   /opt/stack/barbican$`,
			`^  3\.  designate  stable/2025\.1  https://opendev\.org/openstack/designate  /opt/stack/designate$`,
			`^Services, 36 enabled:$`,
			`^Disabled: horizon$`)
		if strings.Contains(out, "devstack-admin-pw") {
			t.Errorf("the plan shows a password:\n%s", out)
		}
	},
	"go run ./cmd/stackplan lint examples/broken/local.conf": func(t *testing.T, dir, out string, code int) {
		wantCode(t, code, 1, out)
		var rules []string
		for _, m := range regexp.MustCompile(`(?m)^examples/broken/local\.conf:\d+:\d+: (?:error|warning): .* \[([a-z-]+)\]$`).FindAllStringSubmatch(out, -1) {
			rules = append(rules, m[1])
		}
		slices.Sort(rules)
		want := []string{"abbreviated-sha", "branch-mismatch", "duplicate-plugin", "header-like-line", "invalid-plugin-name", "unknown-command", "unknown-section", "url-credentials"}
		if !slices.Equal(rules, want) {
			t.Errorf("findings %v, want %v:\n%s", rules, want, out)
		}
	},
	"go run ./cmd/stackplan plan --json examples/local.conf": func(t *testing.T, dir, out string, code int) {
		wantCode(t, code, 0, out)
		wantFile(t, out, filepath.Join(dir, "examples", "golden", "local.conf.plan.json"))
	},
	"go run ./cmd/stackplan plan -v examples/legacy/localrc": func(t *testing.T, dir, out string, code int) {
		wantCode(t, code, 0, out)
		wantFile(t, out, filepath.Join(dir, "examples", "golden", "legacy__localrc.plan.txt"))
	},
	"go install ./cmd/stackplan": func(t *testing.T, dir, out string, code int) {
		wantCode(t, code, 0, out)
		bin := filepath.Join(os.Getenv("GOBIN"), "stackplan")
		got, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil || !regexp.MustCompile(`^stackplan \S+\n$`).Match(got) {
			t.Errorf("the installed %s --version: %v\n%s", bin, err, got)
		}
	},
}

// TestREADME walks the README as a newcomer does: from a fresh clone of
// the committed HEAD (so without anything beside the repository), it runs
// every command of the README's "Quick start" section and checks its output.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository and builds it: skipped with -short")
	}
	for _, tool := range []string{"git", "bash", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "stackplan")
	run(t, "", nil, "git", "clone", "-q", root, clone)
	readme, err := os.ReadFile(filepath.Join(clone, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands := quickStartCommands(string(readme))
	if len(commands) == 0 {
		t.Fatal(`no commands found in the README's "Quick start"`)
	}
	t.Setenv("GOBIN", t.TempDir())
	for _, command := range commands {
		check, known := readmeCommands[command]
		if !known {
			t.Errorf("the README runs %q, which this test does not check: add it to readmeCommands", command)
			continue
		}
		if check == nil {
			continue
		}
		t.Run(command, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", command)
			cmd.Dir = clone
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			check(t, clone, string(out), code)
		})
	}
}

// quickStartCommands returns the commands of the sh blocks of the
// README's "Quick start" section, in order, without their comments.
func quickStartCommands(readme string) []string {
	_, section, _ := strings.Cut(readme, "\n## Quick start\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var commands []string
	inBlock := false
	for line := range strings.Lines(section) {
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "```sh":
			inBlock = true
		case line == "```":
			inBlock = false
		case inBlock:
			command, _, _ := strings.Cut(line, " #")
			if command = strings.TrimSpace(command); command != "" {
				commands = append(commands, command)
			}
		}
	}
	return commands
}

func wantCode(t *testing.T, got, want int, out string) {
	t.Helper()
	if got != want {
		t.Fatalf("exit code %d, want %d; output:\n%s", got, want, out)
	}
}

// wantLines checks that each pattern matches a line of out, in order.
func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	rest := out
	for _, p := range patterns {
		loc := regexp.MustCompile("(?m)" + p).FindStringIndex(rest)
		if loc == nil {
			t.Fatalf("no line matching %s (in order) in:\n%s", p, out)
		}
		rest = rest[loc[1]:]
	}
}

func wantFile(t *testing.T, out, golden string) {
	t.Helper()
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("the output differs from %s:\n%s", golden, out)
	}
}
