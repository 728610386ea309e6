package localconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stackplan/stackplan/schema"
)

// parseCase is one table test of Parse. Every field is compared whole;
// nil means "none".
type parseCase struct {
	name    string
	src     string // localrc body; the [[local|localrc]] header is added on line 1
	opts    Options
	plugins []plug
	assigns []string
	rules   []string
	// services, when not nil, is the expected ENABLED_SERVICES ("?" when unknown).
	services []string
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := lrc(tc.src)
			cfg, diags := Parse("local.conf", src, tc.opts)
			if diff := cmp.Diff(tc.plugins, plugs(cfg)); diff != "" {
				t.Errorf("plugins (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.assigns, assigns(cfg)); diff != "" {
				t.Errorf("assignments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.rules, rules(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
				for _, d := range diags {
					t.Logf("%s: %s", d.Summary, d.Detail)
				}
			}
			if tc.services != nil {
				got := cfg.Services.Enabled
				if !cfg.Services.EnabledKnown {
					got = []string{"?"}
				}
				if diff := cmp.Diff(tc.services, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("services (-want +got):\n%s", diff)
				}
			}
			for _, p := range rangeProblems("local.conf", src, cfg, diags) {
				t.Error(p)
			}
		})
	}
}

func TestParseAssignments(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:    "plain, append, defaults",
			src:     "A=1\nA+=2\nB=${C:-def}\nD=${E:=x}${E}\nF=${A:-no}\n",
			assigns: []string{"A=1", "A+=12", "B=def", "D=xx", "F=12"},
		},
		{
			name:    "arrays",
			src:     "L=(a b)\nL+=(c)\nM[2]=z\nN=(${L[@]})\nenable_plugin ${L[1]} u/${L[2]} ${M[2]}\n",
			assigns: []string{"L=a", "L+=a", "M=", "N=a"},
			plugins: []plug{{"b", "u/c", "z", "/opt/stack/b", false, "6:15-6:22"}},
		},
		{
			name:    "quoting, continuation and comments",
			src:     "F=\"a b\"'c'\\\nd # comment\n# enable_plugin commented u\nG='$F' H=\"$F\"\nenable_plugin \\\n  q \\\n  'https://h/q' # trailing\n",
			assigns: []string{"F=a bcd", "G=$F", "H=a bcd"},
			plugins: []plug{{"q", "https://h/q", "master", "/opt/stack/q", false, "7:3-7:4"}},
		},
		{
			name:    "export, declare, local",
			src:     "export E1=1\ndeclare -x E2=2\nE3=3\nexport E3\nreadonly R=r\nf() { local L=in; G=$L; }\nL=out\nf\nenable_plugin $L $G\n",
			assigns: []string{"E1=1", "E2=2", "E3=3", "R=r", "L=out", "L=in", "G=in"},
			plugins: []plug{{"out", "in", "master", "/opt/stack/out", false, "10:15-10:17"}},
		},
		{
			name:    "command substitution makes values unknown",
			src:     "V=$(hostname)\nW=`id -u`\nenable_plugin bar $V\nenable_plugin $W u\n",
			assigns: []string{"V=?$(hostname)", "W=?`id -u`"},
			plugins: []plug{
				{"bar", "?$V", "master", "/opt/stack/bar", false, "4:15-4:18"},
				{"?$W", "u", "master", "?$DEST/$W", false, "5:15-5:17"},
			},
		},
	})
}

func TestParseUnknownWhy(t *testing.T) {
	cfg, _ := Parse("local.conf", lrc("V=$(hostname)\nenable_plugin bar https://$V/bar\n"), Options{})
	p := cfg.Plugins[0]
	if p.URL.Known() || p.URL.Missing() {
		t.Fatalf("URL %#v should be unknown", p.URL)
	}
	if want := "it uses a command substitution, which runs only when localrc is sourced"; p.URL.Why != want {
		t.Errorf("URL.Why = %q, want %q", p.URL.Why, want)
	}
	if p.URL.Text != "https://$V/bar" || at(p.URL.Range) != "3:19-3:33" {
		t.Errorf("URL text %q at %s", p.URL.Text, at(p.URL.Range))
	}
}

