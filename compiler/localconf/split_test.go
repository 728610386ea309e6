package localconf

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/compiler/evaluator"
)

// devstackHeaderRE is DevStack's header regex from inc/meta-config. Go's
// regexp agrees with awk's ERE on whether a line matches.
var devstackHeaderRE = regexp.MustCompile(`^\[\[.+\|.*\]\]`)

func TestIsHeader(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"[[local|localrc]]", true},
		{"[[post-config|$NOVA_CONF]]", true},
		{"[[local|localrc|x]]", true},
		{"[[local|localrc]]x", true},
		{"[[local|localrc]]   # note", true},
		{"[[local|localrc]]\t", true},
		{"[[post-config|/etc/a[1].conf]]", true},
		{"[[ local | localrc ]]", true},
		{"[[ $A == 1 ]] || [[ $B == 2 ]]", true},
		{"[[local|]]", true},
		{"[[a||]]", true},
		{"[[local|localrc]]\r", true},
		{"[[x|]]]", true},
		{"[[||]]", true},  // ".+" takes the first "|"
		{"[[|]]]", false}, // one character before "|" is "|"... but then no "|" after it
		{"[[|localrc]]", false},
		{"[[local]]", false},
		{"[[local|localrc]", false},
		{" [[local|localrc]]", false},
		{"\t[[local|localrc]]", false},
		{"[local|localrc]]", false},
		{"[[local|localrc] ]", false},
		{"[[", false},
		{"[[|", false},
		{"[[a|", false},
		{"[[a|]", false},
		{"", false},
		{"# [[local|localrc]]", false},
		{"[[ -n $X ]] && [[ $Y ]]", false}, // no "|"
	} {
		if got := isHeader(tc.line); got != tc.want {
			t.Errorf("isHeader(%q) = %v, want %v", tc.line, got, tc.want)
		}
		if re := devstackHeaderRE.MatchString(tc.line); re != tc.want {
			t.Errorf("table error: DevStack's regex says %v for %q", re, tc.line)
		}
	}
}

func TestHeaderFields(t *testing.T) {
	for _, tc := range []struct {
		line, group, file string
	}{
		{"[[local|localrc]]", "local", "localrc"},
		{"[[local|localrc|x]]", "local", "localrc"},
		{"[[local|localrc]]x", "local", "localrcx"},
		{"[[local|localrc]]   # note", "local", "localrc"},
		{"[[local|localrc]]\ttrailing", "local", "localrc"},
		{"[[post-config|/etc/a[1].conf]]", "post-config", "/etc/a1.conf"},
		{"[[post-config|/etc/my file.conf]]", "post-config", "/etc/my"},
		{"[[post-config|$NOVA_CONF]]", "post-config", "$NOVA_CONF"},
		{"[[ local | localrc ]]", "", ""},
		{"[[ $A == 1 ]] || [[ $B == 2 ]]", "", ""},
		{"[[local|]]", "local", ""},
		{"[[local|localrc]]\r", "local", "localrc\r"},
		{"[[a|b]]c|d", "a", "bc"},
		{"[[a]|[b]]", "a", "b"},
	} {
		g, f := headerFields(tc.line)
		if g != tc.group || f != tc.file {
			t.Errorf("headerFields(%q) = %q, %q; want %q, %q", tc.line, g, f, tc.group, tc.file)
		}
	}
}

// splitResult is a document reduced to what the tests compare.
type splitResult struct {
	Preamble []string
	Sections []splitSection
}

type splitSection struct {
	Group, File string
	HeaderLine  int
	Body        []string
}

