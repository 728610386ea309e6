package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stackplan/stackplan/internal/atomicfile"
	"github.com/stackplan/stackplan/plan"
)

// iniOp is one iniset, inidelete or iniadd_literal of DevStack's merge.
type iniOp struct {
	kind                   string // "set", "delete", "add"
	section, option, value string
}

// mergeOps turns an INI fragment into the operations DevStack's awk program
// in merge_config_file generates (inc/meta-config), in the same order:
// sections in order of first new key, keys of a block in reverse order
// (each iniset inserts right below the section header, so the file ends up
// in local.conf order), repeated keys as inidelete + iniset + iniadd_literal.
// Unlike DevStack the keys and values are taken literally, never evaluated
// by the shell. A line without '=' becomes the key with an empty value,
// which is what DevStack writes after word splitting.
func mergeOps(fragment []plan.SourceLine) []iniOp {
	type block struct {
		section string
		attrs   []string
	}
	type key struct{ section, attr string }
	var (
		section, last string
		blocks        []block
		values        = map[key][]string{}
	)
	for _, sl := range fragment {
		line := sl.Text
		switch {
		case strings.HasPrefix(line, "[") && strings.Contains(line[1:], "]") && strings.Index(line[1:], "]") > 0:
			word := strings.Fields(line)[0]
			section = strings.NewReplacer("[", "", "]", "").Replace(word)
			continue
		case strings.HasPrefix(strings.TrimLeft(line, " "), "#"):
			continue
		case line == "" || line[0] == ' ' || line[0] == '\t':
			continue // DevStack drops indented and blank lines
		}
		var attr, value string
		if eq := strings.IndexByte(line, '='); eq >= 0 {
			attr = strings.TrimRight(line[:eq], " \t")
			value = strings.Trim(line[eq+1:], " \t")
		} else {
			attr = strings.Trim(line, " \t")
		}
		if section == "" || attr == "" {
			continue // iniset ignores a key outside any section, and an empty key
		}
		k := key{section, attr}
		if _, seen := values[k]; !seen {
			if section != last || len(blocks) == 0 {
				blocks = append(blocks, block{section: section})
				last = section
			}
			b := &blocks[len(blocks)-1]
			b.attrs = append(b.attrs, attr)
		}
		values[k] = append(values[k], value)
	}
	var ops []iniOp
	for _, b := range blocks {
		for i := len(b.attrs) - 1; i >= 0; i-- {
			attr := b.attrs[i]
			vals := values[key{b.section, attr}]
			if len(vals) == 1 {
				ops = append(ops, iniOp{"set", b.section, attr, vals[0]})
				continue
			}
			ops = append(ops, iniOp{"delete", b.section, attr, ""}, iniOp{"set", b.section, attr, vals[len(vals)-1]})
			for l := len(vals) - 2; l >= 0; l-- {
				ops = append(ops, iniOp{"add", b.section, attr, vals[l]})
			}
		}
	}
	return ops
}

// iniFile is a config file as lines, edited as inc/ini-config's sed
// commands edit it.
type iniFile struct{ lines []string }

func parseINI(data []byte) *iniFile {
	s := string(data)
	if s == "" {
		return &iniFile{}
	}
	s = strings.TrimSuffix(s, "\n")
	return &iniFile{lines: strings.Split(s, "\n")}
}

