package compiler

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

// TestSectionsEvaluated checks that what DevStack would run through eval in
// a config meta-section (the header's file name, INI keys and values) is an
// error at plan time, at its position, and that ordinary sections are clean.
func TestSectionsEvaluated(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"variable file name", "[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\nmy_ip = $HOST_IP\n", nil},
		{"braced and literal", "[[post-config|${DEST}/etc/a.conf]]\n[a]\nb=c\n[[test-config|/etc/tempest/tempest.conf]]\n[x]\ny = z\n", nil},
		{"command substitution", "[[post-config|$(touch${IFS}x)]]\n[a]\nb=c\n", []string{"not-evaluated@2:15-2:30"}},
		{"backticks", "[[extra|`id`]]\n", []string{"not-evaluated@2:9-2:13"}},
		{"semicolon", "[[post-extra|/etc/a;id]]\n", []string{"not-evaluated@2:14-2:23"}},
		{"glued trailing text", "[[post-config|/etc/a.conf]]$(id)\n", []string{"header-trailing-text@2:1-2:33", "not-evaluated@2:15-2:33"}},
		{"unknown group is not merged", "[[post_config|$(id)]]\n", []string{"unknown-section@2:1-2:22"}},
		{"key with semicolon", "[[post-config|/etc/a.conf]]\n[s]\nk;touch x = 1\n", []string{"not-evaluated@4:2-4:14"}},
		{"key with substitution", "[[post-config|/etc/a.conf]]\n[s]\nk$(id) = 1\n", []string{"not-evaluated@4:2-4:11"}},
		{"value with substitution", "[[post-config|/etc/a.conf]]\n[s]\nk = a$(touch x)\n", []string{"not-evaluated@4:6-4:16"}},
		{"value with backticks", "[[post-config|/etc/a.conf]]\n[s]\nk = `id`\n", []string{"not-evaluated@4:5-4:9"}},
		{"value breaking out of quotes", "[[post-config|/etc/a.conf]]\n[s]\nk = x\"; touch y; \"\n", []string{"not-evaluated@4:6-4:19"}},
		{"dropped lines are not evaluated", "[[post-config|/etc/a.conf]]\n[s]\n  k = $(id)\n# k = `id`\n[a$(id)]\n", []string{"ini-dropped@4:3-4:12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, findingsOf("[[local|localrc]]\n"+tc.body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestINIDropped checks the INI lines DevStack's merge drops or misfiles
// without a word, each at its position; comments and blank lines, indented
// or not, are dropped as meant.
func TestINIDropped(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"clean", "[[post-config|/etc/a.conf]]\n# note\n\t# tab comment\n   \n[DEFAULT]\ndebug = True\n[b] trailing\nx=y\n", nil},
		{"key before any section", "[[post-config|/etc/a.conf]]\ndebug = True\n[DEFAULT]\nx = 1\n", []string{"ini-dropped@3:1-3:13"}},
		{"indented header", "[[post-config|/etc/a.conf]]\n[DEFAULT]\n\t[b]\nx = 1\n", []string{"ini-dropped@4:2-4:5"}},
		{"indented key", "[[post-config|/etc/a.conf]]\n[DEFAULT]\nx = a,\n    b\n", []string{"ini-dropped@5:5-5:6"}},
		{"backslash continuation", "[[post-config|/etc/a.conf]]\n[DEFAULT]\nx = a \\\nb = c\n", []string{"ini-dropped@5:1-5:6"}},
		{"each section of a header on its own", "[[post-config|/etc/a.conf]]\n[s]\nk = v\n[[post-config|/etc/b.conf]]\nk = v\n", []string{"ini-dropped@6:1-6:6"}},
		{"unmerged groups are not checked", "[[post_config|/etc/a.conf]]\nk = v\n", []string{"unknown-section@2:1-2:28"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, findingsOf("[[local|localrc]]\n"+tc.body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// findingsOf compiles a local.conf and lists its findings as RULE@RANGE.
func findingsOf(src string) []string {
	cfg, front := localconf.Parse("local.conf", []byte(src), localconf.Options{})
	_, diags := Compile(cfg, front, Options{})
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s@%d:%d-%d:%d", schema.RuleOf(d), d.Subject.Start.Line, d.Subject.Start.Column, d.Subject.End.Line, d.Subject.End.Column))
	}
	return got
}
