package zuul

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ExpandPaths expands the arguments: a directory stands for the Zuul files
// Zuul reads from a repository.
func ExpandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		found, err := repoFiles(a)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no zuul.yaml, zuul.d/, .zuul.yaml or .zuul.d/ with .yaml files in it", a)
		}
		out = append(out, found...)
	}
	return out, nil
}

// repoFiles lists the files Zuul reads from a repository: the first of
// zuul.yaml, zuul.d/, .zuul.yaml and .zuul.d/ that exists, a directory
// read recursively, every file ending in .yaml in lexical order of its
// path. Symbolic links are not followed out of the repository.
func repoFiles(repo string) ([]string, error) {
	for _, root := range []string{"zuul.yaml", "zuul.d", ".zuul.yaml", ".zuul.d"} {
		p := filepath.Join(repo, root)
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if st.Mode().IsRegular() {
			return []string{p}, nil
		}
		if !st.IsDir() {
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".yaml") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(found, func(a, b string) int { return strings.Compare(filepath.ToSlash(a), filepath.ToSlash(b)) })
		return found, nil
	}
	return nil, nil
}
