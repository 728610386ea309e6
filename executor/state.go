package executor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
)

// StateDirName is the directory under DEST that holds the journal, the
// lock and the logs.
const StateDirName = ".stackplan"

// journalVersion is the journal's format; another version is ignored.
const journalVersion = 1

// Journal records an apply's progress under DEST/.stackplan/journal.json.
// It is rewritten atomically after every step.
type Journal struct {
	Version int `json:"version"`
	// PlanDigest is the sha256 of the plan file's JSON; a journal of another
	// plan is not resumed.
	PlanDigest string    `json:"plan_digest"`
	Started    time.Time `json:"started"`
	Updated    time.Time `json:"updated"`
	// Done holds the finished steps by ID.
	Done map[string]JournalStep `json:"done"`
	// Commits is the commit each plugin's checkout ended at.
	Commits map[string]string `json:"commits,omitempty"`
	// Running is the step that was running when the journal was written,
	// left set when an apply was killed.
	Running string `json:"running,omitempty"`
}

// JournalStep is one finished step.
type JournalStep struct {
	Finished time.Time `json:"finished"`
	ExitCode int       `json:"exit_code,omitempty"`
}

func planDigest(p *plan.Plan) (string, error) {
	data, err := planfile.Marshal(p)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// ReadJournal reads the journal in stateDir; a missing or unreadable one
// gives an empty journal.
func ReadJournal(stateDir string) *Journal {
	j := &Journal{Version: journalVersion, Done: map[string]JournalStep{}, Commits: map[string]string{}}
	data, err := os.ReadFile(filepath.Join(stateDir, "journal.json"))
	if err != nil {
		return j
	}
	var got Journal
	if json.Unmarshal(data, &got) != nil || got.Version != journalVersion {
		return j
	}
	if got.Done == nil {
		got.Done = map[string]JournalStep{}
	}
	if got.Commits == nil {
		got.Commits = map[string]string{}
	}
	return &got
}

func (j *Journal) write(stateDir string) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return planfile.WriteFileAtomic(filepath.Join(stateDir, "journal.json"), append(data, '\n'), 0o600)
}

// lock takes the destination's lock (flock on DEST/.stackplan/lock); the
// kernel releases it if the process dies. The holder writes who it is into
// the file, so that a second apply can name it.
func lock(stateDir string, now time.Time) (func(), error) {
	f, err := os.OpenFile(filepath.Join(stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			var holder lockHolder
			if data, err := io.ReadAll(f); err == nil && json.Unmarshal(data, &holder) == nil && holder.PID != 0 {
				return nil, fmt.Errorf("%s: %w (pid %d on host %s, started %s)", stateDir, ErrLocked, holder.PID, holder.Host, holder.Started.Format(time.RFC3339))
			}
			return nil, fmt.Errorf("%s: %w", stateDir, ErrLocked)
		}
		return nil, err
	}
	host, _ := os.Hostname()
	data, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Started: now.UTC()})
	if f.Truncate(0) == nil {
		f.WriteAt(append(data, '\n'), 0)
	}
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// lockHolder is what the lock file says about the apply holding it.
type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}
