package evaluator

// Line is one line of the input as awk sees it: the text without its "\n"
// (a "\r" stays, as it does for awk) and the byte offset where it starts.
type Line struct {
	Text  string
	Start int
	Num   int // 1-based
}

// SplitLines cuts src into lines the way awk's default record separator
// does: on "\n" only, the last line counting even without a trailing newline.
func SplitLines(src []byte) []Line {
	var lines []Line
	start := 0
	for i := 0; i <= len(src); i++ {
		if i == len(src) || src[i] == '\n' {
			if i == len(src) && start == len(src) {
				break
			}
			lines = append(lines, Line{Text: string(src[start:i]), Start: start, Num: len(lines) + 1})
			start = i + 1
		}
	}
	return lines
}
