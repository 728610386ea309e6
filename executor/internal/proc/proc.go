// Package proc holds how stackplan starts the processes of an apply (bash
// sessions and git), so that none outlives stackplan.
package proc

import "syscall"

// Attr puts a child in its own process group, so that cancelling kills
// its helpers too, and has the kernel kill it when stackplan dies, even
// by kill -9: a git that went on would re-create its temporary clone
// after the next apply removed it, a bash would go on with a step that
// the next apply starts again.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
