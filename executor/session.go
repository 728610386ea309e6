package executor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stackplan/stackplan/executor/internal/proc"
)

// driver is the bash program of a session. It reads commands as
// NUL-terminated fields from the descriptor stackplan passes as 3 and
// replies on the one passed as 4; both are moved above 9 and closed for
// every file the plugins source, and fd 3 becomes a copy of stdout as in
// stack.sh. The destination's lock, passed as 5, is moved above 9 and
// stays open in bash and everything it starts (see heldLock). Ops:
//
//	text ID TEXT          source TEXT at top level (localrc, the prelude)
//	file ID PATH N ARGS   source PATH with ARGS inside a function, as run_phase does
//	vars ID N NAMES       reply with the values of variables (NAME or NAME[KEY])
//	names ID              reply with the names of all variables
//	errexit ID            set -o errexit, as stack.sh does after stackrc
const driver = `exec {__sp_in}<&3 {__sp_out}>&4 4>&- 3>&1 {__sp_lock}<&5 5<&-
__sp_read() { IFS= read -r -d '' -u "$__sp_in" "$1"; }
__sp_reply() { printf '%s\0' "$@" >&"$__sp_out"; }
__sp_source() { local __sp_f=$1; shift; source "$__sp_f" "$@"; }
__sp_sync() { printf '\0stackplan-sync:%s\0' "$1"; printf '\0stackplan-sync:%s\0' "$1" >&2; }
while __sp_read __sp_op; do
  __sp_read __sp_id
  case $__sp_op in
  text)
    __sp_read __sp_text
    source <(printf '%s\n' "$__sp_text") {__sp_in}<&- {__sp_out}>&- </dev/null
    __sp_rc=$?
    unset __sp_text
    __sp_sync "$__sp_id"
    __sp_reply done "$__sp_id" "$__sp_rc" ;;
  file)
    __sp_read __sp_file; __sp_read __sp_n; __sp_args=()
    for ((__sp_i = 0; __sp_i < __sp_n; __sp_i++)); do __sp_read __sp_a; __sp_args+=("$__sp_a"); done
    __sp_source "$__sp_file" "${__sp_args[@]}" {__sp_in}<&- {__sp_out}>&- </dev/null
    __sp_rc=$?
    __sp_sync "$__sp_id"
    __sp_reply done "$__sp_id" "$__sp_rc" ;;
  vars)
    __sp_read __sp_n; __sp_vals=()
    for ((__sp_i = 0; __sp_i < __sp_n; __sp_i++)); do __sp_read __sp_a; __sp_vals+=("${!__sp_a-}"); done
    __sp_reply vals "$__sp_id" "${#__sp_vals[@]}" "${__sp_vals[@]}" ;;
  names)
    mapfile -t __sp_vals < <(compgen -v)
    __sp_reply vals "$__sp_id" "${#__sp_vals[@]}" "${__sp_vals[@]}" ;;
  errexit)
    set -o errexit
    __sp_reply done "$__sp_id" 0 ;;
  esac
done
`

// session is one long-lived bash process.
type session struct {
	cmd     *exec.Cmd
	ctrl    *os.File
	records chan []string
	exited  chan struct{}
	waitErr error
	outWG   sync.WaitGroup
	outR    []*os.File
	seq     int
	// synced receives, per output stream, the op IDs whose sync marker the
	// stream has passed: everything the op printed before it was delivered.
	synced [2]chan string
}

// errShellExited is returned when bash ended during a step.
type errShellExited struct {
	code int
	sig  syscall.Signal
}

func (e *errShellExited) Error() string {
	if e.sig != 0 {
		return fmt.Sprintf("bash was killed by %v", e.sig)
	}
	return fmt.Sprintf("exit status %d (the shell ended)", e.code)
}