func (f *iniFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

func isHeader(line, section string) bool { return strings.HasPrefix(line, "["+section+"]") }

func isAnyHeader(line string) bool {
	return strings.HasPrefix(line, "[") && strings.Contains(line[1:], "]")
}

// inRange marks the lines of sed's /^\[section\]/,/^\[.*\]/ ranges.
func (f *iniFile) inRange(section string) []bool {
	mark := make([]bool, len(f.lines))
	in := false
	for i, l := range f.lines {
		if !in {
			if isHeader(l, section) {
				in = true
				mark[i] = true
			}
			continue
		}
		mark[i] = true
		if isAnyHeader(l) {
			in = false
		}
	}
	return mark
}

// optionPrefix returns the "option[ \t]*=[ \t]*" prefix of line, if it has one.
func optionPrefix(line, option string) (string, bool) {
	if !strings.HasPrefix(line, option) {
		return "", false
	}
	rest := line[len(option):]
	t := strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(t, "=") {
		return "", false
	}
	after := strings.TrimLeft(t[1:], " \t")
	return line[:len(line)-len(after)], true
}

func (f *iniFile) hasSection(section string) bool {
	for _, l := range f.lines {
		if isHeader(l, section) {
			return true
		}
	}
	return false
}

func (f *iniFile) hasOption(section, option string) bool {
	for i, in := range f.inRange(section) {
		if _, ok := optionPrefix(f.lines[i], option); in && ok {
			return true
		}
	}
	return false
}

// addAfterHeaders inserts a line after every header of section (sed's "a\").
func (f *iniFile) addAfterHeaders(section, text string) {
	var out []string
	for _, l := range f.lines {
		out = append(out, l)
		if isHeader(l, section) {
			out = append(out, text)
		}
	}
	f.lines = out
}

func (f *iniFile) apply(op iniOp) {
	switch op.kind {
	case "set":
		if !f.hasSection(op.section) {
			f.lines = append(f.lines, "", "["+op.section+"]")
		}
		if !f.hasOption(op.section, op.option) {
			f.addAfterHeaders(op.section, op.option+" = "+op.value)
			return
		}
		for i, in := range f.inRange(op.section) {
			if p, ok := optionPrefix(f.lines[i], op.option); in && ok {
				f.lines[i] = p + op.value
			}
		}
	case "delete":
		mark := f.inRange(op.section)
		var out []string
		for i, l := range f.lines {
			if _, ok := optionPrefix(l, op.option); mark[i] && ok {
				continue
			}
			out = append(out, l)
		}
		f.lines = out
	case "add":
		f.addAfterHeaders(op.section, op.option+" = "+op.value)
	}
}

// MergeINI returns the content of a config file after merging fragment
// into it with DevStack's semantics (docs/devstack.md §2.6).
func MergeINI(existing []byte, fragment []plan.SourceLine) []byte {
	f := parseINI(existing)
	for _, op := range mergeOps(fragment) {
		f.apply(op)
	}
	return f.bytes()
}

// mergeFile merges fragment into target, creating its directory and the
// file as DevStack does, and writing atomically.
func mergeFile(target, raw string, fragment []plan.SourceLine) error {
	dir := filepath.Dir(target)
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("bogus config file specification %s (%s=%s, %s exists but it is not a directory)", raw, raw, target, dir)
	} else if err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("could not create the directory of %s (%s): %w", target, raw, err)
		}
	}
	perm := os.FileMode(0o644)
	data, err := os.ReadFile(target)
	switch {
	case err == nil:
		if st, err := os.Stat(target); err == nil {
			perm = st.Mode().Perm()
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Errorf("could not read config file %s (%s): %w", target, raw, err)
	}
	if err := atomicfile.Write(target, MergeINI(data, fragment), perm); err != nil {
		return fmt.Errorf("could not write config file %s (%s): %w", target, raw, err)
	}
	return nil
}

// expandName expands a [[group|file]] file name as DevStack's
// eval "echo $file" would for the forms real configurations use: $NAME,
// ${NAME} and a leading ~. Command substitution, quoting, globs and other
// parameter expansions are refused rather than evaluated: the name is data.
// lookup returns the values of variables in the bash session.
func expandName(raw string, lookup func(names []string) ([]string, error)) (string, error) {
	type piece struct {
		lit string
		v   string // variable name
	}
	var pieces []piece
	s := raw
	if strings.HasPrefix(s, "~") && (len(s) == 1 || s[1] == '/') {
		pieces = append(pieces, piece{v: "HOME"})
		s = s[1:]
	}
	for len(s) > 0 {
		i := strings.IndexAny(s, "$`\"'\\*?[(){};|&<>")
		if i < 0 {
			pieces = append(pieces, piece{lit: s})
			break
		}
		if i > 0 {
			pieces = append(pieces, piece{lit: s[:i]})
		}
		if s[i] != '$' {
			return "", fmt.Errorf("config file name %q uses %q, which stackplan does not evaluate (only $NAME, ${NAME} and ~)", raw, s[i:i+1])
		}
		s = s[i+1:]
		braced := strings.HasPrefix(s, "{")
		if braced {
			s = s[1:]
		}
		n := 0
		for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
			n++
		}
		if n == 0 || braced && (n >= len(s) || s[n] != '}') {
			return "", fmt.Errorf("config file name %q uses an expansion stackplan does not evaluate (only $NAME, ${NAME} and ~)", raw)
		}
		pieces = append(pieces, piece{v: s[:n]})
		s = s[n:]
		if braced {
			s = s[1:]
		}
	}
	var names []string
	for _, p := range pieces {
		if p.v != "" {
			names = append(names, p.v)
		}
	}
	vals := []string{}
	if len(names) > 0 {
		var err error
		if vals, err = lookup(names); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	k := 0
	for _, p := range pieces {
		if p.v != "" {
			b.WriteString(vals[k])
			k++
		} else {
			b.WriteString(p.lit)
		}
	}
	// echo joins words with single spaces.
	out := strings.Join(strings.Fields(b.String()), " ")
	if strings.Contains(out, " ") {
		return "", fmt.Errorf("config file name %q expands to %q, which contains whitespace", raw, out)
	}
	return out, nil
}
