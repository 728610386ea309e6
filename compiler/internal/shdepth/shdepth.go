// Package shdepth bounds how deeply bash text nests before and after
// mvdan.cc/sh parses it. Its parser recurses once per level of brackets,
// braces, parentheses and compound commands ($((((…, ${a:-${a:-…}},
// "$("$(…)")", if…if…fi…fi), and
// syntax.Walk once per level of the tree it builds, so a long arithmetic
// chain (1+1+…+1) nests as deep as it is long. A few megabytes of either,
// well under the 16 MiB input limit, exhaust the goroutine stack: a fatal
// error no recover catches. Both checks run in bounded stack.
package shdepth

import "mvdan.cc/sh/v3/syntax"

// MaxSource is the deepest nesting of (, { and [ and of compound commands
// (if, case, for, while, until, select) that Source accepts. Real localrc
// and settings files nest a handful of levels.
const MaxSource = 2000

// MaxTree is the deepest syntax tree that Tree accepts: a few megabytes of
// goroutine stack for syntax.Walk. A level of source nesting costs a few
// tree levels, and an arithmetic operator one. The evaluator's own limits
// (200 nested compound commands, 100 arithmetic levels) are far lower and
// report first where they apply.
const MaxTree = 20_000

// Source returns the offset of the first opening bracket, brace,
// parenthesis or compound command keyword of src nested deeper than
// MaxSource, and false; or 0 and true. Single-quoted text and comments are skipped; everything else
// counts, so the bound can only err on the side of refusing.
func Source(src string) (int, bool) {
	depth := 0
	wordStart := true
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			i++
		case c == '\'':
			for i++; i < len(src) && src[i] != '\''; i++ {
			}
		case c == '#' && wordStart:
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '(' || c == '{' || c == '[':
			depth++
			if depth > MaxSource {
				return i, false
			}
		case c == ')' || c == '}' || c == ']':
			if depth > 0 {
				depth--
			}
		case wordStart && c >= 'a' && c <= 'z':
			j := i
			for j < len(src) && src[j] >= 'a' && src[j] <= 'z' {
				j++
			}
			if j == len(src) || isSeparator(src[j]) {
				switch src[i:j] {
				case "if", "case", "for", "while", "until", "select":
					depth++
					if depth > MaxSource {
						return i, false
					}
				case "fi", "esac", "done":
					if depth > 0 {
						depth--
					}
				}
			}
			i = j - 1
		}
		wordStart = i < len(src) && isSeparator(src[i])
	}
	return 0, true
}

// isSeparator reports whether c ends a word, so that a keyword may follow.
func isSeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')'
}

// Tree returns the first node of the tree under n that lies deeper than
// MaxTree levels, and false; or nil and true. syntax.Walk recurses no
// deeper than MaxTree+1 levels here: it does not descend below a node its
// function refuses.
func Tree(n syntax.Node) (syntax.Node, bool) {
	depth := 0
	var deep syntax.Node
	syntax.Walk(n, func(n syntax.Node) bool {
		if n == nil {
			depth--
			return true
		}
		if deep != nil {
			return false
		}
		if depth >= MaxTree {
			deep = n
			return false
		}
		depth++
		return true
	})
	return deep, deep == nil
}