// startSession starts bash. output receives its stdout and stderr. lock,
// when given, is the destination's lock file, which bash inherits.
func startSession(ctx context.Context, env []string, dir string, output func(stream string, data []byte), lock ...*os.File) (*session, error) {
	ctrlR, ctrlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	statR, statW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", driver, "bash")
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, outW, errW
	held := devnull // fd 5 is always open, so the driver can move it
	if len(lock) > 0 && lock[0] != nil {
		held = lock[0]
	}
	cmd.ExtraFiles = []*os.File{ctrlR, statW, held}
	cmd.SysProcAttr = proc.Attr()
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{ctrlR, ctrlW, statR, statW, outR, outW, errR, errW, devnull} {
			f.Close()
		}
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	for _, f := range []*os.File{ctrlR, statW, outW, errW, devnull} {
		f.Close()
	}
	s := &session{cmd: cmd, ctrl: ctrlW, records: make(chan []string, 4), exited: make(chan struct{}), outR: []*os.File{outR, errR}}
	for i, r := range s.outR {
		stream := []string{"stdout", "stderr"}[i]
		s.synced[i] = make(chan string, 16)
		s.outWG.Add(1)
		go func() {
			defer s.outWG.Done()
			s.readOutput(r, stream, s.synced[i], output)
		}()
	}
	go s.readRecords(statR)
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.kill()
		case <-s.exited:
		}
	}()
	return s, nil
}

// syncMarker is what the driver prints on stdout and stderr after each
// sourced step, so that output is attributed to the step that printed it.
const syncMarker = "\x00stackplan-sync:"

// readOutput passes a stream's data to output, cutting out the sync
// markers and reporting each one's op ID on synced.
func (s *session) readOutput(r io.Reader, stream string, synced chan<- string, output func(string, []byte)) {
	buf := make([]byte, 32<<10)
	var carry []byte
	for {
		n, err := r.Read(buf)
		carry = append(carry, buf[:n]...)
		for {
			i := strings.Index(string(carry), syncMarker)
			if i < 0 {
				break
			}
			end := strings.IndexByte(string(carry[i+len(syncMarker):]), 0)
			if end < 0 {
				break // the marker's ID is still to come
			}
			if i > 0 {
				output(stream, carry[:i])
			}
			id := string(carry[i+len(syncMarker) : i+len(syncMarker)+end])
			carry = append([]byte(nil), carry[i+len(syncMarker)+end+1:]...)
			select {
			case synced <- id:
			default: // nobody waits (a reply already timed out); drop it
			}
		}
		// Hold back only what may be the start of a marker.
		keep := 0
		if j := strings.LastIndexByte(string(carry), 0); j >= 0 && strings.HasPrefix(syncMarker, string(carry[j:min(len(carry), j+len(syncMarker))])) {
			keep = len(carry) - j
		}
		if len(carry)-keep > 0 {
			output(stream, append([]byte(nil), carry[:len(carry)-keep]...))
			carry = append([]byte(nil), carry[len(carry)-keep:]...)
		}
		if err != nil {
			if len(carry) > 0 {
				output(stream, carry)
			}
			return
		}
	}
}

// awaitSync waits until both output streams have delivered everything op
// id printed. A plugin that redirected its own stdout or stderr never
// shows the marker there, so the wait is bounded.
func (s *session) awaitSync(ctx context.Context, id string) {
	timeout := time.NewTimer(time.Second)
	defer timeout.Stop()
	for _, ch := range s.synced {
		for waiting := true; waiting; {
			select {
			case got := <-ch:
				waiting = got != id
			case <-timeout.C:
				return
			case <-ctx.Done():
				return
			case <-s.exited:
				return
			}
		}
	}
}

