package executor

import (
	"errors"
	"time"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Options control an apply. The zero value applies the stack lifecycle
// (clones included) with four clone workers.
type Options struct {
	// Parallel is the number of clone workers (--parallel); 0 means 4.
	Parallel int
	// Reclone (RECLONE=yes, --reclone) moves existing checkouts to their ref.
	Reclone bool
	// Offline (OFFLINE=True) requires every checkout to exist.
	Offline bool
	// ErrorOnClone (ERROR_ON_CLONE=True) forbids new clones.
	ErrorOnClone bool
	// GitDepth (GIT_DEPTH) makes clones shallow: that many commits of the ref.
	GitDepth int
	// Force applies a plan the journal says is finished, ignores the
	// journal, and accepts checkouts that moved since the plan or the
	// journal recorded them.
	Force bool
	// DryRun reports what would run (through Hooks.StepSkipped with Reason
	// "dry run") and changes nothing: no clone, no bash, no lock, no journal.
	DryRun bool
	// Only is "" for everything or "clone" for the clone stage alone.
	Only string
	// Lifecycles to apply, in plan order; empty means stack only.
	Lifecycles []plan.Lifecycle
	// Step runs just that step (after re-sourcing the localrc,
	// override-defaults and settings steps before it in its lifecycle).
	Step string
	// From and To bound the steps run, by ID, both included.
	From, To string
	// Dest, when set, replaces the plan's DEST (--dest): every plugin is
	// checked out at Dest/NAME, and the journal and lock live in Dest.
	Dest string
	// DevstackDir is the DevStack checkout to stack with (--devstack):
	// after the clone stage its own stack.sh, unstack.sh and clean.sh run,
	// unmodified, and apply watches them. Without it, apply is
	// plugin-development mode: the plugins' hooks alone, in bash sessions
	// of its own, with no DevStack runtime.
	DevstackDir string
	// LocalConf is the local.conf the plan was compiled from, which
	// DevStack must read from DevstackDir (required with DevstackDir).
	LocalConf []byte
	// Redactor masks the secrets the configuration holds, from the first
	// byte of output; nil masks only what apply learns as it runs.
	Redactor *schema.Redactor
	// LogDir receives one log file per apply; "" means DEST/.stackplan/logs.
	LogDir string
	// Env is the environment of the bash sessions; nil means this process's.
	Env []string
	// Cloner does the git work; nil means a *git.Auto (with CacheDir's
	// object cache when set).
	Cloner git.Cloner
	// CacheDir, when set, holds the object cache (--cache-dir): a mirror
	// per URL that new clones start from, fetching only what is new.
	CacheDir string
	// CloneProgress asks git for progress lines ("Receiving objects: 42%"),
	// reported as CloneEvents of stage CloneProgress. Servers then do more
	// work and send more, which costs 4% of 20 small clones: set it only
	// when something shows the lines.
	CloneProgress bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Status is what happened to a step.
type Status string

const (
	StatusDone     Status = "done"
	StatusFailed   Status = "failed"   // stopped the apply
	StatusIgnored  Status = "ignored"  // failed in unstack or clean, passed over as DevStack does
	StatusSkipped  Status = "skipped"  // done in the journal, or not selected
	StatusDryRun   Status = "dry-run"  // would run
	StatusReplayed Status = "replayed" // re-sourced to rebuild state
)

// StepResult is one step's outcome and timing.
type StepResult struct {
	ID       string
	Status   Status
	Start    time.Time
	End      time.Time
	ExitCode int
	Reason   string
	// Target is the expanded file of a merge step.
	Target string
	Err    string
}

// CloneResult is one plugin's checkout.
type CloneResult struct {
	StepID string
	Plugin string
	Dir    string
	URL    string
	Ref    string
	// Commit is the commit the checkout ended at.
	Commit string
	// Action is "cloned", "kept", "updated" or "offline".
	Action git.Action
	// Cloner is "git", "go-git" or git.HandedOff when something was fetched.
	Cloner string
	// History is "blobless", "full" or "shallow" when something was fetched.
	History git.History
	// Notes say how the clone fetched: a server refusing partial clones,
	// what the object cache gave.
	Notes []string
	Start time.Time
	End   time.Time
}

// Result is what Apply did.
type Result struct {
	Steps  []StepResult
	Clones []CloneResult
	// Scripts are the DevStack scripts run (with DevstackDir).
	Scripts []ScriptResult
	LogFile string
	// Finished is set when every step of the applied lifecycles is done.
	Finished bool
}

// ErrAlreadyApplied is returned, with nothing done, when the journal says
// the plan's selected lifecycles were already applied; Force applies again.
// A CLI should report it and exit successfully.
var ErrAlreadyApplied = errors.New("this plan was already applied to this destination (use --force to apply it again)")

// OptionsError is a selection the plan cannot satisfy (--only, --step,
// --from, --to): a usage error, reported before anything runs and without
// a Summary.
type OptionsError struct{ Err error }

func (e *OptionsError) Error() string { return e.Err.Error() }
func (e *OptionsError) Unwrap() error { return e.Err }

// ErrJournal is wrapped by the error of an apply that could not write its
// journal (a full disk): it stops at once rather than run steps it cannot
// record.
var ErrJournal = errors.New("the journal cannot be written")

// ErrLocked is returned when another apply holds the destination's lock.
var ErrLocked = errors.New("another stackplan apply is running on this destination")

// ErrStale is returned when a checkout is not at the commit the plan or
// the journal recorded.
var ErrStale = errors.New("stale plan")

// StepError is a failed step. Its message names the step and the plugin.
type StepError struct {
	StepID   string
	Plugin   string
	ExitCode int
	Err      error
}

func (e *StepError) Error() string {
	who := "step " + e.StepID
	if e.Plugin != "" {
		who += " (plugin " + e.Plugin + ")"
	}
	return who + ": " + e.Err.Error()
}

func (e *StepError) Unwrap() error { return e.Err }
