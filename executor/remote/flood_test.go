package remote

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// A git:// remote that advertises refs without end is read with bounded
// memory: the listing fails with the limit once MaxAdvertisement bytes came,
// the remote could not send much more than that (the relay stopped reading;
// what it sent beyond sits in the kernel's socket buffers), and the
// process's peak resident memory grew by a small multiple of the limit
// (go-git keeps each ref it decoded until the listing fails).
func TestFloodingGitDaemonBounded(t *testing.T) {
	url, sent := gittest.ServeFloodingDaemon(t, 2*git.MaxAdvertisement)
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

// Eight remotes that advertise refs without end, listed at once (plan
// --online-parallel 8, over http), fail at one bound for the whole process:
// together they could send little more than MaxAdvertisements, and the
// process's peak resident memory grew by less than four times that, where
// each remote's own limit alone let it grow by 1.26 GB.
func TestFloodingRemotesShareOneBound(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		io.WriteString(w, "001e# service=git-upload-pack\n0000")
		var mine atomic.Int64
		defer func() { sent.Add(mine.Load()) }()
		gittest.FloodRefs(w, &mine, 2*git.MaxAdvertisement)
	}))
	defer srv.Close()
	var urls []string
	for i := range 8 {
		urls = append(urls, srv.URL+"/flood"+strconv.Itoa(i))
	}
	base := resetPeakRSS(t)
	res := (&Resolver{Parallel: 8}).ListAll(context.Background(), urls)
	for _, url := range urls {
		if err := res[url].Err; err == nil || !strings.Contains(err.Error(), "MiB of refs") {
			t.Errorf("%s: got %v, want an advertisement limit", url, err)
		}
	}
	grown := peakRSS(t) - base
	srv.Close() // waits for every handler: sent is complete
	t.Logf("peak RSS grew by %d MiB; the remotes sent %d MiB", grown>>20, sent.Load()>>20)
	if n := sent.Load(); n > git.MaxAdvertisements+64<<20 {
		t.Errorf("the remotes sent %d MiB for a bound of %d MiB", n>>20, git.MaxAdvertisements>>20)
	}
	if grown > 4*git.MaxAdvertisements {
		t.Errorf("peak RSS grew by %d MiB for a bound of %d MiB", grown>>20, git.MaxAdvertisements>>20)
	}
}
