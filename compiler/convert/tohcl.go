package convert

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/compiler/internal/shdepth"
	"github.com/stackplan/stackplan/schema"
)

var (
	bashNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	pluginNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	safeLitRE    = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]*$`)
	requiresRE   = regexp.MustCompile(`^#\s*stackplan:\s*requires=([A-Za-z0-9._,-]+)\s*$`)
	iniSectionRE = regexp.MustCompile(`^\[([^\]\[\s]+)\]\s*$`)
	iniKeyRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// ToHCL writes the Config of a local.conf (or legacy localrc) as stack.hcl.
// src is the file the Config was read from. The diagnostics are warnings
// for what is carried in raw bash blocks.
func ToHCL(cfg *schema.Config, src []byte) ([]byte, hcl.Diagnostics) {
	w := &hclWriter{cfg: cfg}
	w.ignored(src)
	w.localrc()
	for _, sec := range cfg.Sections {
		w.section(sec)
	}
	return hclwrite.Format([]byte(strings.TrimRight(w.b.String(), "\n") + "\n")), w.diags
}

type hclWriter struct {
	cfg   *schema.Config
	b     strings.Builder
	diags hcl.Diagnostics

	open     string // the block kind left open: "localrc", "localrc_append", "services"
	openVars map[string]bool
	svcState int // in an open services block: 1 enable written, 2 disable written
}

func (w *hclWriter) close() {
	if w.open != "" {
		w.b.WriteString("}\n\n")
		w.open = ""
	}
}

// openBlock makes sure a block of kind is open, starting a new one when
// needed.
func (w *hclWriter) openBlock(kind string) {
	if w.open == kind {
		return
	}
	w.close()
	w.open = kind
	w.openVars = map[string]bool{}
	w.svcState = 0
	w.b.WriteString(kind + " {\n")
}

func (w *hclWriter) comment(line string) {
	line = strings.TrimRight(line, " \t\r")
	if !utf8.ValidString(line) || strings.ContainsFunc(line, func(r rune) bool { return r < ' ' && r != '\t' }) {
		return
	}
	if !strings.HasPrefix(line, "#") {
		line = "# " + line
	}
	w.b.WriteString(line + "\n")
}

// ignored keeps, as comments, the lines DevStack never reads: content
// before the first header and sections of unknown groups.
func (w *hclWriter) ignored(src []byte) {
	if len(src) == 0 || len(w.cfg.Inputs) > 0 && w.cfg.Inputs[0].Kind == schema.KindLocalrc {
		return
	}
	covered := map[int]bool{}
	cover := func(r hcl.Range) {
		for l := r.Start.Line; l <= r.End.Line && l > 0; l++ {
			covered[l] = true
		}
	}
	for _, sp := range w.cfg.Localrc {
		if sp.Text != "" {
			cover(sp.Range)
		}
	}
	for _, s := range w.cfg.Sections {
		cover(s.Header)
		if s.Body.Text != "" {
			cover(s.Body.Range)
		}
	}
	var lines []string
	for i, l := range strings.Split(string(src), "\n") {
		l = strings.TrimRight(l, "\r")
		if covered[i+1] || strings.TrimSpace(l) == "" || headerRE.MatchString(l) {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return
	}
	w.b.WriteString("# Lines of the original that DevStack does not read, kept as comments:\n")
	for _, l := range lines {
		w.comment("#   " + l)
	}
	w.b.WriteString("\n")
}

// localrc converts the localrc statement by statement.
func (w *hclWriter) localrc() {
	if len(w.cfg.Localrc) == 0 {
		return
	}
	var text strings.Builder
	for _, sp := range w.cfg.Localrc {
		text.WriteString(sp.Text)
		text.WriteByte('\n')
	}
	src := text.String()
	lines := strings.SplitAfter(src, "\n")
	lineStart := make([]int, len(lines)+1)
	for i, l := range lines {
		lineStart[i+1] = lineStart[i] + len(l)
	}
	lineOf := func(off int) int { // 0-based
		i, _ := slices.BinarySearch(lineStart, off+1)
		return i - 1
	}
	// A localrc that does not parse, or nests too deeply to parse or walk
	// in bounded stack (plan reports it as a limit), is kept verbatim.
	var stmts []*syntax.Stmt
	if _, ok := shdepth.Source(src); ok {
		parser := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.KeepComments(true))
		if f, err := parser.Parse(strings.NewReader(src), ""); err == nil {
			if _, ok := shdepth.Tree(f); ok {
				stmts = f.Stmts
			}
		}
	}
	emitted := false
	raw := 0 // first line not yet written
	flushRaw := func(upTo int) {
		if upTo <= raw {
			return
		}
		region := strings.Join(lines[raw:upTo], "")
		raw = upTo
		code := false
		for _, l := range strings.Split(region, "\n") {
			t := strings.TrimSpace(l)
			if t != "" && !strings.HasPrefix(t, "#") {
				code = true
			}
		}
		if !code {
			for _, l := range strings.Split(strings.TrimSuffix(region, "\n"), "\n") {
				if strings.TrimSpace(l) != "" {
					if w.open != "" && w.open != "services" {
						w.comment(strings.TrimSpace(l))
					} else {
						w.close()
						w.comment(strings.TrimSpace(l))
					}
				}
			}
			return
		}
		w.close()
		w.bash(strings.TrimSuffix(region, "\n"))
		emitted = true
	}
	for _, st := range stmts {
		start, end := int(st.Pos().Offset()), int(st.End().Offset())
		first, last := lineOf(start), lineOf(max(start, end-1))
		before := src[lineStart[first]:start]
		after := strings.TrimRight(src[end:lineStart[last+1]], "\n")
		if strings.TrimSpace(before) != "" {
			continue
		}
		trail := strings.TrimSpace(after)
		if trail != "" && !strings.HasPrefix(trail, "#") {
			continue
		}
		items := w.classify(st, trail)
		if items == nil {
			continue
		}
		flushRaw(first)
		for _, it := range items {
			it()
		}
		emitted = true
		raw = last + 1
	}
	flushRaw(len(lines))
	w.close()
	if !emitted {
		w.b.WriteString("localrc {}\n")
	}
}

