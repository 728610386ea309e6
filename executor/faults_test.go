//go:build faults

// The fault and load loop (issue "Proof"): scripts/faults.sh runs it. It is
// behind the faults build tag because it runs for minutes: CI runs the
// focused fault tests in apply_test.go instead.

package executor

import (
	"context"
	"encoding/gob"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/plan"
)

var (
	faultRuns = flag.Int("fault.runs", 40, "how many faulty applies to run")
	faultSeed = flag.Int64("fault.seed", 1, "seed of the fault choices")
)

// faultKinds are the faults the loop injects.
var faultKinds = []string{"server-dies", "slow-server", "cancel", "concurrent", "failing-step", "full-disk",
	"kill9-clone", "kill9-step", "journal-full", "background-process", "kill9-devstack"}

// faultOnly, when set, injects only these kinds (comma-separated).
var faultOnly = flag.String("fault.only", "", "inject only these fault kinds (comma-separated)")

// childPlanEnv names the file (a gob of plan and options) that
// TestFaultChild applies: the apply that kill9-* faults kill -9.
const childPlanEnv = "STACKPLAN_FAULT_CHILD"

type childJob struct {
	Plan *plan.Plan
	Env  []string
}

// TestFaultChild is the apply of another process, killed by kill -9.
func TestFaultChild(t *testing.T) {
	path := os.Getenv(childPlanEnv)
	if path == "" {
		t.Skip("run by the kill9 faults only")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var job childJob
	if err := gob.NewDecoder(f).Decode(&job); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), job.Plan, Options{Env: job.Env, Cloner: &git.SystemGit{}}, nil); err != nil {
		t.Log(err)
	}
}

