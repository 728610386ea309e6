package git

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// errLayout means the repository is not one readRefs understands (a .git
// file, a linked worktree, reftable, SHA-256): the caller asks git or go-git.
var errLayout = errors.New("repository layout not read in-process")

// readHead reads the commit HEAD points to from the files of dir/.git,
// without starting a process: what "git rev-parse HEAD" prints, at a
// fraction of its cost (the no-op re-apply reads one HEAD per plugin).
// sym is the ref HEAD is attached to, "" when detached.
func readHead(dir string) (commit, sym string, err error) {
	gd := filepath.Join(dir, ".git")
	st, err := os.Lstat(gd)
	if err != nil {
		return "", "", err
	}
	if !st.IsDir() {
		return "", "", errLayout
	}
	for _, f := range []string{"commondir", "reftable"} {
		if _, err := os.Lstat(filepath.Join(gd, f)); err == nil {
			return "", "", errLayout
		}
	}
	commit, sym, err = resolveRef(gd, "HEAD")
	return commit, sym, err
}

// resolveRef resolves name (HEAD or refs/...) in the files backend:
// loose ref files, symbolic refs, then packed-refs.
func resolveRef(gd, name string) (commit, sym string, err error) {
	for range 5 {
		data, err := os.ReadFile(filepath.Join(gd, filepath.FromSlash(name)))
		switch {
		case err == nil:
			s := strings.TrimRight(string(data), "\n")
			if sha1RE.MatchString(s) {
				return s, sym, nil
			}
			t, ok := strings.CutPrefix(s, "ref: ")
			if !ok || !safeRefName(t) {
				return "", "", errLayout
			}
			if sym == "" {
				sym = t
			}
			name = t
			continue
		case name == "HEAD" || !errors.Is(err, os.ErrNotExist):
			return "", "", err
		}
		if h, ok := packedRef(gd, name); ok {
			return h, sym, nil
		}
		return "", "", errLayout
	}
	return "", "", errLayout
}

// safeRefName accepts the ref names resolveRef may turn into a path.
func safeRefName(n string) bool {
	if !strings.HasPrefix(n, "refs/") || strings.Contains(n, "..") || strings.ContainsAny(n, "\\\x00") {
		return false
	}
	return filepath.ToSlash(filepath.Clean(filepath.FromSlash(n))) == n
}

// packedRef looks name up in gd/packed-refs.
func packedRef(gd, name string) (string, bool) {
	f, err := os.Open(filepath.Join(gd, "packed-refs"))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		h, n, ok := strings.Cut(sc.Text(), " ")
		if ok && n == name && sha1RE.MatchString(h) {
			return h, true
		}
	}
	return "", false
}

// hasRef reports whether the files backend of gd holds name.
func hasRef(gd, name string) bool {
	if _, err := os.Lstat(filepath.Join(gd, filepath.FromSlash(name))); err == nil {
		return true
	}
	_, ok := packedRef(gd, name)
	return ok
}

// detachHead points HEAD of gd at commit directly, as "git checkout
// --detach" does when the commit is the one checked out: the index and
// the work tree already match it. The file is replaced atomically.
func detachHead(gd, commit string) error {
	tmp := filepath.Join(gd, "HEAD.lock")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(commit + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(gd, "HEAD"))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