func (s *session) kill() {
	if s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (s *session) readRecords(r *os.File) {
	defer close(s.records)
	defer r.Close()
	br := bufio.NewReader(r)
	field := func() (string, bool) {
		b, err := br.ReadString(0)
		if err != nil {
			return "", false
		}
		return strings.TrimSuffix(b, "\x00"), true
	}
	for {
		kind, ok := field()
		if !ok {
			return
		}
		id, ok1 := field()
		rec := []string{kind, id}
		switch kind {
		case "done":
			v, ok2 := field()
			if !ok1 || !ok2 {
				return
			}
			rec = append(rec, v)
		case "vals":
			ns, ok2 := field()
			n, err := strconv.Atoi(ns)
			if !ok1 || !ok2 || err != nil {
				return
			}
			for range n {
				v, ok := field()
				if !ok {
					return
				}
				rec = append(rec, v)
			}
		default:
			return
		}
		s.records <- rec
	}
}

func (s *session) send(fields ...string) error {
	var b strings.Builder
	for _, f := range fields {
		if strings.IndexByte(f, 0) >= 0 {
			return errors.New("a NUL byte cannot be passed to bash")
		}
		b.WriteString(f)
		b.WriteByte(0)
	}
	_, err := io.WriteString(s.ctrl, b.String())
	return err
}

// call sends one op and waits for its reply.
func (s *session) call(ctx context.Context, op string, args ...string) ([]string, error) {
	s.seq++
	id := strconv.Itoa(s.seq)
	if err := s.send(append([]string{op, id}, args...)...); err != nil {
		return nil, s.exitError(ctx)
	}
	for {
		select {
		case rec, ok := <-s.records:
			if !ok {
				return nil, s.exitError(ctx)
			}
			if rec[1] != id {
				continue
			}
			return rec, nil
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		}
	}
}

func (s *session) exitError(ctx context.Context) error {
	select {
	case <-s.exited:
	case <-ctx.Done():
		s.kill()
		<-s.exited
		return ctx.Err()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &errShellExited{sig: ws.Signal()}
		}
		return &errShellExited{code: ee.ExitCode()}
	}
	return &errShellExited{code: 0}
}

// status runs an op that replies "done ID STATUS" and returns STATUS.
func (s *session) status(ctx context.Context, op string, args ...string) (int, error) {
	rec, err := s.call(ctx, op, args...)
	if err != nil {
		return -1, err
	}
	if rec[0] != "done" {
		return -1, fmt.Errorf("unexpected reply %q", rec[0])
	}
	if op == "text" || op == "file" {
		s.awaitSync(ctx, rec[1])
	}
	code, err := strconv.Atoi(rec[2])
	if err != nil {
		return -1, fmt.Errorf("bad status %q", rec[2])
	}
	return code, nil
}

func (s *session) sourceText(ctx context.Context, text string) (int, error) {
	return s.status(ctx, "text", text)
}

func (s *session) sourceFile(ctx context.Context, path string, args ...string) (int, error) {
	return s.status(ctx, "file", append([]string{path, strconv.Itoa(len(args))}, args...)...)
}

func (s *session) errexit(ctx context.Context) error {
	_, err := s.status(ctx, "errexit")
	return err
}

func (s *session) vars(ctx context.Context, names []string) ([]string, error) {
	rec, err := s.call(ctx, "vars", append([]string{strconv.Itoa(len(names))}, names...)...)
	if err != nil {
		return nil, err
	}
	if rec[0] != "vals" || len(rec)-2 != len(names) {
		return nil, errors.New("bad reply to vars")
	}
	return rec[2:], nil
}

func (s *session) names(ctx context.Context) ([]string, error) {
	rec, err := s.call(ctx, "names")
	if err != nil {
		return nil, err
	}
	return rec[2:], nil
}

// close ends the session: EOF on the command pipe ends the driver loop.
// Output still held open by daemons the plugins started is read for a
// moment and then abandoned.
func (s *session) close() error {
	s.ctrl.Close()
	<-s.exited
	for _, r := range s.outR {
		r.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	}
	s.outWG.Wait()
	for _, r := range s.outR {
		r.Close()
	}
	return nil
}
