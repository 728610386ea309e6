package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
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

// scriptGroupStallEnv makes TestScriptGroupChild stop, and wait to be
// killed, between starting its DevStack script and recording its group.
const scriptGroupStallEnv = "STACKPLAN_SCRIPT_GROUP_STALL"

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
	started := lock.recordScriptGroup
	if os.Getenv(scriptGroupStallEnv) != "" {
		// With SIGTERM ignored, which the script inherits, Pdeathsig
		// cannot end it: only the gate's pipe can.
		signal.Ignore(syscall.SIGTERM)
		// Killed before it records the group: it says it started the
		// script, and never returns.
		started = func(pgid int) {
			mark := os.Getenv("MARK")
			os.WriteFile(mark+".pgid", []byte(strconv.Itoa(pgid)), 0o600)
			os.Rename(mark+".pgid", mark+".started")
			select {}
		}
	}
	code, err := devstack.Script{
		Dir:     os.Getenv("DEVSTACK"),
		Name:    "stack.sh",
		Env:     []string{"PATH=" + os.Getenv("PATH"), "MARK=" + os.Getenv("MARK")},
		WorkDir: state,
		Started: started,
	}.Run(context.Background())
	t.Fatalf("stack.sh was not killed with its apply: status %d, %v", code, err)
}

// TestLockHeldByScriptGroup: after kill -9 of an apply --devstack, a second
// apply is refused while a process of the first one's DevStack script still
// runs, and names its process group; a service that left the group (setsid)
// does not hold the lock.
func TestLockHeldByScriptGroup(t *testing.T) {
	child, state, mark := startScriptGroupChild(t)
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

// TestScriptWaitsForItsRecord: an apply --devstack killed with kill -9
// after it started stack.sh but before it recorded the script's process
// group in the lock never lets the script run: stack.sh waits in the
// watch, before its first line, until the group is recorded, and ends
// when its apply is gone (here with SIGTERM ignored, so that only the
// gate's pipe can end it). So no process of it outlives the apply
// unrecorded, where a second apply would start beside it.
func TestScriptWaitsForItsRecord(t *testing.T) {
	child, state, mark := startScriptGroupChild(t, scriptGroupStallEnv+"=1")
	// It stalls for ever: killed here if the test stops early.
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	if !waitFor(time.Minute, func() bool { _, err := os.Stat(mark + ".started"); return err == nil }) {
		child.Process.Kill()
		child.Wait()
		t.Fatal("the apply did not start stack.sh")
	}
	pgid := readPID(t, mark+".started")
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	// Kill the apply once the script either ran (its first lines start
	// a background process) or waits at the gate, reading a pipe.
	waitFor(time.Minute, func() bool {
		if _, err := os.Stat(mark + ".ready"); err == nil {
			return true
		}
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pgid))
		return strings.Contains(string(wchan), "pipe_read")
	})
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()

	ran := false
	if _, err := os.Stat(mark + ".child"); err == nil {
		ran = true
		t.Error("stack.sh ran its first line before its apply recorded its process group")
		syscall.Kill(-pgid, syscall.SIGKILL)
		syscall.Kill(readPID(t, mark+".daemon"), syscall.SIGKILL)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pgid, &ws, 0, nil); err != nil {
		t.Fatalf("stack.sh (pid %d): %v", pgid, err)
	}
	if !ws.Exited() || ws.ExitStatus() != 125 {
		t.Errorf("stack.sh ended with %v, want status 125: the gate's pipe ended without the go-ahead", ws)
	}
	if !ran && groupAlive(pgid) {
		t.Errorf("a process of the script's group %d outlived the apply unrecorded", pgid)
	}
	lock, err := takeLock(state, time.Now())
	if err != nil {
		t.Fatalf("the lock after the killed apply: %v", err)
	}
	lock.Unlock()
}

// startScriptGroupChild starts TestScriptGroupChild, with env added, on
// groupStackScript as stack.sh, and makes this process the subreaper of
// its orphans: a zombie still counts as a member of its group. It returns
// the child, its state directory and the prefix of the script's marks.
func startScriptGroupChild(t *testing.T, env ...string) (child *exec.Cmd, state, mark string) {
	t.Helper()
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		t.Fatalf("prctl: %v", errno)
	}
	t.Cleanup(func() { syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 0, 0) })

	dir := t.TempDir()
	state = filepath.Join(dir, "opt-stack", StateDirName)
	devstackDir := filepath.Join(dir, "devstack")
	mark = filepath.Join(dir, "mark")
	for _, d := range []string{state, devstackDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(devstackDir, "stack.sh"), []byte(groupStackScript), 0o755); err != nil {
		t.Fatal(err)
	}
	child = exec.Command(os.Args[0], "-test.run=^TestScriptGroupChild$", "-test.count=1")
	child.Env = append(append(os.Environ(), scriptGroupChildEnv+"="+state, "DEVSTACK="+devstackDir, "MARK="+mark), env...)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	return child, state, mark
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