func TestParseGitBase(t *testing.T) {
	src := lrc("enable_plugin foo $GIT_BASE/openstack/foo\nenable_plugin bar ${GIT_BASE:-https://opendev.org}/openstack/bar\n")
	cfg, _ := Parse("local.conf", src, Options{})
	if diff := cmp.Diff([]plug{
		{"foo", "/openstack/foo", "master", "/opt/stack/foo", false, "2:15-2:18"},
		{"bar", "https://opendev.org/openstack/bar", "master", "/opt/stack/bar", false, "3:15-3:18"},
	}, plugs(cfg)); diff != "" {
		t.Errorf("without GIT_BASE (-want +got):\n%s", diff)
	}
	if cfg.Plugins[0].URL.Why == "" {
		t.Error("foo's URL should say GIT_BASE is unset")
	}
	if cfg.Plugins[1].URL.Why != "" {
		t.Errorf("bar's URL has a default, but Why = %q", cfg.Plugins[1].URL.Why)
	}
	if len(cfg.Env) != 0 {
		t.Errorf("Env = %v", cfg.Env)
	}

	cfg, _ = Parse("local.conf", src, Options{Env: map[string]string{"GIT_BASE": "https://g.example", "UNUSED": "x"}, Dest: "/srv"})
	if diff := cmp.Diff([]plug{
		{"foo", "https://g.example/openstack/foo", "master", "/srv/foo", false, "2:15-2:18"},
		{"bar", "https://g.example/openstack/bar", "master", "/srv/bar", false, "3:15-3:18"},
	}, plugs(cfg)); diff != "" {
		t.Errorf("with GIT_BASE and --dest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]schema.EnvVar{{Name: "GIT_BASE", Value: "https://g.example"}}, cfg.Env); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
	if cfg.Dest != "/srv" {
		t.Errorf("Dest = %q", cfg.Dest)
	}
}

func TestParseControlFlow(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:    "known if/elif/else",
			src:     "A=2\nif [ \"$A\" = 1 ]; then\n  enable_plugin one u\nelif [[ $A == 2 ]]; then\n  enable_plugin two u\nelse\n  enable_plugin three u\nfi\n",
			assigns: []string{"A=2"},
			plugins: []plug{{"two", "u", "master", "/opt/stack/two", false, "6:17-6:20"}},
		},
		{
			name:    "unknown condition",
			src:     "V=$(hostname)\nif [[ $V == 1 ]]; then\n  enable_plugin c1 u\n  W=1\nelse\n  W=2\nfi\nenable_plugin w $W\n",
			assigns: []string{"V=?$(hostname)", "if W=1", "if W=2"},
			plugins: []plug{
				{"c1", "u", "master", "/opt/stack/c1", true, "4:17-4:19"},
				{"w", "?$W", "master", "/opt/stack/w", false, "9:15-9:16"},
			},
			rules: []string{"conditional-plugin@4:3"},
		},
		{
			name:    "same value in every branch stays known",
			src:     "if [ -f /etc/x ]; then W=1; else W=1; fi\nenable_plugin w $W\n",
			assigns: []string{"if W=1", "if W=1"},
			plugins: []plug{{"w", "1", "master", "/opt/stack/w", false, "3:15-3:16"}},
		},
		{
			name:    "case",
			src:     "X=b\ncase $X in\n  a) enable_plugin ca u ;;\n  b|c) enable_plugin cb u ;;\nesac\ncase $(uname) in\n  Linux) enable_plugin cu u ;;\nesac\n",
			assigns: []string{"X=b"},
			plugins: []plug{
				{"cb", "u", "master", "/opt/stack/cb", false, "5:22-5:24"},
				{"cu", "u", "master", "/opt/stack/cu", true, "8:24-8:26"},
			},
			rules: []string{"conditional-plugin@8:10"},
		},
		{
			name: "for over known words",
			src:  "for p in p1 \"p2 x\" p3; do enable_plugin ${p% *} https://h/$p; done\n",
			plugins: []plug{
				{"p1", "https://h/p1", "master", "/opt/stack/p1", false, "2:41-2:48"},
				{"p2", "https://h/p2", "x", "/opt/stack/p2", false, "2:41-2:48"},
				{"p3", "https://h/p3", "master", "/opt/stack/p3", false, "2:41-2:48"},
			},
		},
		{
			name:    "while: the body may or may not run",
			src:     "while read l; do enable_plugin wl u; Q=1; done\n",
			assigns: []string{"if Q=1"},
			plugins: []plug{{"wl", "u", "master", "/opt/stack/wl", true, "2:32-2:34"}},
			rules:   []string{"conditional-plugin@2:18"},
		},
		{
			name: "functions defined and called",
			src:  "f() { enable_plugin \"$1\" \"$2\" ${3:-}; }\nf fa ua\nfunction g { f \"$@\"; }\ng fb ub stable/b\n",
			plugins: []plug{
				{"fa", "ua", "master", "/opt/stack/fa", false, "2:21-2:25"},
				{"fb", "ub", "stable/b", "/opt/stack/fb", false, "2:21-2:25"},
			},
		},
		{
			name:    "exit stops the localrc",
			src:     "enable_plugin a u\nreturn\nenable_plugin b u\n",
			plugins: []plug{{"a", "u", "master", "/opt/stack/a", false, "2:15-2:16"}},
		},
		{
			name: "subshell, pipeline and background lose the registration",
			src:  "(enable_plugin sub u; S=1)\necho x | enable_plugin pipe u\nenable_plugin bg u &\n{ enable_plugin blk u; }\nenable_plugin s $S\n",
			plugins: []plug{
				{"blk", "u", "master", "/opt/stack/blk", false, "5:17-5:20"},
				{"s", "-", "master", "/opt/stack/s", false, "6:15-6:16"},
			},
			rules: []string{"not-evaluated@2:2", "not-evaluated@3:10", "not-evaluated@4:1", "unset-variable@6:17"},
		},
		{
			name:  "source and eval are not followed",
			src:   "source /etc/foo\n. ./bar\neval \"enable_plugin ev u\"\n",
			rules: []string{"not-evaluated@2:1", "not-evaluated@3:1", "not-evaluated@4:1"},
		},
		{
			name:    "misspelt commands",
			src:     "enabel_plugin typo u\nenable_services s\nenable_plugin ok u\n",
			plugins: []plug{{"ok", "u", "master", "/opt/stack/ok", false, "4:15-4:17"}},
			rules:   []string{"unknown-command@2:1", "unknown-command@3:1"},
		},
		{
			name:    "bash syntax error",
			src:     "enable_plugin a u\nif [ x = x ]; then\n  enable_plugin b u\nenable_plugin c u\n",
			plugins: []plug{{"a", "u", "master", "/opt/stack/a", false, "2:15-2:16"}},
			rules:   []string{"bash-syntax@3:1"},
		},
	})
}

