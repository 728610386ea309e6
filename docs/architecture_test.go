package docs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArchitectureNamesEveryPackage: architecture.md is where a newcomer
// finds their room, so every package of the module has a row there.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	page, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "..") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../")))
		if dir == "docs" || dir == "." || seen[dir] {
			return nil
		}
		seen[dir] = true
		if !strings.Contains(string(page), "`"+dir+"`") {
			t.Errorf("docs/architecture.md has no row for package %s", dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
