package schema

import (
	"fmt"
	"strings"
)

// CheckConfigFileName reports why the file name of a [[group|file]] header
// cannot be expanded without running code, or nil. DevStack expands it with
// eval "echo FILE" (docs/devstack.md §2.6, §9 item 4), so $(...),
// backticks and ';' in a header run commands. stackplan expands only $NAME,
// ${NAME} and a leading ~, which is what real configurations use, and
// refuses anything else a shell would evaluate: command substitution,
// quoting, globs, other parameter expansions and control operators.
// The executor's expansion accepts exactly these forms.
func CheckConfigFileName(name string) error {
	s := name
	if s == "~" || strings.HasPrefix(s, "~/") {
		s = s[1:]
	} else if strings.HasPrefix(s, "~") {
		return fmt.Errorf("config file name %q names another user's home directory, which stackplan does not expand (only $NAME, ${NAME} and a leading ~/)", name)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < ' ' || c == 0x7f:
			return fmt.Errorf("config file name %q contains a control character", name)
		case strings.IndexByte("`\"'\\*?[]{}();|&<>! \t", c) >= 0:
			return fmt.Errorf("config file name %q uses %q, which DevStack's eval would interpret and stackplan does not evaluate (only $NAME, ${NAME} and a leading ~)", name, string(c))
		case c == '$':
			j := i + 1
			braced := j < len(s) && s[j] == '{'
			if braced {
				j++
			}
			n := 0
			for j+n < len(s) && isNameByte(s[j+n], n) {
				n++
			}
			if n == 0 || braced && (j+n >= len(s) || s[j+n] != '}') {
				return fmt.Errorf("config file name %q uses an expansion DevStack's eval would run and stackplan does not evaluate (only $NAME, ${NAME} and a leading ~)", name)
			}
			i = j + n - 1
			if braced {
				i++
			}
		}
	}
	return nil
}

func isNameByte(c byte, n int) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || n > 0 && c >= '0' && c <= '9'
}