func TestParseSyntaxErrorNamesLostPlugins(t *testing.T) {
	_, diags := Parse("local.conf", lrc("enable_plugin a u\nif [ x = x ]; then\n  enable_plugin b u\nenable_plugin c u\n"), Options{})
	want := "bash stops sourcing localrc at a syntax error, and DevStack goes on without a word: the 3 lines from here to the end of the localrc are ignored. Plugins lost this way: b (line 4), c (line 5)."
	if len(diags) != 1 || diags[0].Detail != want {
		t.Fatalf("diags = %v", diags)
	}
}

func TestParseServices(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:     "default list",
			src:      "A=1\n",
			assigns:  []string{"A=1"},
			services: []string{"key", "n-api", "n-cpu", "n-cond", "n-sch", "n-novnc", "n-api-meta", "placement-api", "placement-client", "g-api", "c-sch", "c-api", "c-vol", "ovn-controller", "ovn-northd", "ovs-vswitchd", "ovsdb-server", "q-svc", "q-ovn-agent", "horizon", "rabbit", "tempest", "mysql", "etcd3", "dstat"},
		},
		{
			name: "edits, negation and is_service_enabled",
			src: "disable_all_services\nenable_service key mysql -mysql\nenable_service q-svc q-agt\ndisable_service q-agt\n" +
				"ENABLED_SERVICES+=,n-cpu,-key\nenable_service rabbit\n" +
				"if is_service_enabled n-cpu; then enable_plugin n u; fi\n" +
				"if is_service_enabled nova; then enable_plugin nv u; fi\n" +
				"if is_service_enabled horizon; then enable_plugin hz u; else enable_plugin nohz u; fi\n" +
				"enable_service q-agt\n",
			assigns: []string{"ENABLED_SERVICES+=key,q-svc,n-cpu,-key"},
			plugins: []plug{
				{"n", "u", "master", "/opt/stack/n", false, "8:49-8:50"},
				{"nv", "u", "master", "/opt/stack/nv", false, "9:48-9:50"},
				{"nohz", "u", "master", "/opt/stack/nohz", false, "10:76-10:80"},
			},
			rules:    []string{"enable-disabled-service@11:16"},
			services: []string{"q-svc", "n-cpu", "rabbit"},
		},
		{
			name:     "ENABLED_SERVICES assigned directly",
			src:      "ENABLED_SERVICES=a,b\nenable_service c\n",
			assigns:  []string{"ENABLED_SERVICES=a,b"},
			services: []string{"a", "b", "c"},
		},
		{
			name:     "unknown service list",
			src:      "ENABLED_SERVICES=$(cat x)\nif is_service_enabled a; then enable_plugin a u; fi\n",
			assigns:  []string{"ENABLED_SERVICES=?$(cat x)"},
			plugins:  []plug{{"a", "u", "master", "/opt/stack/a", true, "3:45-3:46"}},
			rules:    []string{"conditional-plugin@3:31"},
			services: []string{"?"},
		},
	})
}