// classify returns the writers of a statement stack.hcl can say, or nil.
func (w *hclWriter) classify(st *syntax.Stmt, trail string) []func() {
	c, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || st.Negated || st.Background || st.Coprocess || len(st.Redirs) > 0 {
		return nil
	}
	var out []func()
	note := func() {
		if trail != "" && !requiresRE.MatchString(trail) {
			w.comment(trail)
		}
	}
	if len(c.Args) == 0 {
		for _, as := range c.Assigns {
			if as.Naked || as.Array != nil || as.Index != nil || !bashNameRE.MatchString(as.Name.Value) || as.Name.Value == "env" {
				return nil
			}
			val := `""`
			if as.Value != nil {
				t, ok := template(as.Value)
				if !ok {
					return nil
				}
				val = t
			}
			name, appendOp := as.Name.Value, as.Append
			out = append(out, func() {
				kind := "localrc"
				if appendOp {
					kind = "localrc_append"
				}
				if w.open == kind && w.openVars[name] {
					w.close()
				}
				w.openBlock(kind)
				w.openVars[name] = true
				w.b.WriteString(name + " = " + val + "\n")
			})
		}
		if len(out) > 0 {
			out = append([]func(){note}, out...)
		}
		return out
	}
	if len(c.Assigns) > 0 {
		return nil
	}
	cmd, ok := literal(c.Args[0])
	if !ok {
		return nil
	}
	switch cmd {
	case "enable_plugin":
		return w.plugin(st, c, trail)
	case "enable_service", "disable_service":
		if len(c.Args) < 2 {
			return nil
		}
		var names []string
		for _, a := range c.Args[1:] {
			s, ok := literal(a)
			if !ok || s == "" || strings.ContainsAny(s, " \t\n") {
				return nil
			}
			names = append(names, quote(s))
		}
		return []func(){note, func() {
			state := 1
			if cmd == "disable_service" {
				state = 2
			}
			if w.open == "services" && w.svcState > state {
				w.close()
			}
			if w.open == "services" && w.svcState == state {
				w.close() // one attribute per statement kind and block
			}
			w.openBlock("services")
			w.svcState = state
			attr := "enable"
			if state == 2 {
				attr = "disable"
			}
			w.b.WriteString(attr + " = [" + strings.Join(names, ", ") + "]\n")
		}}
	case "disable_all_services":
		if len(c.Args) != 1 {
			return nil
		}
		return []func(){note, func() {
			w.close()
			w.openBlock("services")
			w.svcState = 0
			w.b.WriteString("disable_all = true\n")
		}}
	}
	return nil
}

