package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor/devstack"
)

// scriptGroupChildEnv names the destination's state directory that
// TestScriptGroupChild locks before it runs its DevStack script.
const scriptGroupChildEnv = "STACKPLAN_SCRIPT_GROUP_CHILD"

// groupStackScript starts a process in its own group that outlives
// stackplan, and a service that leaves the group (as systemd's would),
// then waits to be killed with stackplan.
const groupStackScript = `#!/bin/bash
sleep 300 &
echo $! >"$MARK.child"
setsid sh -c 'echo $$ >"$MARK.d" && mv "$MARK.d" "$MARK.daemon" && exec sleep 300' &
until [ -e "$MARK.daemon" ]; do sleep 0.01; done
touch "$MARK.ready"
sleep 300
`

// TestScriptGroupChild is the apply --devstack that TestLockHeldByScriptGroup
// kills with kill -9: it takes the lock and runs stack.sh as runScript does.
func TestScriptGroupChild(t *testing.T) {
	state := os.Getenv(scriptGroupChildEnv)
	if state == "" {
		t.Skip("run by TestLockHeldByScriptGroup only")
	}
	lock, err := takeLock(state, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	code, err := devstack.Script{
		Dir:     os.Getenv("DEVSTACK"),
		Name:    "stack.sh",
		Env:     []string{"PATH=" + os.Getenv("PATH"), "MARK=" + os.Getenv("MARK")},
		WorkDir: state,
		Started: lock.recordScriptGroup,
	}.Run(context.Background())
	t.Fatalf("stack.sh was not killed with its apply: status %d, %v", code, err)
}

// TestLockHeldByScriptGroup: after kill -9 of an apply --devstack, a second
// apply is refused while a process of the first one's DevStack script still
// runs, and names its process group; a service that left the group (setsid)
// does not hold the lock.
func TestLockHeldByScriptGroup(t *testing.T) {
	// Orphans of the killed apply come to this process, which reaps them:
	// a zombie still counts as a member of its group.
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		t.Fatalf("prctl: %v", errno)
	}
	t.Cleanup(func() { syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 0, 0) })

	dir := t.TempDir()
	state := filepath.Join(dir, "opt-stack", StateDirName)
	devstackDir := filepath.Join(dir, "devstack")
	mark := filepath.Join(dir, "mark")
	for _, d := range []string{state, devstackDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(devstackDir, "stack.sh"), []byte(groupStackScript), 0o755); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestScriptGroupChild$", "-test.count=1")
	child.Env = append(os.Environ(), scriptGroupChildEnv+"="+state, "DEVSTACK="+devstackDir, "MARK="+mark)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(time.Minute, func() bool { _, err := os.Stat(mark + ".ready"); return err == nil }) {
		child.Process.Kill()
		child.Wait()
		t.Fatal("stack.sh did not start")
	}
	inGroup, daemon := readPID(t, mark+".child"), readPID(t, mark+".daemon")
	pgid, err := syscall.Getpgid(inGroup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range []int{inGroup, daemon, pgid} {
			syscall.Kill(pid, syscall.SIGKILL)
			syscall.Wait4(pid, nil, 0, nil)
		}
	})

	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	// stack.sh itself dies with its apply (SIGTERM); its background
	// process runs on.
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pgid, &ws, 0, nil); err != nil || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("stack.sh (pid %d) did not die of SIGTERM with its apply: %v %v", pgid, ws, err)
	}
	if syscall.Kill(inGroup, 0) != nil {
		t.Fatal("the script's background process did not outlive its apply: the test proves nothing")
	}

	_, err = takeLock(state, time.Now())
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process group %d", pgid)) {
		t.Fatalf("a second apply took the lock while the killed apply's script group %d still runs: %v", pgid, err)
	}

	// The user stops the group, as the message says; this process reaps
	// its members (stack.sh's foreground sleep too).
	syscall.Kill(-pgid, syscall.SIGKILL)
	for {
		if _, err := syscall.Wait4(-pgid, nil, 0, nil); err != nil {
			break
		}
	}
	if syscall.Kill(daemon, 0) != nil {
		t.Fatal("the setsid service is gone: the test proves nothing")
	}
	lock, err := takeLock(state, time.Now())
	if err != nil {
		t.Fatalf("a service that left the script's group holds the lock: %v", err)
	}
	lock.Unlock()
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
