package localconf

import (
	"strings"
	"testing"
)

// FuzzSplit checks the header splitter: it never panics, every line is
// kept exactly once and in order, and headers are exactly the lines
// isHeader accepts.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"[[local|localrc]]\nA=1\n",
		"pre\n[[local|localrc]]x\n[[ local | localrc ]]\nB\n[[post-config|/etc/a[1].conf]]\n[DEFAULT]\nk=v",
		"[[local|localrc]]\r\nA=1\r\n",
		"[[|x]]\n[[a|]]\n[[a|b]\n  [[a|b]]\n[[a|b|c]] tail\t\n",
		"",
		"\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		doc := split(src)
		var rebuilt []string
		for _, l := range doc.lines {
			if strings.Contains(l.Text, "\n") {
				t.Fatalf("line %d holds a newline", l.Num)
			}
			if l.Start < 0 || l.Start+len(l.Text) > len(src) || string(src[l.Start:l.Start+len(l.Text)]) != l.Text {
				t.Fatalf("line %d does not match the input at %d", l.Num, l.Start)
			}
			rebuilt = append(rebuilt, l.Text)
		}
		joined := strings.Join(rebuilt, "\n")
		if want := strings.TrimSuffix(string(src), "\n"); len(src) > 0 && joined != want && joined+"\n" != string(src) {
			t.Fatalf("lines do not rebuild the input")
		}
		n := len(doc.preamble)
		for _, s := range doc.sections {
			if !isHeader(s.header.Text) {
				t.Fatalf("section header %q is not a header", s.header.Text)
			}
			g, file := headerFields(s.header.Text)
			if g != s.group || file != s.file {
				t.Fatalf("fields of %q: %q %q, section has %q %q", s.header.Text, g, file, s.group, s.file)
			}
			if strings.ContainsAny(s.group+s.file, "[]| \t") {
				t.Fatalf("field of %q holds a bracket, bar or blank: %q %q", s.header.Text, s.group, s.file)
			}
			n++
			for _, b := range s.body {
				if isHeader(b.Text) {
					t.Fatalf("body line %q is a header", b.Text)
				}
			}
			n += len(s.body)
		}
		if n != len(doc.lines) {
			t.Fatalf("%d lines in sections and preamble, %d in the input", n, len(doc.lines))
		}
	})
}

// FuzzParse checks the whole front-end, evaluator included: it never
// panics, and every range it returns lies inside the input with line and
// column matching the byte offset.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("A=1\nenable_plugin foo https://x/foo\n"), true)
	f.Fuzz(func(t *testing.T, src []byte, legacy bool) {
		opts := Options{Env: map[string]string{"GIT_BASE": "https://g"}}
		name := "local.conf"
		if legacy {
			opts.Kind = "localrc"
			name = "localrc"
		}
		cfg, diags := Parse(name, src, opts)
		if cfg == nil {
			t.Fatal("nil config")
		}
		for _, p := range rangeProblems(name, src, cfg, diags) {
			t.Error(p)
		}
	})
}

// parseSeeds cover each construct the evaluator follows.
var parseSeeds = []string{
	"[[local|localrc]]\nenable_plugin foo https://x/foo stable/x\nDEST=/srv\nenable_plugin bar $GIT_BASE/bar\n",
	"[[local|localrc]]\nif is_service_enabled q-svc; then\n  enable_plugin a u\nelif [[ $X == 1 ]]; then\n  B=2\nelse\n  C=3\nfi\n",
	"[[local|localrc]]\ncase $X in a|b) enable_plugin a u;; *) ;; esac\nfor p in a b; do enable_plugin $p u/$p; done\n",
	"[[local|localrc]]\nf() { enable_plugin \"$1\" \"$2\"; }\nf x y\nwhile read l; do :; done\n",
	"[[local|localrc]]\nV=$(hostname)\nenable_plugin a $V\n(enable_plugin b u)\necho | enable_plugin c u\n",
	"[[local|localrc]]\nA=1 \\\n  B=2\nexport X=1\ndeclare -a L=(1 2)\nL+=(3)\nY=${Z:-d}${W:=e}\n",
	"[[local|localrc]]\nif [[ $A == 1\n",
	"[[local|localrc]]\nenabel_plugin foo u\nenable_services x\nsource /x\neval \"$Y\"\n",
	"[[local|localrc]]\nenable_service a b\ndisable_service c\ndisable_all_services\nENABLED_SERVICES+=,-a\n",
	"[[local|localrc]]\nA=é\xff\nenable_plugin ü u # stackplan: requires=a,b\n",
	"x\n[[local|localrc]]\nA=1\n[[ $A == 1 ]] || [[ $B == 2 ]]\nenable_plugin lost u\n[[local|localrc]]\nB=2",
	"[[local|localrc]]\r\nenable_plugin a u\r\n",
	"[[local|localrc]]\nf(){ f; }; f\nwhile true; do enable_plugin w u; done\nfor i in {1..100000000}; do :; done\n",
	// Values that grow without bound, and deep arithmetic (plan-time limits).
	"[[local|localrc]]\nX=ab\n" + strings.Repeat("X=$X$X\n", 40) + "enable_plugin a u\n",
	"[[local|localrc]]\nX=" + strings.Repeat("x", 1000) + "\nY=${X//?/$X}\nY=${Y//?/$Y}\n",
	"[[local|localrc]]\n(( " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + " ))\nN=$(( " + strings.Repeat("1+", 3000) + "1 ))\n",
	"[[local|localrc]]\nfor (( i = 0; i < 100000000; i++ )); do :; done\nW=0\nwhile (( W < 3 )); do W=$((W+1)); done\n",
	// Bash the evaluator follows exactly.
	"[[local|localrc]]\ncase a in a) A=1 ;;& *) B=2 ;& x) C=3 ;; esac\nset -- p u\nenable_plugin \"$1\" \"$2\"\n",
	"[[local|localrc]]\nf() { declare X=1; local Y=2; typeset -g Z=3; }\nf\nlocal Q=1\ndeclare -A M\nM[os-vif]=x\nGITREPO[a]=${M[os-vif]}\n",
	"[[local|localrc]]\n[[ stable/x =~ ^([a-z]+)/(.*)$ ]] && B=${BASH_REMATCH[2]}\nR=${B//\\//\\/}\nis_foo_enabled() { return 0; }\nis_service_enabled foo swift n-cpu-1 && enable_plugin os-vif u\nWSGI_MODE=mod_wsgi\n",
}
