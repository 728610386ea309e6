package devstack

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// The secrets channel: how a secret-named variable that a plugin's
// override-defaults or settings define (FOO_PASSWORD=$(generate), as
// plugins do) is masked from the moment it exists, although only bash
// knows its value. The watch waits for stackplan twice per hook (see
// watch.bash): at the start of override-defaults and settings, until Run
// holds the script's output back, since xtrace prints an assignment as it
// runs; after every hook, until Learn has the values of the variables
// Secret picks. Then Run lets the held output go on, through Output, which
// masks them. The values travel through two FIFOs in a private directory,
// never through a file, and the directory is removed when Run returns.

// secretChannel is the FIFO pair and the output held back.
type secretChannel struct {
	dir      string
	req, ack *os.File
	secret   func(name string) bool
	learn    func(values []string)

	mu     sync.Mutex
	output func([]byte)
	on     bool
	held   [][]byte
}

func openSecretChannel(workDir string, s Script) (*secretChannel, error) {
	dir, err := os.MkdirTemp(workDir, "secrets-")
	if err != nil {
		return nil, err
	}
	c := &secretChannel{dir: dir, secret: s.Secret, learn: s.Learn, output: s.Output}
	for _, f := range []struct {
		name string
		file **os.File
	}{{"req", &c.req}, {"ack", &c.ack}} {
		path := filepath.Join(dir, f.name)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			c.close()
			return nil, fmt.Errorf("secrets channel: %w", err)
		}
		// Read-write: opening never waits for the script, and reading
		// never ends because the script closed its end.
		if *f.file, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW, 0); err != nil {
			c.close()
			return nil, fmt.Errorf("secrets channel: %w", err)
		}
	}
	return c, nil
}

// write passes the script's output on, or keeps it while held.
func (c *secretChannel) write(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.held = append(c.held, slices.Clone(b))
		return
	}
	if c.output != nil {
		c.output(b)
	}
}

func (c *secretChannel) hold(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = on
	if !on {
		for _, b := range c.held {
			if c.output != nil {
				c.output(b)
			}
		}
		c.held = nil
	}
}

// serve answers the watch until the channel is closed. A request it does
// not know (only code in the script could write one) is reported when the
// script ends, and answered, so that the watch never waits forever.
func (c *secretChannel) serve() error {
	r := bufio.NewReader(c.req)
	var unknown error
	for {
		kind, err := r.ReadString(0)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return unknown
			}
			return err
		}
		switch kind {
		case "hold\x00":
			c.hold(true)
		case "names\x00":
			names, err := r.ReadString(0)
			if err != nil {
				return err
			}
			var want []string
			var answer strings.Builder
			for _, n := range strings.Split(strings.TrimSuffix(names, "\x00"), "\n") {
				if n != "" && c.secret(n) {
					want = append(want, n)
					answer.WriteString(n + "\x00")
				}
			}
			answer.WriteString("\x00")
			if _, err := c.ack.WriteString(answer.String()); err != nil {
				return err
			}
			values := make([]string, len(want))
			for i := range values {
				v, err := r.ReadString(0)
				if err != nil {
					return err
				}
				values[i] = strings.TrimSuffix(v, "\x00")
			}
			if c.learn != nil {
				c.learn(values)
			}
			c.hold(false)
		default:
			if unknown == nil {
				unknown = fmt.Errorf("secrets channel: unknown request %.40q", strings.TrimSuffix(kind, "\x00"))
			}
		}
		if _, err := c.ack.WriteString("ok\x00"); err != nil {
			return err
		}
	}
}

// close ends serve, lets held output go and removes the FIFOs.
func (c *secretChannel) close() {
	for _, f := range []*os.File{c.req, c.ack} {
		if f != nil {
			f.Close()
		}
	}
	c.hold(false)
	os.RemoveAll(c.dir)
}
