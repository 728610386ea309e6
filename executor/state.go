package executor

import (
	"crypto/rand"
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

// ReadJournal reads the journal in stateDir; a missing, unreadable or
// corrupt one gives an empty journal (apply itself refuses a corrupt one,
// see readJournal).
func ReadJournal(stateDir string) *Journal {
	j, err := readJournal(stateDir)
	if err != nil {
		return newJournal()
	}
	return j
}

func newJournal() *Journal {
	return &Journal{Version: journalVersion, Done: map[string]JournalStep{}, Commits: map[string]string{}}
}

// ErrCorruptJournal is wrapped by the error apply returns when the journal
// cannot be parsed: resuming from it, or silently starting over, could run
// finished steps again.
var ErrCorruptJournal = errors.New("the journal is corrupt")

// readJournal reads the journal in stateDir, never through a symbolic
// link. A missing journal is empty; one that is not a journal is an error.
func readJournal(stateDir string) (*Journal, error) {
	if stateDir == "" {
		return newJournal(), nil
	}
	root, err := openStateDir(stateDir)
	if errors.Is(err, os.ErrNotExist) {
		return newJournal(), nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(journalName, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return newJournal(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(stateDir, journalName), err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJournalSize))
	if err != nil {
		return nil, err
	}
	var got Journal
	if err := json.Unmarshal(data, &got); err != nil || got.Version != journalVersion {
		why := fmt.Sprintf("version %d, this stackplan writes %d", got.Version, journalVersion)
		if err != nil {
			why = err.Error()
		}
		return nil, fmt.Errorf("%s: %w (%s); remove it, or use --force to start over", filepath.Join(stateDir, journalName), ErrCorruptJournal, why)
	}
	if got.Done == nil {
		got.Done = map[string]JournalStep{}
	}
	if got.Commits == nil {
		got.Commits = map[string]string{}
	}
	return &got, nil
}

const (
	journalName    = "journal.json"
	lockName       = "lock"
	logsName       = "logs"
	maxJournalSize = 64 << 20
)

// makeStateDir creates DEST/.stackplan, refusing one that is a symbolic
// link or not a directory: the lock, the journal and the logs are never
// written outside DEST.
func makeStateDir(stateDir string) error {
	if err := os.MkdirAll(filepath.Dir(stateDir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(stateDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	root, err := openStateDir(stateDir)
	if err != nil {
		return err
	}
	return root.Close()
}

// openStateDir opens DEST/.stackplan as a root that nothing inside may
// leave through a symbolic link; DEST/.stackplan itself must be a real
// directory, checked again on the opened directory.
func openStateDir(stateDir string) (*os.Root, error) {
	st, err := os.Lstat(stateDir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory (a symbolic link?); stackplan keeps its state only in a real directory under DEST", stateDir)
	}
	root, err := os.OpenRoot(stateDir)
	if err != nil {
		return nil, err
	}
	if opened, err := root.Stat("."); err != nil || !os.SameFile(st, opened) {
		root.Close()
		return nil, fmt.Errorf("%s changed while it was opened", stateDir)
	}
	return root, nil
}

// writeFileNoFollow writes data to name in root atomically (a temporary
// file renamed over it), never through a symbolic link, and syncs it: an
// error (a full disk) is returned, not lost.
func writeFileNoFollow(root *os.Root, name string, data []byte, perm os.FileMode) error {
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := "." + name + ".tmp" + hex.EncodeToString(suffix[:])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
	}
	return err
}

func (j *Journal) write(stateDir string) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	root, err := openStateDir(stateDir)
	if err != nil {
		return err
	}
	defer root.Close()
	return writeFileNoFollow(root, journalName, append(data, '\n'), 0o600)
}

// heldLock is the destination's lock: an flock on DEST/.stackplan/lock.
// Its open file is inherited by the bash sessions and everything they
// start, so the kernel keeps the lock while any process of the apply runs,
// even after stackplan itself was killed; Unlock releases it for all of
// them at once. The holder writes who it is into the file, so that a
// second apply can name it.
type heldLock struct {
	f      *os.File
	holder lockHolder
}

func takeLock(stateDir string, now time.Time) (*heldLock, error) {
	root, err := openStateDir(stateDir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(lockName, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(stateDir, lockName), err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", filepath.Join(stateDir, lockName))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			var holder lockHolder
			if data, err := io.ReadAll(f); err == nil && json.Unmarshal(data, &holder) == nil && holder.PID != 0 {
				return nil, fmt.Errorf("%s: %w (pid %d on host %s, started %s)", stateDir, ErrLocked, holder.PID, holder.Host, holder.Started.Format(time.RFC3339))
			}
			return nil, fmt.Errorf("%s: %w (or a process it started still runs)", stateDir, ErrLocked)
		}
		return nil, err
	}
	if err := scriptGroupStillRuns(f, stateDir); err != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, err
	}
	host, _ := os.Hostname()
	l := &heldLock{f: f, holder: lockHolder{PID: os.Getpid(), Host: host, Started: now.UTC()}}
	l.write()
	return l, nil
}

// Unlock releases the lock, also for the processes that inherited it.
func (l *heldLock) Unlock() {
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

// lockHolder is what the lock file says about the apply holding it.
type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	// ScriptGroup is the process group of the DevStack script that runs
	// (apply --devstack), while it runs: see scriptgroup.go.
	ScriptGroup int `json:"script_group,omitempty"`
}
