package git

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// A plan-time fetch (plan and lint --fetch: a Request with MaxBytes) may
// reach a hostile server. go-git reads such a server with bounded memory
// (MaxAdvertisement), but where git's own program fetches (ssh, URLs the
// user's url.<base>.insteadOf rewrites, http(s) with http.* settings: see
// Auto), a server that floods it with refs or pack data grows git's heap
// until the timeout. Every git process started for such a fetch therefore
// runs under a data-segment limit (RLIMIT_DATA), which every process git
// starts (git-remote-https, index-pack, ssh) inherits.
//
// RLIMIT_DATA counts the heap and every private writable mapping
// (malloc's arenas, thread stacks) but not git's read-only mmaps of pack
// files, so it bounds what a server can make git allocate without failing
// a clone merely for the size of its packs, as RLIMIT_AS would.

// FetchMemoryLimit is the data-segment limit of each git process a
// plan-time fetch starts. A shallow clone of nova, the largest OpenStack
// project, peaks at 84 MB of resident memory (git clone --depth 1 and the
// processes it starts), and succeeds under half this limit.
const FetchMemoryLimit = 256 << 20

// ErrMemoryLimit is wrapped by the error of a git process that ran out of
// memory under FetchMemoryLimit.
var ErrMemoryLimit = fmt.Errorf("git reached the memory limit of a plan-time fetch (%d MiB per git process)", FetchMemoryLimit>>20)

type memoryLimitKey struct{}

// withMemoryLimit returns a context under which every git process runs
// with a data-segment limit of limit bytes.
func withMemoryLimit(ctx context.Context, limit int64) context.Context {
	return context.WithValue(ctx, memoryLimitKey{}, limit)
}

// memoryLimit is the data-segment limit of git processes under ctx; 0
// means none.
func memoryLimit(ctx context.Context) int64 {
	limit, _ := ctx.Value(memoryLimitKey{}).(int64)
	return limit
}

// limitDataSegment makes cmd run its program under a data-segment limit
// of limit bytes.
//
// Go's os/exec cannot set a resource limit on a child. Setting it on
// stackplan itself around the fork would bound stackplan's other
// goroutines too (a limit is per process), and prlimit(2) after Start
// leaves a window in which git runs, and may start helpers, unbounded. So
// the command starts /bin/sh (by absolute path, never PATH's), which sets
// the limit on itself and then execs the program in its place: the limit
// holds from the program's first instruction, its process id is the one
// cmd started, and signals and Pdeathsig reach it as before. A hard limit
// already at or below limit is left as it is.
func limitDataSegment(cmd *exec.Cmd, limit int64) {
	if cmd.Err != nil {
		return
	}
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_DATA, &cur); err == nil && cur.Max <= uint64(limit) {
		return
	}
	// ulimit -d takes KiB, and sets the soft and the hard limit.
	script := `ulimit -d "$1" || exit 127; shift; exec "$@"`
	cmd.Args = append([]string{"sh", "-c", script, "sh", strconv.FormatInt(limit>>10, 10), cmd.Path}, cmd.Args[1:]...)
	cmd.Path = "/bin/sh"
}

// outOfMemory reports whether git's last words (a process it started
// included) say that an allocation failed: git dies with "Out of memory,
// malloc failed" or "mmap failed: Cannot allocate memory".
func outOfMemory(stderr string) bool {
	s := strings.ToLower(stderr)
	return strings.Contains(s, "out of memory") || strings.Contains(s, "cannot allocate memory")
}
