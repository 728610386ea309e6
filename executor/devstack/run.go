package devstack

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

//go:embed watch.bash
var watch []byte

// Script is one run of a DevStack script, unmodified, from its checkout.
type Script struct {
	// Dir is the DevStack checkout; the script runs there, as ./NAME.
	Dir string
	// Name is "stack.sh", "unstack.sh" or "clean.sh".
	Name string
	// Env is the script's environment. BASH_ENV and STACKPLAN_EVENTS are
	// set on top of it.
	Env []string
	// WorkDir is a private directory for the watch file and the events.
	WorkDir string
	// Output receives the script's stdout and stderr as they come.
	Output func([]byte)
	// Event receives each watch event, in order. Output and Event are
	// called from two goroutines; neither is called after Run returns.
	Event func(Event)
	// Poll is how often the events file is read; 0 means 50ms.
	Poll time.Duration
	// Secret, when set, picks the variables whose values Learn gets after
	// each plugin hook, before the script goes on; the script's output
	// waits while a plugin's override-defaults or settings run, until
	// Learn returns (see secrets.go).
	Secret func(name string) bool
	Learn  func(values []string)
	// Started, when set, is called with the script's process group (its
	// pid) as soon as it runs, before Output or Event. The script waits
	// for it to return before its first line (see gate), and never runs
	// if this process dies before.
	Started func(pgid int)
}

// stopGrace is how long a script gets to exit after SIGTERM on
// cancellation before its process group is killed.
const stopGrace = 10 * time.Second

// drainGrace is how long Run reads output after the script exits. A
// process the script left running in the background may hold the output
// pipe open forever (DevStack's run_process without systemd does); Run
// waits for the script, not for the pipe's end.
const drainGrace = time.Second

// Run runs the script and returns its exit status (128+N when signal N
// ended it). The error is for what kept it from running or being watched.
// On cancellation the script's process group gets SIGTERM, then SIGKILL.
func (s Script) Run(ctx context.Context) (int, error) {
	watchFile := filepath.Join(s.WorkDir, "watch.bash")
	if err := os.WriteFile(watchFile, watch, 0o600); err != nil {
		return -1, err
	}
	events, err := os.CreateTemp(s.WorkDir, "events-"+s.Name+"-*.tsv")
	if err != nil {
		return -1, err
	}
	defer os.Remove(events.Name())
	defer events.Close()

	output := s.Output
	var secrets *secretChannel
	if s.Secret != nil && !secretsChannelOff {
		if secrets, err = openSecretChannel(s.WorkDir, s); err != nil {
			return -1, err
		}
		defer secrets.close()
		output = secrets.write
	}

	r, w, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	defer r.Close()
	gate, goAhead, err := os.Pipe()
	if err != nil {
		w.Close()
		return -1, err
	}
	defer goAhead.Close()
	cmd := exec.CommandContext(ctx, "./"+s.Name)
	cmd.Dir = s.Dir
	cmd.Env = append(append([]string(nil), s.Env...), "BASH_ENV="+watchFile, "STACKPLAN_EVENTS="+events.Name())
	if secrets != nil {
		cmd.Env = append(cmd.Env, "STACKPLAN_SECRETS="+secrets.dir)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// The gate: the watch reads "go" from descriptor 3 before the
	// script's first line, and exits if the pipe ends without it. Only
	// this process holds the write end (os.Pipe's descriptors are
	// close-on-exec; nothing else is passed it), so it ends when this
	// process dies, even by kill -9, and even where the SIGTERM of
	// Pdeathsig would not come (an ignored SIGTERM is inherited).
	cmd.ExtraFiles = []*os.File{gate}
	cmd.Env = append(cmd.Env, "STACKPLAN_GATE=3")
	// The script dies with stackplan (SIGTERM runs DevStack's exit trap),
	// and gets a process group of its own so that a cancellation reaches
	// what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = stopGrace
	err = cmd.Start()
	w.Close()    // the script holds the only write end now
	gate.Close() // and the only read end of the gate
	if err != nil {
		return -1, err
	}
	if s.Started != nil {
		s.Started(cmd.Process.Pid)
	}
	// A script that already died (a cancellation) no longer reads: the
	// write fails with EPIPE, which changes nothing.
	goAhead.WriteString("go\n")
	goAhead.Close()

	var wg sync.WaitGroup
	var secretsErr error
	if secrets != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secretsErr = secrets.serve()
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 && output != nil {
				output(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan struct{})
	var tailErr error
	go func() {
		defer wg.Done()
		tailErr = tail(events, exited, s.poll(), s.Event)
	}()

	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		// What a cancelled script left behind. After a script that ended
		// by itself, its background processes are DevStack's services.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	close(exited)
	r.SetReadDeadline(time.Now().Add(drainGrace))
	if secrets != nil {
		secrets.req.Close()
	}
	wg.Wait()

	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(waitErr, &exit):
		code = exit.ExitCode()
		if st, ok := exit.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			code = 128 + int(st.Signal())
		}
	case waitErr != nil:
		return -1, waitErr
	}
	if secretsErr != nil {
		return code, secretsErr
	}
	if tailErr != nil {
		return code, fmt.Errorf("reading DevStack's events: %w", tailErr)
	}
	return code, nil
}

func (s Script) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return 50 * time.Millisecond
}

// tail reads f as it grows and passes each complete line's event on, until
// exited is closed and everything written before has been read.
func tail(f *os.File, exited <-chan struct{}, poll time.Duration, emit func(Event)) error {
	var pending []byte
	buf := make([]byte, 16<<10)
	var firstErr error
	final := false
	for {
		n, err := f.Read(buf)
		if n > 0 {
			pending = append(pending, buf[:n]...)
			for {
				i := bytes.IndexByte(pending, '\n')
				if i < 0 {
					break
				}
				ev, perr := ParseEvent(string(pending[:i]))
				pending = pending[i+1:]
				switch {
				case perr != nil && firstErr == nil:
					firstErr = perr
				case perr == nil && emit != nil:
					emit(ev)
				}
			}
			continue
		}
		if err != nil && err != io.EOF {
			return err
		}
		select {
		case <-exited:
			// The script is gone: everything it wrote has been read once a
			// read after its exit finds nothing more.
			if final {
				return firstErr
			}
			final = true
		case <-time.After(poll):
		}
	}
}
