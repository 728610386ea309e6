// Package suggest finds the closest known word to a misspelt one, for
// "did you mean" hints in diagnostics.
package suggest

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Closest returns the candidate nearest to word, or "" when none is close
// enough to be a plausible misspelling: at most a third of the word's
// length in edits (and at most 3), compared case-insensitively.
func Closest(word string, candidates []string) string {
	best, bestDist := "", 0
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := levenshtein.Distance(lw, strings.ToLower(c), nil)
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := min(3, max(1, len(word)/3))
	if best == "" || bestDist > limit || strings.EqualFold(best, word) && best == word {
		return ""
	}
	return best
}

// Hint formats a suggestion as a sentence for a diagnostic detail, or "".
func Hint(word string, candidates []string) string {
	if s := Closest(word, candidates); s != "" {
		return "Did you mean \"" + s + "\"?"
	}
	return ""
}