// startChild starts an apply of p in another process.
func startChild(t *testing.T, e *env, p *plan.Plan) *exec.Cmd {
	path := filepath.Join(t.TempDir(), "job.gob")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := gob.NewEncoder(f).Encode(childJob{Plan: p, Env: e.opts().Env}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childPlanEnv+"="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// processesIn lists the processes whose working directory is under dir.
func processesIn(dir string) []string {
	procs, _ := os.ReadDir("/proc")
	var out []string
	for _, p := range procs {
		if cwd, err := os.Readlink(filepath.Join("/proc", p.Name(), "cwd")); err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
			out = append(out, p.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// TestFaultLoop applies plans against loopback git servers (git daemon and
// git http-backend) while injecting a fault in each run, in a bounded loop.
// After every run it checks that no destination holds a partial checkout
// or a temporary clone, and that the next apply, with the fault gone,
// completes. It prints the counts: runs, faults injected, failures.
func TestFaultLoop(t *testing.T) {
	rng := rand.New(rand.NewSource(*faultSeed))
	envs := []*env{newEnv(t, false), newEnv(t, true)}
	injected := map[string]int{}
	skipped := map[string]int{}
	var failures []string
	for run := 0; run < *faultRuns; run++ {
		e := envs[run%len(envs)]
		kinds := faultKinds
		if *faultOnly != "" {
			kinds = strings.Split(*faultOnly, ",")
		}
		kind := kinds[rng.Intn(len(kinds))]
		if kind == "kill9-devstack" {
			// A round of its own: DevStack's real stack.sh
			// (faults_devstack_test.go).
			start := time.Now()
			ok, err := devstackRound(t, rng)
			if !ok {
				skipped[kind]++
				continue
			}
			injected[kind]++
			t.Logf("run %d (%s): %v", run, kind, time.Since(start).Round(time.Second))
			if err != nil {
				failures = append(failures, fmt.Sprintf("run %d (%s): %v", run, kind, err))
			}
			continue
		}
		dest := filepath.Join(t.TempDir(), "opt-stack")
		p := buildPlan(dest, e.srv.URL, e.names, strings.ReplaceAll(e.localrc, e.dest, dest))
		for _, m := range []string{".fail-alpha", ".slow-alpha", ".bg-alpha", ".started-alpha", ".late"} {
			os.Remove(e.trace + m)
		}
		ok, err := injectFault(t, rng, e, p, kind)
		if !ok {
			skipped[kind]++
			continue
		}
		injected[kind]++
		if err == nil && kind != "slow-server" && kind != "concurrent" {
			// The fault did not bite (it came after the work): fine, but say so.
			t.Logf("run %d (%s via %s): the apply completed despite the fault", run, kind, e.srv.URL)
		}
		// A killed stackplan cannot remove its temporary clone: the next
		// apply does, and it must stay gone (checked after the recovery).
		if msg := checkNoPartial(dest, e.names); msg != "" && kind != "kill9-clone" {
			failures = append(failures, fmt.Sprintf("run %d (%s): %s", run, kind, msg))
		}
		if open := openFilesUnder(dest); open != "" {
			failures = append(failures, fmt.Sprintf("run %d (%s): files still open after the apply returned: %s", run, kind, open))
		}
		if kind == "journal-full" && err != nil && !errors.Is(err, ErrJournal) {
			failures = append(failures, fmt.Sprintf("run %d (%s): the apply failed without naming the journal: %v", run, kind, err))
		}
		if kind == "journal-full" && err == nil {
			failures = append(failures, fmt.Sprintf("run %d (%s): the apply succeeded without a journal", run, kind))
		}
		if err != nil && strings.HasPrefix(kind, "kill9") {
			failures = append(failures, fmt.Sprintf("run %d (%s): %v", run, kind, err))
		}
		// The cause is gone: the next apply must complete. After a kill -9,
		// it waits (ErrLocked) while a process of the killed apply runs.
		e.srv.SetDieAfter(0)
		os.Remove(e.trace + ".fail-alpha")
		os.Remove(e.trace + ".slow-alpha")
		os.Remove(e.trace + ".bg-alpha")
		var res *Result
		waitFor(20*time.Second, func() bool {
			res, err = Apply(context.Background(), p, e.opts(), nil)
			return !errors.Is(err, ErrLocked)
		})
		if err != nil && !errors.Is(err, ErrAlreadyApplied) {
			failures = append(failures, fmt.Sprintf("run %d (%s): the recovery apply failed: %v", run, kind, err))
			continue
		}
		if err == nil && !res.Finished {
			failures = append(failures, fmt.Sprintf("run %d (%s): the recovery apply did not finish", run, kind))
		}
		if msg := checkNoPartial(dest, e.names); msg != "" {
			failures = append(failures, fmt.Sprintf("run %d (%s) after recovery: %s", run, kind, msg))
		}
		if strings.HasPrefix(kind, "kill9") {
			// Nothing of the killed apply goes on: no step finishes late,
			// no git re-creates a temporary clone.
			time.Sleep(3500 * time.Millisecond)
			if _, err := os.Stat(e.trace + ".late"); err == nil {
				failures = append(failures, fmt.Sprintf("run %d (%s): the killed apply's step went on after the kill", run, kind))
			}
			if msg := checkNoPartial(dest, e.names); msg != "" {
				failures = append(failures, fmt.Sprintf("run %d (%s) after the kill: %s", run, kind, msg))
			}
			if procs := processesIn(dest); len(procs) > 0 {
				failures = append(failures, fmt.Sprintf("run %d (%s): processes of the killed apply still run: %v", run, kind, procs))
			}
		}
	}
	total := 0
	for _, k := range faultKinds {
		total += injected[k]
	}
	fmt.Printf("\nfault loop: %d runs, %d faults injected, %d failures\n", *faultRuns, total, len(failures))
	for _, k := range faultKinds {
		fmt.Printf("  %-14s injected %3d  skipped %3d\n", k, injected[k], skipped[k])
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// injectFault runs one apply of p with a fault of the given kind. ok is
// false when the fault cannot be injected here (full-disk without tmpfs).
func injectFault(t *testing.T, rng *rand.Rand, e *env, p *plan.Plan, kind string) (ok bool, err error) {
	opts := e.opts()
	switch kind {
	case "server-dies":
		e.srv.SetDieAfter(int64(1 + rng.Intn(4000)))
		_, err = Apply(context.Background(), p, opts, nil)
		e.srv.SetDieAfter(0)
	case "slow-server":
		e.srv.Stall()
		done := make(chan error, 1)
		go func() { _, err := Apply(context.Background(), p, opts, nil); done <- err }()
		finished := false
		select {
		case <-e.srv.Stalled:
			time.Sleep(time.Duration(rng.Intn(300)) * time.Millisecond)
		case err = <-done:
			finished = true // done before any transfer stalled
		}
		e.srv.Release()
		if !finished {
			err = <-done
		}
	case "cancel":
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(time.Duration(rng.Intn(400))*time.Millisecond, cancel)
		_, err = Apply(ctx, p, opts, nil)
		timer.Stop()
		cancel()
	case "concurrent":
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = Apply(context.Background(), p, opts, nil) }()
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil && !errors.Is(e, ErrLocked) && !errors.Is(e, ErrAlreadyApplied) {
				err = e
			}
		}
	case "failing-step":
		if werr := os.WriteFile(e.trace+".fail-alpha", nil, 0o644); werr != nil {
			t.Fatal(werr)
		}
		_, err = Apply(context.Background(), p, opts, nil)
	case "kill9-clone":
		// kill -9 of stackplan while git transfers: git dies with it.
		if !strings.HasPrefix(e.srv.URL, "http") {
			return false, nil // the daemon's transfers cannot be held
		}
		e.srv.Stall()
		child := startChild(t, e, p)
		select {
		case <-e.srv.Stalled:
		case <-time.After(20 * time.Second):
			child.Process.Kill()
			child.Wait()
			e.srv.Release()
			return true, fmt.Errorf("no clone started")
		}
		child.Process.Kill()
		child.Wait()
		e.srv.Release()
	case "kill9-step":
		// kill -9 of stackplan while a step runs: the lock stays held
		// while the step's processes run, and the step never finishes.
		os.WriteFile(e.trace+".slow-alpha", nil, 0o644)
		child := startChild(t, e, p)
		if !waitFor(30*time.Second, func() bool { _, err := os.Stat(e.trace + ".started-alpha"); return err == nil }) {
			err = fmt.Errorf("the step never started")
		}
		child.Process.Kill()
		child.Wait()
		os.Remove(e.trace + ".slow-alpha")
		if _, aerr := Apply(context.Background(), p, opts, nil); !errors.Is(aerr, ErrLocked) && err == nil {
			err = fmt.Errorf("an apply right after the kill was not refused while the step's processes run: %v", aerr)
		}
	case "journal-full":
		// A full disk under DEST/.stackplan: the journal cannot be written
		// and the apply must fail, saying so.
		state := filepath.Join(p.Dest, StateDirName)
		if err := os.MkdirAll(state, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, merr := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", state).CombinedOutput(); merr != nil {
			t.Logf("journal-full skipped: mount tmpfs: %v %s", merr, out)
			return false, nil
		}
		exec.Command("dd", "if=/dev/zero", "of="+filepath.Join(state, "filler"), "bs=4k").Run()
		_, err = Apply(context.Background(), p, opts, nil)
		if out, uerr := exec.Command("umount", state).CombinedOutput(); uerr != nil {
			t.Errorf("journal-full: umount: %v %s (open files: %s)", uerr, out, openFilesUnder(state))
			exec.Command("umount", "-l", state).Run()
		}
	case "background-process":
		// A step leaves a process holding stackplan's pipes, as DevStack's
		// run_process does: apply must not wait for it.
		os.WriteFile(e.trace+".bg-alpha", nil, 0o644)
		start := time.Now()
		_, err = Apply(context.Background(), p, opts, nil)
		if took := time.Since(start); err == nil && took > 15*time.Second {
			err = fmt.Errorf("apply took %v: it waited for the background process", took)
		}
	case "full-disk":
		// A 256 KiB tmpfs as DEST: clones and the journal run out of space.
		if err := os.MkdirAll(p.Dest, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, merr := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", p.Dest).CombinedOutput(); merr != nil {
			t.Logf("full-disk skipped: mount tmpfs: %v %s", merr, out)
			return false, nil
		}
		_, err = Apply(context.Background(), p, opts, nil)
		// Partial state must be absent inside the tmpfs too; check before
		// unmounting, then give the recovery apply a real disk.
		if msg := checkNoPartial(p.Dest, e.names); msg != "" {
			err = fmt.Errorf("on the full disk: %s", msg)
		}
		if out, uerr := exec.Command("umount", p.Dest).CombinedOutput(); uerr != nil {
			t.Errorf("full-disk: umount after the apply: %v %s (open files: %s)", uerr, out, openFilesUnder(p.Dest))
			exec.Command("umount", "-l", p.Dest).Run()
		}
	}
	return true, err
}

// openFilesUnder lists this process's open files below dir: an apply that
// returned must have closed its lock, journal and log.
func openFilesUnder(dir string) string {
	fds, _ := os.ReadDir("/proc/self/fd")
	var open []string
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir+"/") {
			open = append(open, target)
		}
	}
	return strings.Join(open, ", ")
}

// checkNoPartial reports a destination that holds a partial checkout (a
// plugin directory that is not a complete git checkout) or a temporary
// clone left behind.
func checkNoPartial(dest string, names []string) string {
	ents, _ := os.ReadDir(dest)
	for _, ent := range ents {
		if strings.Contains(ent.Name(), git.TempPrefix) {
			return "temporary clone left behind: " + ent.Name()
		}
	}
	for _, n := range names {
		dir := filepath.Join(dest, n)
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "devstack", "plugin.sh")); err != nil {
			return "partial checkout at " + dir + ": no devstack/plugin.sh"
		}
		if out, err := exec.Command("git", "-c", "safe.directory=*", "-C", dir, "rev-parse", "--verify", "HEAD").CombinedOutput(); err != nil {
			return fmt.Sprintf("partial checkout at %s: %v %s", dir, err, out)
		}
	}
	return ""
}
