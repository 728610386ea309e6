package hclconf

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// comment is one HCL comment as bash comment lines.
type comment struct {
	rng  hcl.Range
	text string
}

// lexComments finds the comments of a native-syntax file, in order.
func lexComments(src []byte, filename string) []comment {
	toks, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	var out []comment
	for _, t := range toks {
		if t.Type != hclsyntax.TokenComment {
			continue
		}
		out = append(out, comment{rng: t.Range, text: BashComment(string(t.Bytes))})
	}
	return out
}

// BashComment turns an HCL comment (#, // or /* */) into "#" lines.
func BashComment(c string) string {
	c = strings.TrimRight(c, "\r\n")
	switch {
	case strings.HasPrefix(c, "//"):
		return "#" + c[2:]
	case strings.HasPrefix(c, "/*"):
		body := strings.TrimSuffix(strings.TrimPrefix(c, "/*"), "*/")
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			l = strings.TrimSpace(strings.TrimRight(l, "\r"))
			lines = append(lines, strings.TrimRight("# "+l, " "))
		}
		return strings.Join(lines, "\n")
	}
	return c
}

// commentsBefore returns the comments not yet placed that start before off.
func (d *decoder) commentsBefore(off int) []comment {
	start := d.nextCmt
	for d.nextCmt < len(d.comments) && d.comments[d.nextCmt].rng.Start.Byte < off {
		d.nextCmt++
	}
	return d.comments[start:d.nextCmt]
}
