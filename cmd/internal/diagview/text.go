package diagview

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// tabStop is the tab width used when showing source lines, so that the
// underline lines up whatever the terminal's own tab stops are.
const tabStop = 4

// decodeRune is utf8.DecodeRune that reports each invalid byte as
// utf8.RuneError of size 1.
func decodeRune(b []byte) (rune, int) {
	return utf8.DecodeRune(b)
}

// isBidiControl reports the characters that reorder text on screen, which a
// hostile file could use to make a line look unlike its bytes.
func isBidiControl(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F:
		return true
	case r >= 0x202A && r <= 0x202E:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// cell returns how a character of a source line is shown and how many
// terminal columns it takes (tabs are handled by the caller). Control
// characters, invalid bytes and bidi controls are shown as U+FFFD so that a
// file cannot drive the terminal.
func cell(r rune, size int) (string, int) {
	switch {
	case r == utf8.RuneError && size <= 1,
		unicode.IsControl(r),
		isBidiControl(r):
		return "\uFFFD", 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return string(r), 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return string(r), 2
	}
	return string(r), 1
}

// showLine renders the line text line for a terminal and returns the display
// columns (0-based) at which byte offsets from and to (relative to line)
// fall. An offset inside a multi-byte character counts as the next character.
func showLine(line []byte, from, to int) (shown string, fromCol, toCol int) {
	var sb strings.Builder
	col := 0
	fromCol, toCol = -1, -1
	for off := 0; off < len(line); {
		if fromCol < 0 && off >= from {
			fromCol = col
		}
		if toCol < 0 && off >= to {
			toCol = col
		}
		r, size := decodeRune(line[off:])
		off += size
		if r == '\t' {
			n := tabStop - col%tabStop
			sb.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		s, w := cell(r, size)
		sb.WriteString(s)
		col += w
	}
	if fromCol < 0 {
		fromCol = col
	}
	if toCol < 0 {
		toCol = col
	}
	return sb.String(), fromCol, toCol
}

// clean makes message text safe to print: invalid UTF-8 and control
// characters other than newline and tab become U+FFFD, and "\r\n" and lone
// "\r" become "\n".
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			sb.WriteByte('\n')
		case r == '\n', r == '\t':
			sb.WriteRune(r)
		case r == utf8.RuneError && size <= 1, unicode.IsControl(r), isBidiControl(r):
			sb.WriteRune('\uFFFD')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// oneLine is clean for single-line output: each line break, with the spaces
// and tabs around it, becomes one space, and tabs become spaces.
func oneLine(s string) string {
	lines := strings.Split(clean(s), "\n")
	for i := range lines {
		if i > 0 {
			lines[i] = strings.TrimLeft(lines[i], " \t")
		}
		if i < len(lines)-1 {
			lines[i] = strings.TrimRight(lines[i], " \t")
		}
	}
	out := strings.Join(lines, " ")
	return strings.ReplaceAll(out, "\t", " ")
}

// wrap breaks each line of s at spaces so that no line is longer than width
// characters, where it can; width 0 leaves s as it is. Words longer than
// width stay whole.
func wrap(s string, width int) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if width <= 0 || utf8.RuneCountInString(line) <= width {
			out = append(out, line)
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		cur, curLen := indent, utf8.RuneCountInString(indent)
		empty := true
		for _, word := range strings.Fields(line) {
			wl := utf8.RuneCountInString(word)
			if !empty && curLen+1+wl > width {
				out = append(out, cur)
				cur, curLen, empty = indent, utf8.RuneCountInString(indent), true
			}
			if !empty {
				cur += " "
				curLen++
			}
			cur += word
			curLen += wl
			empty = false
		}
		out = append(out, cur)
	}
	return out
}
