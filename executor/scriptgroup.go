package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// A DevStack script (apply --devstack) does not inherit the lock's open
// file: DevStack's services would keep it, and so the lock, forever. The
// script runs in a process group of its own instead, and the lock file
// records that group while the script runs. If stackplan is killed, the
// script gets SIGTERM, but what it started may run on in the group: a
// later apply treats the lock as held while the group has a live member.
// Services that leave the group (systemd starts them on a real host, or
// setsid) do not hold it. When the script ends while stackplan watches,
// the record is cleared: what it left running are DevStack's services.

// recordScriptGroup writes the running script's process group into the
// lock file.
func (l *heldLock) recordScriptGroup(pgid int) {
	l.holder.ScriptGroup = pgid
	l.write()
}

// clearScriptGroup forgets the script's process group once it ended.
func (l *heldLock) clearScriptGroup() {
	l.holder.ScriptGroup = 0
	l.write()
}

// write puts the holder into the lock file, for a second apply to read.
func (l *heldLock) write() {
	data, _ := json.Marshal(l.holder)
	if l.f.Truncate(0) == nil {
		l.f.WriteAt(append(data, '\n'), 0)
	}
}

// scriptGroupStillRuns reads, from a lock file whose flock was free, the
// holder a killed apply left, and refuses while the process group of its
// DevStack script still has a member on this host.
func scriptGroupStillRuns(f *os.File, stateDir string) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	var last lockHolder
	if json.Unmarshal(data, &last) != nil || last.ScriptGroup <= 0 {
		return nil
	}
	if host, _ := os.Hostname(); last.Host != host || !groupAlive(last.ScriptGroup) {
		return nil
	}
	return fmt.Errorf("%s: %w: the apply of pid %d (started %s) was killed, but processes of its DevStack script still run (process group %d; stop them with kill -TERM -- -%d)",
		stateDir, ErrLocked, last.PID, last.Started.Format("2006-01-02T15:04:05Z07:00"), last.ScriptGroup, last.ScriptGroup)
}

// groupAlive tells whether process group pgid has a member. EPERM means
// it has one that belongs to another user.
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
