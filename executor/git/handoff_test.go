package git

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// TestPackSwitch writes a real pack to the switch one byte at a time (the
// header arrives in pieces) and checks where it went: go-git's storage up
// to the limit, git index-pack above it, and in both cases go-git then
// finds the objects. A stream shorter than a header is an error, not a
// panic or a hang.
func TestPackSwitch(t *testing.T) {
	up := gittest.NewRepo(t, t.TempDir(), "up", map[string]string{"a": "1\n", "b/c": "2\n"})
	head := up.Head()
	cmd := exec.Command("git", "pack-objects", "--stdout", "--revs", "-q")
	cmd.Dir = up.Dir
	cmd.Stdin = bytes.NewBufferString("HEAD\n")
	pack, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		limit     uint32
		data      []byte
		handedOff bool
		wantErr   bool
	}{
		{"small", 1000, pack, false, false},
		{"large", 1, pack, true, false},
		{"truncated header", 1, pack[:7], false, true},
		{"truncated pack", 1, pack[:len(pack)-30], true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			gittest.Git(t, dir, "init", "-q")
			fsStore := filesystem.NewStorage(osfs.New(filepath.Join(dir, ".git")), cache.NewObjectLRUDefault())
			hs := &handoffStorage{Storage: fsStore, limit: c.limit, git: &SystemGit{}, ctx: context.Background(), dir: dir}
			w, err := hs.PackfileWriter()
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.data {
				if _, err = w.Write(c.data[i : i+1]); err != nil {
					break
				}
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			if hs.handedOff != c.handedOff {
				t.Fatalf("handed off: %v, want %v", hs.handedOff, c.handedOff)
			}
			if c.wantErr {
				return
			}
			if _, err := fsStore.EncodedObject(plumbing.CommitObject, plumbing.NewHash(head)); err != nil {
				t.Fatalf("go-git does not see the commit: %v", err)
			}
			gittest.Git(t, dir, "cat-file", "-e", head+"^{tree}")
		})
	}
}
