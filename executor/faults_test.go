//go:build faults

// The fault and load loop (issue "Proof"): scripts/faults.sh runs it. It is
// behind the faults build tag because it runs for minutes: CI runs the
// focused fault tests in apply_test.go instead.

package executor

import (
	"context"
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
var faultKinds = []string{"server-dies", "slow-server", "cancel", "concurrent", "failing-step", "full-disk"}

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
		kind := faultKinds[rng.Intn(len(faultKinds))]
		dest := filepath.Join(t.TempDir(), "opt-stack")
		p := buildPlan(dest, e.srv.URL, e.names, strings.ReplaceAll(e.localrc, e.dest, dest))
		os.Remove(e.trace + ".fail-alpha")
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
		if msg := checkNoPartial(dest, e.names); msg != "" {
			failures = append(failures, fmt.Sprintf("run %d (%s): %s", run, kind, msg))
		}
		if open := openFilesUnder(dest); open != "" {
			failures = append(failures, fmt.Sprintf("run %d (%s): files still open after the apply returned: %s", run, kind, open))
		}
		// The cause is gone: the next apply must complete.
		e.srv.SetDieAfter(0)
		os.Remove(e.trace + ".fail-alpha")
		res, err := Apply(context.Background(), p, e.opts(), nil)
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
		if out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", "HEAD").CombinedOutput(); err != nil {
			return fmt.Sprintf("partial checkout at %s: %v %s", dir, err, out)
		}
	}
	return ""
}