func (w *hclWriter) plugin(st *syntax.Stmt, c *syntax.CallExpr, trail string) []func() {
	if len(c.Args) < 3 || len(c.Args) > 4 {
		return nil
	}
	name, ok := literal(c.Args[1])
	if !ok || !pluginNameRE.MatchString(name) {
		return nil
	}
	// The plugin as evaluated: convert only a registration that is known,
	// unconditional and free of word splitting.
	var p *schema.Plugin
	for i := range w.cfg.Plugins {
		if w.cfg.Plugins[i].Name.Known() && w.cfg.Plugins[i].Name.String() == name {
			if p != nil {
				return nil // enabled twice: keep the original text
			}
			p = &w.cfg.Plugins[i]
		}
	}
	if p == nil || p.Conditional || !p.URL.Known() || p.URL.String() == "" || !p.Ref.Known() || len(p.Extra) > 0 ||
		strings.ContainsAny(p.URL.String(), " \t\n") || strings.ContainsAny(p.Ref.String(), " \t\n") {
		return nil
	}
	if len(c.Args) == 4 && p.Ref.Text == "" {
		return nil
	}
	url, ok := template(c.Args[2])
	if !ok {
		return nil
	}
	ref := ""
	if len(c.Args) == 4 {
		if ref, ok = template(c.Args[3]); !ok {
			return nil
		}
	}
	var requires []string
	if m := requiresRE.FindStringSubmatch(trail); m != nil {
		for _, r := range strings.Split(m[1], ",") {
			if r != "" {
				requires = append(requires, quote(r))
			}
		}
	} else if trail != "" {
		requires = nil
	}
	return []func(){func() {
		w.close()
		if trail != "" && requiresRE.FindStringSubmatch(trail) == nil {
			w.comment(trail)
		}
		w.b.WriteString("plugin " + quote(name) + " {\n  url = " + url + "\n")
		if ref != "" {
			w.b.WriteString("  ref = " + ref + "\n")
		}
		if len(requires) > 0 {
			w.b.WriteString("  requires = [" + strings.Join(requires, ", ") + "]\n")
		}
		w.b.WriteString("}\n\n")
	}}
}

func (w *hclWriter) bash(text string) {
	w.diags = append(w.diags, schema.RuleRawBash.Diag("carried as a raw bash block",
		"stack.hcl has no block for this bash (a conditional, a loop, a command substitution, a function, or a value only known when localrc runs); it is kept verbatim in a bash block.",
		hcl.Range{Filename: w.fileName()}))
	w.b.WriteString("bash {\n  script = " + heredoc(text) + "}\n\n")
}

func (w *hclWriter) fileName() string {
	if len(w.cfg.Inputs) > 0 {
		return w.cfg.Inputs[0].Path
	}
	return ""
}

// section writes one config meta-section.
func (w *hclWriter) section(sec schema.MetaSection) {
	w.close()
	fmt.Fprintf(&w.b, "config %s %s {\n", quote(sec.Group), quote(sec.File))
	if body, ok := iniBlocks(sec.Body.Text); ok {
		w.b.WriteString(body)
	} else {
		w.diags = append(w.diags, schema.RuleRawBash.DiagSeverity(hcl.DiagWarning, "INI fragment carried raw",
			"The fragment has lines stack.hcl sections cannot say (indented or key-less lines, keys outside a section, keys that are not identifiers, or a key repeated apart); it is kept verbatim as raw.", sec.Header))
		w.b.WriteString("  raw = " + heredoc(sec.Body.Text) + "")
	}
	w.b.WriteString("}\n\n")
}

// iniBlocks writes an INI fragment as section blocks, or reports false.
func iniBlocks(text string) (string, bool) {
	if text == "" {
		return "", true
	}
	var b strings.Builder
	inSection := false
	var keys []string // of the current section, in order
	var pending []string
	flushKey := func() {
		if len(pending) == 0 {
			return
		}
		key := keys[len(keys)-1]
		if len(pending) == 1 {
			b.WriteString(key + " = " + pending[0] + "\n")
		} else {
			b.WriteString(key + " = [" + strings.Join(pending, ", ") + "]\n")
		}
		pending = nil
	}
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(l) == "" && !strings.ContainsAny(l, "\r"):
			continue
		case strings.HasPrefix(strings.TrimLeft(l, " "), "#") && !strings.ContainsAny(l, "\r\t"):
			if !utf8.ValidString(l) || strings.ContainsFunc(l, func(r rune) bool { return r < ' ' }) {
				return "", false
			}
			flushKey()
			b.WriteString(strings.TrimLeft(l, " ") + "\n")
		case iniSectionRE.MatchString(l):
			flushKey()
			if inSection {
				b.WriteString("}\n")
			}
			inSection, keys = true, nil
			b.WriteString("section " + quote(iniSectionRE.FindStringSubmatch(l)[1]) + " {\n")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || !inSection || l[0] == ' ' || l[0] == '\t' || strings.ContainsAny(l, "\r") {
				return "", false
			}
			k, v = strings.TrimRight(k, " \t"), strings.Trim(v, " \t")
			if !iniKeyRE.MatchString(k) || !utf8.ValidString(v) {
				return "", false
			}
			if len(pending) > 0 && keys[len(keys)-1] == k {
				pending = append(pending, quote(v))
				continue
			}
			if slices.Contains(keys, k) {
				return "", false // repeated apart: the order would change
			}
			flushKey()
			keys = append(keys, k)
			pending = []string{quote(v)}
		}
	}
	flushKey()
	if inSection {
		b.WriteString("}\n")
	}
	return b.String(), true
}

