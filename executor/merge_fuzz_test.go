package executor

import (
	"slices"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/plan"
)

// FuzzMergeINI feeds the INI merge any existing config file and any
// fragment. It must never panic, and merging a fragment a second time
// must give the same lines: DevStack merges post-config groups again on
// every stack.sh run, and each of its operations (iniset; inidelete,
// iniset and iniadd_literal for a repeated key) writes the same lines
// again. Only their order may change, as in DevStack, where a repeated
// key deleted and set again moves right below its section's header.
func FuzzMergeINI(f *testing.F) {
	f.Add("", "[DEFAULT]\na = 1\nb=2")
	f.Add("[s]\nx=old\ny = keep\n", "[s]\nx = new")
	f.Add("[s]\nm = old\n", "[s]\nm = 1\nm = 2\nm = 3")
	f.Add("[a]\nx = 1\n[b]\ny = 1\n", "[b]\nz = 2\n[a]\nx = 9")
	f.Add("[a]\nk = 1\n[a]\nk = 2\n", "[a]\nk = 3\n[sec with space]\nv = $(x)")
	f.Add("no section\n[s] trailing\n", "top = 1\n[s]\nnovalue\n  indented = 1\n# c")
	f.Fuzz(func(t *testing.T, existing, fragment string) {
		lines := frag(strings.Split(fragment, "\n")...)
		once := MergeINI([]byte(existing), lines)
		twice := MergeINI(once, lines)
		if slices.ContainsFunc(lines, keyLooksLikeHeader) || repeatsHeader(existing) {
			// Where sed's ranges (/^\[section\]/,/^\[.*\]/) do not
			// cover every line that belongs to a section, a second merge
			// cannot find what the first one wrote, in DevStack too: a
			// key such as "[]", written as "[] = ", ends its section's
			// range; a range ends on a repeated header, which starts no
			// new range. Only the absence of a panic is checked there.
			return
		}
		if !slices.Equal(sortedLines(once), sortedLines(twice)) {
			t.Fatalf("merging twice differs from once\nexisting %q\nfragment %q\nonce  %q\ntwice %q", existing, fragment, once, twice)
		}
	})
}

func sortedLines(b []byte) []string {
	lines := strings.Split(string(b), "\n")
	slices.Sort(lines)
	return lines
}

// keyLooksLikeHeader reports whether the fragment line is a key (not a
// section header, by mergeOps' rule) that starts with '['.
func keyLooksLikeHeader(l plan.SourceLine) bool {
	return strings.HasPrefix(l.Text, "[") && strings.Index(l.Text[1:], "]") <= 0
}

// repeatsHeader reports whether two lines of an INI file open the same
// section ("[a]" and "[a] x" both open a).
func repeatsHeader(file string) bool {
	seen := map[string]bool{}
	for _, l := range strings.Split(file, "\n") {
		if !isAnyHeader(l) {
			continue
		}
		name := l[:strings.IndexByte(l[1:], ']')+2]
		if seen[name] {
			return true
		}
		seen[name] = true
	}
	return false
}
