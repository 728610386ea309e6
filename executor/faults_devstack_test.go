//go:build faults

package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The kill9-devstack fault: kill -9 of `stackplan apply --devstack` while
// DevStack's real stack.sh runs, from the pinned tree, as the stack user,
// on the host scripts/devstack-host.sh prepares (as the end-to-end tests in
// cmd/stackplan do). Every in-tree service is disabled and one plugin
// runs: a real but small stack, so that rounds take a minute or so.

// devstackHostDir is where scripts/devstack-host.sh puts its stand-ins.
const devstackHostDir = "/var/lib/stackplan-devstack"

// devstackFaultPlugin is alpha's plugin.sh: at stack/install it leaves a
// process in the script's group (a service started without systemd),
// says so, and takes a few seconds, during which the apply is killed.
const devstackFaultPlugin = `if [[ $1 == stack && $2 == install ]]; then
    sleep 30 &
    touch "$DEST/alpha-installing"
    sleep 3
fi
`

var (
	devstackOnce sync.Once
	devstackBin  string // the stackplan binary, built once
	devstackSkip string // why the fault cannot run here
)

// prepareDevstackHost prepares the host and builds stackplan, once.
func prepareDevstackHost(t *testing.T) (tree string, ok bool) {
	tree = os.Getenv("STACKPLAN_DEVSTACK")
	if tree == "" {
		tree = filepath.Join("..", "..", "shared", "devstack")
	}
	tree, _ = filepath.Abs(tree)
	devstackOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(tree, "stack.sh")); err != nil {
			devstackSkip = fmt.Sprintf("no DevStack tree (%v); set STACKPLAN_DEVSTACK", err)
			return
		}
		if os.Geteuid() != 0 {
			devstackSkip = "needs root to run DevStack as the stack user"
			return
		}
		if out, err := exec.Command("bash", "../scripts/devstack-host.sh", "setup", devstackHostDir).CombinedOutput(); err != nil {
			devstackSkip = fmt.Sprintf("devstack-host.sh setup: %v %s", err, out)
			return
		}
		devstackBin = filepath.Join(devstackHostDir, "stackplan-faults")
		if out, err := exec.Command("go", "build", "-o", devstackBin, "../cmd/stackplan").CombinedOutput(); err != nil {
			devstackSkip = fmt.Sprintf("go build: %v %s", err, out)
		}
	})
	if devstackSkip != "" {
		t.Logf("kill9-devstack skipped: %s", devstackSkip)
		return "", false
	}
	return tree, true
}

// devstackRound runs one kill9-devstack round; ok is false when the host
// cannot run DevStack. The error lists what went wrong.
func devstackRound(t *testing.T, rng *rand.Rand) (ok bool, err error) {
	tree, ok := prepareDevstackHost(t)
	if !ok {
		return false, nil
	}
	// The orphans of a killed apply come to this process, which reaps
	// them: a zombie still counts as a member of its group. Those of
	// earlier rounds (the services a completed stack.sh left) are reaped
	// now, while this process waits for no other child.
	const prSetChildSubreaper = 36
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	for {
		if pid, _ := syscall.Wait4(-1, nil, syscall.WNOHANG, nil); pid <= 0 {
			break
		}
	}
	work, err := os.MkdirTemp("", "stackplan-fault-devstack-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	dest := filepath.Join(work, "opt")
	devstack := filepath.Join(work, "devstack")
	repo := filepath.Join(work, "repos", "alpha")
	for _, c := range [][]string{
		{"cp", "-r", tree, devstack},
		{"chmod", "-R", "u+w", devstack},
		{"bash", "../scripts/devstack-host.sh", "requirements", filepath.Join(dest, "requirements")},
		{"mkdir", "-p", filepath.Join(repo, "devstack")},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	os.WriteFile(filepath.Join(repo, "devstack", "plugin.sh"), []byte(devstackFaultPlugin), 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "master"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-qm", "alpha"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	conf := filepath.Join(work, "local.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[[local|localrc]]\nDEST=%s\nDATA_DIR=%s/data\nLOGFILE=%s/logs/stack.sh.log\n"+
		"ADMIN_PASSWORD=x-Secret-1\nDATABASE_PASSWORD=x-Secret-1\nRABBIT_PASSWORD=x-Secret-1\nSERVICE_PASSWORD=x-Secret-1\n"+
		"disable_all_services\nenable_plugin alpha file://%s\n", dest, dest, dest, repo)), 0o644)
	os.Chmod(work, 0o755)
	if out, err := exec.Command("chown", "-R", "stack:", work).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	apply := func() *exec.Cmd {
		cmd := exec.Command(filepath.Join(devstackHostDir, "run-as-stack"), devstackBin, "apply", "--devstack", devstack, conf)
		cmd.Dir = work
		return cmd
	}

	var problems []string
	// The apply to kill, once stack.sh is in alpha's install hook, plus
	// up to 1.5 s.
	first := apply()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Wait() }()
	if !waitFor(10*time.Minute, func() bool { _, err := os.Stat(filepath.Join(dest, "alpha-installing")); return err == nil }) {
		first.Process.Kill()
		<-firstDone
		return true, errors.New("stack.sh never reached alpha's install hook")
	}
	time.Sleep(time.Duration(rng.Intn(1500)) * time.Millisecond)
	var holder lockHolder
	data, _ := os.ReadFile(filepath.Join(dest, StateDirName, "lock"))
	if json.Unmarshal(data, &holder) != nil || holder.PID <= 0 || holder.ScriptGroup <= 0 {
		first.Process.Kill()
		<-firstDone
		return true, fmt.Errorf("the lock does not name the apply and its script's group while stack.sh runs: %q", data)
	}
	// stackplan runs under sudo: kill stackplan itself.
	syscall.Kill(holder.PID, syscall.SIGKILL)
	<-firstDone

	// A second apply is refused while the script's group lives, and says so.
	out, err := apply().CombinedOutput()
	group := fmt.Sprintf("process group %d", holder.ScriptGroup)
	if err == nil || !strings.Contains(string(out), group) {
		problems = append(problems, fmt.Sprintf("an apply right after the kill was not refused naming %s: %v\n%s", group, err, out))
	}
	// Nothing half-done: no partial checkout or temporary clone.
	if msg := checkNoPartial(dest, []string{"alpha"}); msg != "" {
		problems = append(problems, msg)
	}
	// The user stops the group, as the message says, and this process
	// (the subreaper of the killed apply's orphans) reaps its members.
	syscall.Kill(-holder.ScriptGroup, syscall.SIGTERM)
	if !waitFor(2*time.Minute, func() bool {
		for {
			if pid, _ := syscall.Wait4(-holder.ScriptGroup, nil, syscall.WNOHANG, nil); pid <= 0 {
				break
			}
		}
		return !groupAlive(holder.ScriptGroup)
	}) {
		syscall.Kill(-holder.ScriptGroup, syscall.SIGKILL)
		problems = append(problems, fmt.Sprintf("the script's group %d outlived SIGTERM by two minutes", holder.ScriptGroup))
	}
	// Then the next apply completes.
	if out, err := apply().CombinedOutput(); err != nil {
		problems = append(problems, fmt.Sprintf("the apply after the group ended failed: %v\n%s", err, lastLinesOf(string(out), 15)))
	}
	if msg := checkNoPartial(dest, []string{"alpha"}); msg != "" {
		problems = append(problems, "after recovery: "+msg)
	}
	if len(problems) > 0 {
		return true, errors.New(strings.Join(problems, "; "))
	}
	return true, nil
}

func lastLinesOf(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