// literal is the value of a word made of literal text only.
func literal(w *syntax.Word) (string, bool) {
	segs, ok := segments(w)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for _, s := range segs {
		if s.ref {
			return "", false
		}
		b.WriteString(s.text)
	}
	return b.String(), true
}

type segment struct {
	text string
	ref  bool // text is a variable name
}

// segments splits a word into literal text and plain variable references,
// or reports false for anything else (expansions with operators, command
// substitution, globs, tildes, escapes).
func segments(w *syntax.Word) ([]segment, bool) {
	var out []segment
	add := func(s segment) {
		if !s.ref && len(out) > 0 && !out[len(out)-1].ref {
			out[len(out)-1].text += s.text
			return
		}
		out = append(out, s)
	}
	param := func(p *syntax.ParamExp) bool {
		if p.Excl || p.Length || p.Width || p.Index != nil || p.Slice != nil || p.Repl != nil || p.Names != 0 || p.Exp != nil ||
			p.Param == nil || !bashNameRE.MatchString(p.Param.Value) || p.Param.Value == "env" {
			return false
		}
		add(segment{text: p.Param.Value, ref: true})
		return true
	}
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			if !safeLitRE.MatchString(p.Value) {
				return nil, false
			}
			add(segment{text: p.Value})
		case *syntax.SglQuoted:
			if p.Dollar {
				return nil, false
			}
			add(segment{text: p.Value})
		case *syntax.DblQuoted:
			if p.Dollar {
				return nil, false
			}
			if len(p.Parts) == 0 {
				add(segment{})
			}
			for _, dp := range p.Parts {
				switch q := dp.(type) {
				case *syntax.Lit:
					if strings.ContainsAny(q.Value, "\\`$") {
						return nil, false
					}
					add(segment{text: q.Value})
				case *syntax.ParamExp:
					if !param(q) {
						return nil, false
					}
				default:
					return nil, false
				}
			}
		case *syntax.ParamExp:
			if !param(p) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return out, true
}

// template writes a word as an HCL template string.
func template(w *syntax.Word) (string, bool) {
	segs, ok := segments(w)
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('"')
	for i, s := range segs {
		if s.ref {
			b.WriteString("${" + s.text + "}")
			continue
		}
		if !utf8.ValidString(s.text) {
			return "", false
		}
		if i+1 < len(segs) && strings.HasSuffix(s.text, "$") {
			return "", false // "$" then "${X}" would read as an escape
		}
		b.WriteString(escape(s.text))
	}
	b.WriteByte('"')
	return b.String(), true
}

// quote writes s as an HCL quoted string literal.
func quote(s string) string { return `"` + escape(s) + `"` }

func escape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteString(`\uFFFD`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteRune(r)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// heredoc writes text as a heredoc when it can be one verbatim (up to the
// $${ and %%{ escapes), else as a quoted string; either way followed by a
// newline.
func heredoc(text string) string {
	ok := utf8.ValidString(text) && !strings.ContainsFunc(text, func(r rune) bool { return r < ' ' && r != '\t' && r != '\n' || r == 0x7f })
	marker := "EOT"
	for n := 2; ok; n++ {
		clash := false
		for _, l := range strings.Split(text, "\n") {
			if strings.TrimSpace(l) == marker {
				clash = true
			}
		}
		if !clash {
			break
		}
		marker = fmt.Sprintf("EOT%d", n)
	}
	if !ok {
		return quote(text+"\n") + "\n"
	}
	esc := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(text)
	return "<<" + marker + "\n" + esc + "\n" + marker + "\n"
}
