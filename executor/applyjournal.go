package executor

import (
	"fmt"

	"github.com/stackplan/stackplan/plan"
)

// The apply's use of the journal in DEST/.stackplan: what is done, what
// is running, and the first failure to record it. Every access holds
// applier.jmu: clone workers finish steps in parallel.

// journalError is the first failure to write the journal, as an error
// that says what it means for the next apply.
func (a *applier) journalError() error {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	if a.journalErr == nil {
		return nil
	}
	return fmt.Errorf("%w: writing the journal in %s failed: %v; the progress of this apply is not recorded, and the next apply would run its steps again", ErrJournal, a.state, a.journalErr)
}

func (a *applier) finished(selected []plan.Step) bool {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	for _, s := range selected {
		if _, ok := a.journal.Done[s.ID]; !ok {
			return false
		}
	}
	return true
}

// writeJournal writes the journal; the first failure is kept, and stops
// the apply (journalError).
func (a *applier) writeJournal() {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	a.journal.Updated = a.now()
	if err := a.journal.write(a.state); err != nil {
		a.logf("writing the journal: %v", err)
		if a.journalErr == nil {
			a.journalErr = err
		}
	}
}

func (a *applier) markDone(id string, code int, running string) error {
	a.jmu.Lock()
	if id != "" {
		a.journal.Done[id] = JournalStep{Finished: a.now(), ExitCode: code}
	}
	a.journal.Running = running
	a.jmu.Unlock()
	a.writeJournal()
	return a.journalError()
}

func (a *applier) setRunning(id string) error {
	a.jmu.Lock()
	a.journal.Running = id
	a.jmu.Unlock()
	a.writeJournal()
	return a.journalError()
}
