// Package pluginsettings reads the plugin dependency declarations of a
// DevStack plugin's devstack/settings file statically: the file is parsed
// with mvdan.cc/sh/v3/syntax and never run.
//
// DevStack itself ignores define_plugin and plugin_requires (both are
// no-ops); only the Zuul role write-devstack-local-conf reads them, line by
// line with two regular expressions (docs/devstack.md §7.2):
//
//   - ^define_plugin\s+(\S+), at column 0, sets the current name (quotes and
//     $ are kept literally);
//   - ^plugin_requires\s+(\S+)\s+(\S+) adds the second word only when the
//     first equals the current name at that line;
//   - every requirement of the file is recorded under the last name defined.
//
// [Parse] gives exactly the role's reading, so that a plan agrees with the
// gate, and reports, as warnings of rule settings-declaration, each place
// where that reading differs from what the file seems to say: a
// plugin_requires before its define_plugin or naming another plugin, an
// indented or nested declaration the role does not see, a line the role
// reads that bash never runs as a command (inside a here-document, a string
// or a continuation), quoted or variable words, a second define_plugin, a
// plugin_requires without a second word.
package pluginsettings

import (
	"bytes"
	"fmt"
	"regexp"

	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/compiler/internal/shdepth"
	"github.com/stackplan/stackplan/schema"
)

// Declarations is what one devstack/settings file declares, as the Zuul
// role reads it.
type Declarations struct {
	// File is the file name the ranges use, and Source what it holds (empty
	// when the file is too large to read): diagnostics show it, and its
	// "# stackplan: ignore=RULE" comments apply to its own findings.
	File   string
	Source []byte
	// Name is the plugin name the file defines: the last define_plugin the
	// role reads, or "" when there is none (then Requires is empty too).
	Name string
	// NameRange is where Name is written.
	NameRange hcl.Range
	// Requires are the requirements the role records for Name, in file
	// order, without repeats.
	Requires []Requirement
	// Diags are the settings-declaration warnings, and a bash-syntax
	// warning when the file does not parse as bash.
	Diags hcl.Diagnostics
}

// Requirement is one plugin_requires the role counts.
type Requirement struct {
	// Name is the required plugin, as the role reads it.
	Name string
	// Range covers the whole plugin_requires line's command, where the
	// requirement is declared.
	Range hcl.Range
}

// The role's expressions. Python's \s also matches \v, which Go's does not;
// the class is spelled out.
var (
	defineRE   = regexp.MustCompile(`^define_plugin[ \t\v\f\r]+([^ \t\v\f\r\n]+)`)
	requiresRE = regexp.MustCompile(`^plugin_requires[ \t\v\f\r]+([^ \t\v\f\r\n]+)[ \t\v\f\r]+([^ \t\v\f\r\n]+)`)
	// Any mention of the functions as a word, to find declarations the role misses.
	mentionRE = regexp.MustCompile(`^plugin_requires\b`)
)

// MaxSize is the largest settings file read; larger ones are refused with a
// diagnostic (real ones are a few kilobytes).
const MaxSize = 1 << 20

// Parse reads one settings file. filename is used in ranges.
func Parse(filename string, src []byte) *Declarations {
	d := &Declarations{File: filename}
	pos := newPositions(filename, src)
	if len(src) > MaxSize {
		d.Diags = append(d.Diags, schema.RuleSettingsDeclaration.Diag(
			fmt.Sprintf("the settings file is larger than %d KiB; its declarations are not read", MaxSize>>10),
			"", pos.rng(0, 0)))
		return d
	}
	d.Source = src
	calls := commands(filename, src, pos, d)

	var current string
	defines := 0
	seen := map[string]bool{}
	for ln, start := range pos.lines {
		end := len(src)
		if ln+1 < len(pos.lines) {
			end = pos.lines[ln+1] - 1
		} else if end > start && src[end-1] == '\n' {
			end--
		}
		line := src[start:end]
		lineRange := pos.rng(start, start+len(bytes.TrimRight(line, "\r")))
		m := defineRE.FindSubmatchIndex(line)
		r := requiresRE.FindSubmatchIndex(line)
		if m == nil && r == nil {
			if mentionRE.Match(line) {
				d.warn(lineRange, "plugin_requires without a second word is not read",
					"The Zuul role reads \"plugin_requires NAME OTHER\"; this line declares nothing.")
			}
			continue
		}
		call, isCall := calls[start]
		if !isCall {
			d.warn(lineRange, "the Zuul role reads a declaration that bash never runs as a command",
				"This line is inside a here-document, a quoted string or a continued command, but the role reads files line by line and counts it; stackplan does the same.")
		}
		if m != nil {
			name := string(line[m[2]:m[3]])
			defines++
			if defines > 1 {
				d.warn(lineRange, fmt.Sprintf("a second define_plugin (%s after %s)", name, current),
					fmt.Sprintf("The Zuul role records every requirement of the file under the last name defined, so all of them become requirements of %s.", name))
			}
			current = name
			d.Name, d.NameRange = name, pos.rng(start+m[2], start+m[3])
			d.literal(isCall, call, 1, name, d.NameRange)
			continue
		}
		who, what := string(line[r[2]:r[3]]), string(line[r[4]:r[5]])
		switch {
		case current == "":
			d.warn(lineRange, fmt.Sprintf("plugin_requires %s %s before define_plugin is ignored", who, what),
				"The Zuul role counts a plugin_requires only when its first word equals the name of the define_plugin read before it. Move define_plugin above this line.")
			continue
		case who != current:
			d.warn(lineRange, fmt.Sprintf("plugin_requires names %s, but this file defines %s: ignored", who, current),
				fmt.Sprintf("The Zuul role counts a plugin_requires only when its first word is the plugin being defined (%s).", current))
			continue
		}
		rng := pos.rng(start+r[4], start+r[5])
		d.literal(isCall, call, 2, what, rng)
		if !seen[what] {
			seen[what] = true
			d.Requires = append(d.Requires, Requirement{Name: what, Range: lineRange})
		}
	}
	if d.Name == "" {
		d.Requires = nil
	}
	d.Diags = schema.SortDiagnostics(d.Diags)
	return d
}

