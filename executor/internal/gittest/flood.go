package gittest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
)

// ServeFloodingDaemon is a git:// remote on 127.0.0.1 that answers every
// request with refs, a new name each, until it sent stopAfter bytes (so
// that a client without a limit ends too). It counts the bytes it sent.
func ServeFloodingDaemon(t testing.TB, stopAfter int64) (url string, sent *atomic.Int64) {
	t.Helper()
	ln := ListenLoopback(t, "tcp", "127.0.0.1:0")
	sent = &atomic.Int64{}
	ServeEach(ln, func(c net.Conn) {
		if _, err := c.Read(make([]byte, 4096)); err != nil { // the request
			return
		}
		FloodRefs(c, sent, stopAfter)
	})
	return "git://" + ln.Addr().String() + "/flood", sent
}

// ListenLoopback listens on addr, closed when the test ends.
func ListenLoopback(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// ServeEach serves each connection ln accepts with serve, and closes it.
func ServeEach(ln net.Listener, serve func(net.Conn)) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
}

// FloodRefs writes an advertisement of refs, a new name each, to w until
// it sent stopAfter bytes or w fails, counting them in sent.
func FloodRefs(w io.Writer, sent *atomic.Int64, stopAfter int64) {
	n, _ := fmt.Fprintf(w, "%04x%s HEAD\x00multi_ack\n", 4+40+6+10, strings.Repeat("a", 40))
	sent.Add(int64(n))
	// Each ref a new name: the client keeps every one.
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	for i := 0; sent.Load() < stopAfter; i++ {
		n, err := fmt.Fprintf(bw, "%04x%s refs/heads/%026d\n", 4+40+1+11+26+1, strings.Repeat("a", 40), i)
		sent.Add(int64(n))
		if err != nil {
			return
		}
	}
}
