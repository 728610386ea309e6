package docs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	devstackHeadingRE = regexp.MustCompile(`(?m)^#{2,3} (\d+(?:\.\d+)?)[. ]`)
	sectionRefRE      = regexp.MustCompile(`§\s*(\d+(?:\.\d+)?)`)
)

// TestDevstackSections checks that every § reference into devstack.md
// names a section it has: in rules.md and the README, whose § numbers all
// point there, and in Go comments, on a line naming devstack.md or the line
// after it.
func TestDevstackSections(t *testing.T) {
	doc, err := os.ReadFile("devstack.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range devstackHeadingRE.FindAllStringSubmatch(string(doc), -1) {
		sections[m[1]] = true
	}
	if len(sections) < 20 {
		t.Fatalf("devstack.md has %d numbered sections; the heading pattern no longer matches", len(sections))
	}
	check := func(file string, line int, text string) {
		for _, m := range sectionRefRE.FindAllStringSubmatch(text, -1) {
			if !sections[m[1]] {
				t.Errorf("%s:%d: §%s is not a section of docs/devstack.md", file, line, m[1])
			}
		}
	}
	refs := 0
	for _, file := range []string{"rules.md", "hcl.md", "../README.md", "../SECURITY.md"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			check(file, i+1, line)
			refs += len(sectionRefRE.FindAllString(line, -1))
		}
	}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			if err == nil {
				err = filepath.SkipDir
			}
			return err
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := strings.Split(string(data), "\n")
		for i, line := range lines {
			if !strings.Contains(line, "devstack.md") {
				continue
			}
			check(path, i+1, line)
			refs += len(sectionRefRE.FindAllString(line, -1))
			if i+1 < len(lines) {
				check(path, i+2, lines[i+1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if refs < 50 {
		t.Errorf("found only %d § references; the patterns no longer match the documents", refs)
	}
}
