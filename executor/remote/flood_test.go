package remote

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stackplan/stackplan/executor/git"
)

// floodGitDaemon is a git:// remote on 127.0.0.1 that answers every
// request with refs, a new name each, until it sent stopAfter bytes (so that
// a client without a limit ends too). It counts the bytes it sent.
func floodGitDaemon(t *testing.T, stopAfter int64) (url string, sent *atomic.Int64) {
	t.Helper()
	ln := listenLoopback(t, "tcp", "127.0.0.1:0")
	sent = &atomic.Int64{}
	serveEach(ln, func(c net.Conn) {
		if _, err := c.Read(make([]byte, 4096)); err != nil { // the request
			return
		}
		floodRefs(c, sent, stopAfter)
	})
	return "git://" + ln.Addr().String() + "/flood", sent
}

// listenLoopback listens on addr, closed when the test ends.
func listenLoopback(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serveEach serves each connection ln accepts with serve, and closes it.
func serveEach(ln net.Listener, serve func(net.Conn)) {
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

// floodRefs writes an advertisement of refs, a new name each, to w until
// it sent stopAfter bytes or w fails, counting them in sent.
func floodRefs(w io.Writer, sent *atomic.Int64, stopAfter int64) {
	n, _ := fmt.Fprintf(w, "%04x%s HEAD\x00multi_ack\n", 4+40+6+10, strings.Repeat("a", 40))
	sent.Add(int64(n))
	// Each ref a new name: go-git keeps every one.
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

// A git:// remote that advertises refs without end is read with bounded
// memory: the listing fails with the limit once MaxAdvertisement bytes came,
// the remote could not send much more than that (the relay stopped reading;
// what it sent beyond sits in the kernel's socket buffers), and the
// process's peak resident memory grew by a small multiple of the limit
// (go-git keeps each ref it decoded until the listing fails).
func TestFloodingGitDaemonBounded(t *testing.T) {
	url, sent := floodGitDaemon(t, 2*git.MaxAdvertisement)
	listFloodBounded(t, url, sent)
}

// listFloodBounded lists a flooding remote's refs, and checks that the
// listing fails at the limit, that the remote could send little more than
// the limit, and that the peak resident memory grew by less than four
// times the limit.
func listFloodBounded(t *testing.T, url string, sent *atomic.Int64) {
	t.Helper()
	base := resetPeakRSS(t)
	_, err := GoGit{}.List(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), "MiB of refs") {
		t.Fatalf("got %v, want the advertisement limit", err)
	}
	if n := sent.Load(); n > git.MaxAdvertisement+16<<20 {
		t.Errorf("the remote sent %d MiB for a %d MiB limit", n>>20, git.MaxAdvertisement>>20)
	}
	grown := peakRSS(t) - base
	t.Logf("peak RSS grew by %d MiB; the remote sent %d MiB", grown>>20, sent.Load()>>20)
	if grown > 4*git.MaxAdvertisement {
		t.Errorf("peak RSS grew by %d MiB for a %d MiB limit", grown>>20, git.MaxAdvertisement>>20)
	}
}

// resetPeakRSS resets the process's peak resident memory (VmHWM) to what
// it holds now, and returns that.
func resetPeakRSS(t *testing.T) int64 {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak resident memory: %v", err)
	}
	return peakRSS(t)
}

// peakRSS is the process's peak resident memory since the last reset.
func peakRSS(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