func reduce(doc *document) splitResult {
	var r splitResult
	for _, l := range doc.preamble {
		r.Preamble = append(r.Preamble, l.Text)
	}
	for _, s := range doc.sections {
		ss := splitSection{Group: s.group, File: s.file, HeaderLine: s.header.Num}
		for _, l := range s.body {
			ss.Body = append(ss.Body, l.Text)
		}
		r.Sections = append(r.Sections, ss)
	}
	return r
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want splitResult
	}{
		{"empty", "", splitResult{}},
		{"one newline", "\n", splitResult{Preamble: []string{""}}},
		{
			"plain", "[[local|localrc]]\nA=1\n\n# c\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\nk = v\n",
			splitResult{Sections: []splitSection{
				{"local", "localrc", 1, []string{"A=1", "", "# c"}},
				{"post-config", "$NOVA_CONF", 5, []string{"[DEFAULT]", "k = v"}},
			}},
		},
		{
			"header-like bash line ends the section", "[[local|localrc]]\nA=1\n[[ $A == 1 ]] || [[ $B == 2 ]]\nenable_plugin lost u\n[[local|localrc]]\nB=2\n",
			splitResult{Sections: []splitSection{
				{"local", "localrc", 1, []string{"A=1"}},
				{"", "", 3, []string{"enable_plugin lost u"}},
				{"local", "localrc", 5, []string{"B=2"}},
			}},
		},
		{
			"glued text joins the file name", "[[local|localrc]]x\nA=1\n",
			splitResult{Sections: []splitSection{{"local", "localrcx", 1, []string{"A=1"}}}},
		},
		{
			"brackets deleted from the file name", "[[post-config|/etc/a[1].conf]]\n[s]\n",
			splitResult{Sections: []splitSection{{"post-config", "/etc/a1.conf", 1, []string{"[s]"}}}},
		},
		{
			"third field ignored", "[[local|localrc|x]]\nA=1\n",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, []string{"A=1"}}}},
		},
		{
			"trailing text after whitespace", "[[local|localrc]]   # note\nA=1\n[[local|localrc]]\tx\nB=1\n",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, []string{"A=1"}}, {"local", "localrc", 3, []string{"B=1"}}}},
		},
		{
			"not headers are content", "[[local|localrc]]\n  [[post-config|/x]]\n\t[[post-config|/y]]\n[[local]]\n[[local|localrc]\n[[|localrc]]\n",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, []string{"  [[post-config|/x]]", "\t[[post-config|/y]]", "[[local]]", "[[local|localrc]", "[[|localrc]]"}}}},
		},
		{
			"spaces inside brackets: empty group ends the section", "[[local|localrc]]\nA=1\n[[ local | localrc ]]\nB=2\n",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, []string{"A=1"}}, {"", "", 3, []string{"B=2"}}}},
		},
		{
			"CRLF keeps the carriage return", "[[local|localrc]]\r\nA=1\r\n",
			splitResult{Sections: []splitSection{{"local", "localrc\r", 1, []string{"A=1\r"}}}},
		},
		{
			"content before the first header", "A=0\n\n[[local|localrc]]\nA=1\n",
			splitResult{Preamble: []string{"A=0", ""}, Sections: []splitSection{{"local", "localrc", 3, []string{"A=1"}}}},
		},
		{
			"no header at all", "A=0\nenable_plugin a u",
			splitResult{Preamble: []string{"A=0", "enable_plugin a u"}},
		},
		{
			"last line without newline", "[[local|localrc]]\nA=1",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, []string{"A=1"}}}},
		},
		{
			"header as last line", "[[local|localrc]]",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, nil}}},
		},
		{
			"blank lines kept at the end", "[[local|localrc]]\nA=1\n\n\n",
			splitResult{Sections: []splitSection{{"local", "localrc", 1, []string{"A=1", "", ""}}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reduce(split([]byte(tc.src)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("split(%q) mismatch (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}

func TestConcatenatedLocalrc(t *testing.T) {
	src := "[[local|localrc]]\nA=1\n[[post-config|/x]]\n[s]\n[[local|localrc]]\nB=2"
	cfg, _ := Parse("local.conf", []byte(src), Options{})
	var texts []string
	for _, s := range cfg.Localrc {
		texts = append(texts, s.Text)
	}
	if diff := cmp.Diff([]string{"A=1", "B=2"}, texts); diff != "" {
		t.Errorf("localrc spans (-want +got):\n%s", diff)
	}
	var doc []line
	for _, s := range split([]byte(src)).sections {
		if s.isLocalrc() {
			doc = append(doc, s.body...)
		}
	}
	text := evaluator.JoinLines(doc)
	if text != "A=1\nB=2\n" {
		t.Errorf("concatenated localrc = %q", text)
	}
}
