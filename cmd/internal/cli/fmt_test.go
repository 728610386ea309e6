package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &Command{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getwd: func() (string, error) { return dir, nil }}
	code = c.Main(args)
	return code, out.String(), errb.String()
}

const unformatted = "localrc {\nA = \"x\"\n  LONGER_NAME = \"y\"\n}\nplugin \"p\" {\n url = \"https://opendev.org/x/p\"\n}\n"

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	path := filepath.Join(dir, "stack.hcl")
	if err := os.WriteFile(path, []byte(unformatted), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runIn(t, dir, "fmt", "--check", "stack.hcl"); code != ExitUnformatted || !strings.Contains(out, "stack.hcl") {
		t.Errorf("fmt --check on an unformatted file: exit %d, stdout %q; want %d and the name", code, out, ExitUnformatted)
	}
	if code, out, _ := runIn(t, dir, "fmt", "--diff", "stack.hcl"); code != ExitOK || !strings.Contains(out, "-A = \"x\"") || !strings.Contains(out, "+  A           = \"x\"") {
		t.Errorf("fmt --diff: exit %d, diff:\n%s", code, out)
	}
	if code, _, errOut := runIn(t, dir, "fmt", "--write", "stack.hcl"); code != ExitOK {
		t.Fatalf("fmt --write: exit %d: %s", code, errOut)
	}
	got, _ := os.ReadFile(path)
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("fmt --write changed the mode to %v", st.Mode().Perm())
	}
	// With no file named, the stack.hcl files of the directory.
	if code, out, _ := runIn(t, dir, "fmt", "--check"); code != ExitOK || out != "" {
		t.Errorf("fmt --check after --write: exit %d, stdout %q\n%s", code, out, got)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.stack.hcl"), []byte("localrc {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runIn(t, dir, "fmt", "--check", "bad.stack.hcl"); code != ExitUsage || !strings.Contains(errOut, "bad.stack.hcl:") {
		t.Errorf("fmt --check on a syntax error: exit %d, stderr %q; want %d", code, errOut, ExitUsage)
	}
}

func TestConvertAndDefaultFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	conf := "[[local|localrc]]\n# the heat plugin\nenable_plugin heat https://opendev.org/openstack/heat stable/2024.1\nif true; then\n  DEBUG=1\nfi\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n"
	if err := os.WriteFile(filepath.Join(dir, "local.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	code, hclOut, errOut := runIn(t, dir, "convert", "--to", "hcl", "local.conf")
	if code != ExitOK {
		t.Fatalf("convert --to hcl: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"# the heat plugin\n", "plugin \"heat\" {", "ref = \"stable/2024.1\"", "bash {", "section \"DEFAULT\""} {
		if !strings.Contains(hclOut, want) {
			t.Errorf("convert --to hcl output lacks %q:\n%s", want, hclOut)
		}
	}
	if !strings.Contains(errOut, "raw-bash") {
		t.Errorf("convert --to hcl did not warn about the raw bash block: %q", errOut)
	}
	if err := os.Rename(filepath.Join(dir, "local.conf"), filepath.Join(dir, "orig.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stack.hcl"), []byte(hclOut), 0o644); err != nil {
		t.Fatal(err)
	}
	// plan with no argument finds stack.hcl.
	code, planOut, errOut := runIn(t, dir, "plan", "--json")
	if code != ExitOK || !strings.Contains(planOut, `"kind": "hcl"`) || !strings.Contains(planOut, `"ref": "stable/2024.1"`) {
		t.Errorf("plan in a directory with stack.hcl: exit %d\n%s\n%s", code, planOut, errOut)
	}
	code, back, errOut := runIn(t, dir, "convert", "--to", "localconf", "-o", "back.conf", "stack.hcl")
	if code != ExitOK || back != "" {
		t.Fatalf("convert --to localconf -o: exit %d, stdout %q: %s", code, back, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "back.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "enable_plugin heat https://opendev.org/openstack/heat stable/2024.1") ||
		!strings.Contains(string(data), "[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True") {
		t.Errorf("convert --to localconf:\n%s", data)
	}
	if code, _, _ := runIn(t, dir, "convert", "--to", "yaml", "stack.hcl"); code != ExitUsage {
		t.Errorf("convert --to yaml: exit %d, want %d", code, ExitUsage)
	}
}
