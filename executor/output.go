package executor

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Output of the bash sessions: buffered to whole lines, held back while a
// step may still define secrets, masked, then written to the log and the
// hooks. The buffers are guarded by applier.curMu (the session's stdout and
// stderr readers run concurrently with the driver).

// heldOutput is output kept back while a step may still define secrets.
type heldOutput struct {
	id, stream string
	data       []byte
}

// holdOutput starts keeping output back, or stops and emits what was kept,
// masked with the secrets known by then.
func (a *applier) holdOutput(on bool) {
	a.curMu.Lock()
	a.holding = on
	held := a.held
	a.held = nil
	a.curMu.Unlock()
	for _, h := range held {
		a.emit(h.id, h.stream, h.data)
	}
}

func (a *applier) setCurrent(id string) {
	a.curMu.Lock()
	a.curStep = id
	a.curMu.Unlock()
}

// output receives the session's stdout and stderr: complete lines go, with
// secrets masked, to the log and the hooks.
func (a *applier) output(stream string, data []byte) {
	a.curMu.Lock()
	ready := a.completeLines(stream, data)
	id := a.curStep
	if a.holding && len(ready) > 0 {
		a.held = append(a.held, heldOutput{id, stream, ready})
		ready = nil
	}
	a.curMu.Unlock()
	if len(ready) > 0 {
		a.emit(id, stream, ready)
	}
}

// completeLines adds data to what a stream has pending and returns the
// complete lines, keeping the rest: a secret is masked only when whole.
// curMu must be held.
func (a *applier) completeLines(stream string, data []byte) []byte {
	buf := append(a.pending[stream], data...)
	cut := bytes.LastIndexByte(buf, '\n') + 1
	a.pending[stream] = append([]byte(nil), buf[cut:]...)
	return buf[:cut]
}

func (a *applier) flushOutput() {
	a.curMu.Lock()
	id := a.curStep
	var out [][2]string
	for _, stream := range []string{"stdout", "stderr"} {
		if b := a.pending[stream]; len(b) > 0 {
			if a.holding {
				a.held = append(a.held, heldOutput{id, stream, b})
			} else {
				out = append(out, [2]string{stream, string(b)})
			}
			a.pending[stream] = nil
		}
	}
	a.curMu.Unlock()
	for _, o := range out {
		a.emit(id, o[0], []byte(o[1]))
	}
}

func (a *applier) emit(id, stream string, data []byte) {
	masked := []byte(a.mask(string(data)))
	a.logMu.Lock()
	if a.log != nil {
		a.log.Write(masked)
	}
	a.logMu.Unlock()
	a.hooks.StepOutput(OutputEvent{StepID: id, Stream: stream, Data: masked})
}

// mask hides the configuration's secrets and those apply learnt.
func (a *applier) mask(s string) string {
	return a.opts.Redactor.Redact(a.red.redact(s))
}

// redactor masks secret values.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

func (r *redactor) add(v string) {
	if len(v) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.secrets, v) {
		return
	}
	r.secrets = append(r.secrets, v)
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	return s
}
