package executor

import (
	"sync"
	"time"

	"github.com/stackplan/stackplan/plan"
)

// Hooks receives progress. Apply calls the methods of one Hooks from one
// goroutine at a time, so implementations need no locking. They must not
// block for long: the plugins' output waits for StepOutput.
type Hooks interface {
	// CloneProgress reports each plugin's clone: start, progress lines,
	// done (with the commit) or failed.
	CloneProgress(CloneEvent)
	// StepStart reports a step (or the replay of a localrc,
	// override-defaults or settings step before a resumed phase) starting.
	StepStart(StepEvent)
	// StepOutput carries the plugins' stdout and stderr, secrets masked.
	StepOutput(OutputEvent)
	// StepComplete reports a step that succeeded (or, in unstack and
	// clean, that failed and was passed over as DevStack does: ExitCode
	// is then non-zero).
	StepComplete(StepEvent)
	// StepFailed reports a step that failed and stopped the apply.
	StepFailed(StepEvent)
	// StepSkipped reports a step not run: done in the journal, outside the
	// selection, or every step of a dry run (Reason says which).
	StepSkipped(StepEvent)
	// ScriptStart and ScriptEnd report each DevStack script (with
	// Options.DevstackDir), around the steps it runs.
	ScriptStart(ScriptEvent)
	ScriptEnd(ScriptEvent)
	// Summary is called once, at the end, with per-step timing.
	Summary(Summary)
}

// NopHooks ignores everything; embed it to implement only some methods.
type NopHooks struct{}

func (NopHooks) CloneProgress(CloneEvent) {}
func (NopHooks) StepStart(StepEvent)      {}
func (NopHooks) StepOutput(OutputEvent)   {}
func (NopHooks) StepComplete(StepEvent)   {}
func (NopHooks) StepFailed(StepEvent)     {}
func (NopHooks) StepSkipped(StepEvent)    {}
func (NopHooks) ScriptStart(ScriptEvent)  {}
func (NopHooks) ScriptEnd(ScriptEvent)    {}
func (NopHooks) Summary(Summary)          {}

// CloneStage is where a plugin's clone is.
type CloneStage string

const (
	CloneStart    CloneStage = "start"
	CloneProgress CloneStage = "progress"
	CloneDone     CloneStage = "done"
	CloneFailed   CloneStage = "failed"
)

// CloneEvent is one clone report.
type CloneEvent struct {
	StepID  string
	Plugin  string
	Dir     string
	Stage   CloneStage
	Message string // a progress line (CloneProgress)
	Result  *CloneResult
	Err     error
	Time    time.Time
}

// StepEvent is one step report.
type StepEvent struct {
	Step plan.Step
	// Index and Total count the steps selected to run (replays excluded).
	Index, Total int
	// Replay is set when the step is re-sourced only to rebuild the bash
	// session's state before a resumed or selected later step.
	Replay bool
	// Reason says why a step was skipped.
	Reason   string
	Start    time.Time
	End      time.Time
	ExitCode int
	Err      error
	// Target is the expanded file of a merge step.
	Target string
}

// Duration is End - Start.
func (e StepEvent) Duration() time.Duration { return e.End.Sub(e.Start) }

// OutputEvent is a piece of the plugins' output: whole lines, except at the
// end of a process.
type OutputEvent struct {
	StepID string
	Stream string // "stdout" or "stderr"
	Data   []byte
}

// Summary ends an apply.
type Summary struct {
	Start, End time.Time
	Steps      []StepResult
	Clones     []CloneResult
	Scripts    []ScriptResult
	LogFile    string
	DryRun     bool
	// NoChanges is set when the journal says every selected step is done,
	// so nothing ran (ErrAlreadyApplied, which is not an error here).
	NoChanges bool
	Err       error
}

// syncHooks serialises calls from the clone workers and output readers.
type syncHooks struct {
	mu sync.Mutex
	h  Hooks
}

func (s *syncHooks) CloneProgress(e CloneEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.CloneProgress(e)
}
func (s *syncHooks) StepStart(e StepEvent)     { s.mu.Lock(); defer s.mu.Unlock(); s.h.StepStart(e) }
func (s *syncHooks) StepOutput(e OutputEvent)  { s.mu.Lock(); defer s.mu.Unlock(); s.h.StepOutput(e) }
func (s *syncHooks) StepComplete(e StepEvent)  { s.mu.Lock(); defer s.mu.Unlock(); s.h.StepComplete(e) }
func (s *syncHooks) StepFailed(e StepEvent)    { s.mu.Lock(); defer s.mu.Unlock(); s.h.StepFailed(e) }
func (s *syncHooks) StepSkipped(e StepEvent)   { s.mu.Lock(); defer s.mu.Unlock(); s.h.StepSkipped(e) }
func (s *syncHooks) ScriptStart(e ScriptEvent) { s.mu.Lock(); defer s.mu.Unlock(); s.h.ScriptStart(e) }
func (s *syncHooks) ScriptEnd(e ScriptEvent)   { s.mu.Lock(); defer s.mu.Unlock(); s.h.ScriptEnd(e) }
func (s *syncHooks) Summary(e Summary)         { s.mu.Lock(); defer s.mu.Unlock(); s.h.Summary(e) }
