package executor

import (
	"strings"
	"testing"

	"github.com/stackplan/stackplan/plan"
)

func frag(lines ...string) []plan.SourceLine {
	var out []plan.SourceLine
	for i, l := range lines {
		out = append(out, plan.SourceLine{File: "local.conf", Line: i + 1, Text: l})
	}
	return out
}

func TestMergeINIDevStackSemantics(t *testing.T) {
	for _, tc := range []struct {
		name, existing string
		frag           []string
		want           string
	}{
		{"new file, order kept", "", []string{"[DEFAULT]", "a = 1", "b=2", "c = 3"},
			"\n[DEFAULT]\na = 1\nb = 2\nc = 3\n"},
		{"replace keeps spacing", "[s]\nx=old\ny = keep\n", []string{"[s]", "x = new"},
			"[s]\nx=new\ny = keep\n"},
		{"repeated keys become multi-valued", "[s]\nm = old\n", []string{"[s]", "m = 1", "m = 2", "m = 3"},
			"[s]\nm = 1\nm = 2\nm = 3\n"},
		{"indented, blank and comment lines dropped", "", []string{"[s]", "  a = 1", "\tb = 2", "", "  # c", "# d", "e = 5"},
			"\n[s]\ne = 5\n"},
		{"keys before any section ignored", "", []string{"top = 1", "[s]", "k = v"},
			"\n[s]\nk = v\n"},
		{"reappearing section puts new keys above", "", []string{"[a]", "k1 = 1", "[b]", "x = 1", "[a]", "k2 = 2"},
			"\n[a]\nk2 = 2\nk1 = 1\n\n[b]\nx = 1\n"},
		{"repeat across blocks of one section", "", []string{"[a]", "m = 1", "[b]", "x = 1", "[a]", "m = 2"},
			"\n[a]\nm = 1\nm = 2\n\n[b]\nx = 1\n"},
		{"header text and brackets", "", []string{"[sec with space]", "a = 1", "[other] trailing", "b = 2"},
			"\n[sec]\na = 1\n\n[other]\nb = 2\n"},
		{"no equals sign", "", []string{"[s]", "novalue"}, "\n[s]\nnovalue = \n"},
		{"values are not evaluated", "", []string{"[s]", `v = $(touch /tmp/x) "q" a\b *`, "k;rm = 1"},
			"\n[s]\nv = $(touch /tmp/x) \"q\" a\\b *\nk;rm = 1\n"},
		{"existing section elsewhere", "[a]\nx = 1\n[b]\ny = 1\n", []string{"[b]", "z = 2", "[a]", "x = 9"},
			"[a]\nx = 9\n[b]\nz = 2\ny = 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(MergeINI([]byte(tc.existing), frag(tc.frag...)))
			if got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestExpandName(t *testing.T) {
	vars := map[string]string{"NOVA_CONF": "/etc/nova/nova.conf", "HOME": "/home/u", "D": "/d", "EMPTY": ""}
	lookup := func(names []string) ([]string, error) {
		var out []string
		for _, n := range names {
			out = append(out, vars[n])
		}
		return out, nil
	}
	for raw, want := range map[string]string{
		"$NOVA_CONF": "/etc/nova/nova.conf", "${D}/x.conf": "/d/x.conf", "~/a.conf": "/home/u/a.conf",
		"/etc/plain.conf": "/etc/plain.conf", "$EMPTY": "", "$D$EMPTY/y": "/d/y",
	} {
		got, err := expandName(raw, lookup)
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"$(id)", "`id`", "${D:-x}", "/etc/*.conf", "$1", `"$D"`} {
		if got, err := expandName(raw, lookup); err == nil || !strings.Contains(err.Error(), "does not evaluate") {
			t.Errorf("%s: want refusal, got %q, %v", raw, got, err)
		}
	}
}
