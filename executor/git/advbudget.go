package git

import (
	"fmt"
	"runtime"
	"sync"
)

// Each remote go-git lists may advertise MaxAdvertisement bytes of refs,
// and go-git keeps what it decoded of them (about 175 MB for 64 MiB): with
// plan --online-parallel 8, eight flooding remotes held 1.4 GB at once.
// advertisementBudget bounds the whole process instead: the bytes of every
// advertisement being read, over http(s), git:// and ssh, are charged to it
// until that advertisement is over (go-git asked for a pack, or closed the
// session or the response), and a read past it fails.

// MaxAdvertisements is the most bytes of refs the remotes being listed at
// the same time may have advertised together. It is twice
// MaxAdvertisement: one remote that floods never makes the others fail
// unless they advertise more than MaxAdvertisement between them.
const MaxAdvertisements = 2 * MaxAdvertisement

// ErrAdvertisementsTooLarge is returned when the remotes being listed at
// the same time advertise more than MaxAdvertisements bytes of refs.
var ErrAdvertisementsTooLarge = fmt.Errorf("the remotes listed at the same time advertise more than %d MiB of refs together", MaxAdvertisements>>20)

// advertisementBudget is the process's account of advertisement bytes.
var advertisementBudget = &byteBudget{max: MaxAdvertisements}

// byteBudget counts bytes held, up to max.
type byteBudget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

// take charges n bytes; false, and nothing charged, when that would pass max.
func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// give returns n bytes taken.
func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// charge is one advertisement's account with the budget.
type charge struct {
	mu     sync.Mutex
	held   int64
	ended  bool
	failed bool // a read went past the budget or the remote's own limit
}

// fail records that the advertisement went past the remote's own limit.
func (c *charge) fail() {
	c.mu.Lock()
	c.failed = true
	c.mu.Unlock()
}

// add charges n more bytes of the advertisement, returning
// ErrAdvertisementsTooLarge past the budget; nothing once it ended.
func (c *charge) add(n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || n == 0 {
		return nil
	}
	if !advertisementBudget.take(int64(n)) {
		c.failed = true
		return ErrAdvertisementsTooLarge
	}
	c.held += int64(n)
	return nil
}

// end returns what the advertisement held to the budget; it may be
// called more than once. After a read past a limit, what go-git decoded
// of the advertisement is garbage but still in memory: it is collected
// first, or the next advertisements would grow the process on top of it.
func (c *charge) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	if c.failed {
		runtime.GC()
	}
	advertisementBudget.give(c.held)
	c.held = 0
}
