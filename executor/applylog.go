package executor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The apply's log file: DEST/.stackplan/logs/apply-*.log (or --log-dir),
// written under applier.logMu.

func (a *applier) openLog() error {
	pattern := "apply-" + a.now().UTC().Format("20060102T150405") + "-*.log"
	if dir := a.opts.LogDir; dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return err
		}
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return err
		}
		a.log, a.res.LogFile = f, f.Name()
		return nil
	}
	// DEST/.stackplan/logs: never through a symbolic link.
	root, err := openStateDir(a.state)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Mkdir(logsName, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if st, err := root.Lstat(logsName); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory (a symbolic link?); stackplan writes its logs only under DEST", filepath.Join(a.state, logsName))
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	name := filepath.Join(logsName, strings.Replace(pattern, "*", hex.EncodeToString(suffix[:]), 1))
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	a.log, a.res.LogFile = f, filepath.Join(a.state, name)
	return nil
}

// closeLog closes the apply's log file; an apply that returned holds no
// file open under the destination.
func (a *applier) closeLog() {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	if f, ok := a.log.(*os.File); ok {
		f.Close()
	}
	a.log = nil
}

func (a *applier) logf(format string, args ...any) {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	if a.log != nil {
		fmt.Fprintf(a.log, "[stackplan %s] "+format+"\n", append([]any{a.now().UTC().Format(time.RFC3339)}, args...)...)
	}
}