func TestParseDest(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name:    "DEST before and after enable_plugin",
			src:     "enable_plugin d1 u\nDEST=/srv/stack\nenable_plugin d2 u\nDEST=/srv/stack\nDEST=/x\n",
			assigns: []string{"DEST=/srv/stack", "DEST=/srv/stack", "DEST=/x"},
			plugins: []plug{
				{"d1", "u", "master", "/opt/stack/d1", false, "2:15-2:17"},
				{"d2", "u", "master", "/srv/stack/d2", false, "4:15-4:17"},
			},
			rules: []string{"dest-after-plugin@3:1", "dest-after-plugin@6:1"},
		},
		{
			name:    "DEST set first: no warning",
			src:     "DEST=/srv\nenable_plugin a u\n",
			assigns: []string{"DEST=/srv"},
			plugins: []plug{{"a", "u", "master", "/srv/a", false, "3:15-3:16"}},
		},
		{
			name:    "--dest, and the environment cannot change DEST",
			src:     "enable_plugin a u $DEST\n",
			opts:    Options{Dest: "/d", Env: map[string]string{"DEST": "/env"}},
			plugins: []plug{{"a", "u", "/d", "/d/a", false, "2:15-2:16"}},
		},
		{
			name:    "TARGET_BRANCH",
			src:     "enable_plugin a u $TARGET_BRANCH\n",
			plugins: []plug{{"a", "u", "master", "/opt/stack/a", false, "2:15-2:16"}},
		},
	})
}

func TestDetectKind(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"localrc", "A=1\n", schema.KindLocalrc},
		{"/x/Localrc.conf", "A=1\n", schema.KindLocalrc},
		{"localrc", "[[local|localrc]]\nA=1\n", schema.KindLocalConf},
		{"local.conf", "A=1\n", schema.KindLocalConf},
		{"-", "A=1\n", schema.KindLocalConf},
	} {
		if got := DetectKind(tc.name, []byte(tc.src)); got != tc.want {
			t.Errorf("DetectKind(%q, %q) = %q, want %q", tc.name, tc.src, got, tc.want)
		}
	}
}

func TestParseLegacyLocalrc(t *testing.T) {
	src := []byte("DEST=/srv\nenable_plugin a u\n[[ x ]]\n")
	cfg, diags := Parse("localrc", src, Options{})
	if diff := cmp.Diff([]plug{{"a", "u", "master", "/srv/a", false, "2:15-2:16"}}, plugs(cfg)); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
	if len(diags) != 0 || cfg.Inputs[0].Kind != schema.KindLocalrc {
		t.Errorf("diags %v, kind %q", diags, cfg.Inputs[0].Kind)
	}
	// The same text as a local.conf is ignored by DevStack.
	cfg, diags = Parse("local.conf", src, Options{})
	if len(cfg.Plugins) != 0 || cmp.Diff([]string{"no-localrc@1:1"}, rules(diags)) != "" {
		t.Errorf("as local.conf: plugins %v, diags %v", plugs(cfg), rules(diags))
	}
}

func TestParseHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		plugins   []string
		rules     []string
	}{
		{"header-like bash line", "[[local|localrc]]\nenable_plugin a u\n[[ $A == 1 ]] || [[ $B == 2 ]]\nenable_plugin lost u\n", []string{"a"}, []string{"header-like-line@3:1"}},
		{"CRLF", "[[local|localrc]]\r\nenable_plugin a u\r\n", nil, []string{"crlf@1:18"}},
		{"glued text", "[[local|localrc]]x\nenable_plugin a u\n", nil, []string{"header-trailing-text@1:1", "no-localrc@1:1"}},
		{"third field", "[[local|localrc|x]]\nenable_plugin a u\n", []string{"a"}, nil},
		{"comment after blank", "[[local|localrc]]  # c\nenable_plugin a u\n", []string{"a"}, nil},
		{"spaces in brackets", "[[local|localrc]]\nenable_plugin a u\n[[ local | localrc ]]\nenable_plugin b u\n", []string{"a"}, []string{"malformed-header@3:1"}},
		{"content before header", "enable_plugin z u\n[[local|localrc]]\nenable_plugin a u\n", []string{"a"}, []string{"content-before-header@1:1"}},
		{"sections concatenated", "[[local|localrc]]\nA=a\n[[post-config|/etc/x]]\n[s]\nk=v\n[[local|localrc]]\nenable_plugin $A u", []string{"a"}, nil},
		{"indented header is content", "[[local|localrc]]\n  [[local|localrc]]\nenable_plugin a u\n", []string{"a"}, []string{"malformed-header@2:1"}},
		{"not headers", "[[local|localrc]]\n[[local]]\n", nil, []string{"malformed-header@2:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := Parse("local.conf", []byte(tc.src), Options{})
			var names []string
			for _, p := range cfg.Plugins {
				names = append(names, p.Name.String())
			}
			if diff := cmp.Diff(tc.plugins, names); diff != "" {
				t.Errorf("plugins (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.rules, rules(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
				for _, d := range diags {
					t.Logf("%s: %s", d.Summary, d.Detail)
				}
			}
		})
	}
}