// literal warns when the role's literal reading of argument i differs from
// the word bash would pass.
func (d *Declarations) literal(isCall bool, call *syntax.CallExpr, i int, raw string, rng hcl.Range) {
	if !isCall || call == nil || len(call.Args) <= i {
		return
	}
	w := call.Args[i]
	if lit := w.Lit(); lit == raw {
		return
	}
	d.warn(rng, fmt.Sprintf("the Zuul role reads %s literally", raw),
		"The word is quoted or expanded by bash, but the role takes the characters as written. Write the plugin name as a plain word.")
}

func (d *Declarations) warn(rng hcl.Range, summary, detail string) {
	d.Diags = append(d.Diags, schema.RuleSettingsDeclaration.Diag(summary, detail, rng))
}

// errTooDeep stands for a parse error when src nests too deeply for the
// parser: the file is then read line by line, as when it is not bash.
var errTooDeep = fmt.Errorf("it nests deeper than %d levels", shdepth.MaxSource)

// commands parses src as bash and returns the define_plugin and
// plugin_requires commands that start a line, by the line's offset. Those
// that do not (indented, after a ; or inside a compound command on the same
// line) are reported: the role does not see them.
func commands(filename string, src []byte, pos *positions, d *Declarations) map[int]*syntax.CallExpr {
	out := map[int]*syntax.CallExpr{}
	var f *syntax.File
	err := errTooDeep
	if _, ok := shdepth.Source(string(src)); ok {
		f, err = syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(src), filename)
	}
	if err == nil {
		if _, ok := shdepth.Tree(f); !ok {
			err = errTooDeep
		}
	}
	if err != nil {
		var line int
		if pe, ok := err.(syntax.ParseError); ok {
			line = int(pe.Pos.Line())
		}
		at := 0
		if line >= 1 && line <= len(pos.lines) {
			at = pos.lines[line-1]
		}
		d.Diags = append(d.Diags, schema.RuleSettingsDeclaration.Diag("the settings file is not valid bash",
			fmt.Sprintf("%v. The Zuul role still reads it line by line, and so does stackplan.", err), pos.rng(at, at)))
		// Without a syntax tree, take every line as a command.
		for _, start := range pos.lines {
			out[start] = nil
		}
		return out
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		c, ok := n.(*syntax.CallExpr)
		if !ok || len(c.Args) == 0 {
			return true
		}
		name := c.Args[0].Lit()
		if name != "define_plugin" && name != "plugin_requires" {
			return true
		}
		off := int(c.Args[0].Pos().Offset())
		if c.Args[0].Pos().Col() == 1 && len(c.Assigns) == 0 {
			out[off] = c
			return true
		}
		d.warn(pos.rng(off, int(c.End().Offset())), fmt.Sprintf("the Zuul role does not read this %s", name),
			"The role reads only declarations written at the very start of a line; this one is indented, follows something else on its line or sits inside a compound command. Write it unindented at the top level.")
		return true
	})
	return out
}

// positions turns byte offsets into hcl positions; columns count
// characters, as HCL's do.
type positions struct {
	filename string
	src      []byte
	lines    []int // offset of each line start
}

func newPositions(filename string, src []byte) *positions {
	p := &positions{filename: filename, src: src, lines: []int{0}}
	for i, b := range src {
		if b == '\n' && i+1 < len(src) {
			p.lines = append(p.lines, i+1)
		}
	}
	return p
}

func (p *positions) pos(off int) hcl.Pos {
	off = max(0, min(off, len(p.src)))
	line := 0
	lo, hi := 0, len(p.lines)-1
	for lo <= hi {
		mid := (lo + hi) / 2
		if p.lines[mid] <= off {
			line, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return hcl.Pos{Line: line + 1, Column: utf8.RuneCount(p.src[p.lines[line]:off]) + 1, Byte: off}
}

func (p *positions) rng(start, end int) hcl.Range {
	return hcl.Range{Filename: p.filename, Start: p.pos(start), End: p.pos(end)}
}
