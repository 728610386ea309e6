package pluginsettings

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/schema"
)

func reqs(d *Declarations) string {
	var out []string
	for _, r := range d.Requires {
		out = append(out, fmt.Sprintf("%s@%d", r.Name, r.Range.Start.Line))
	}
	return strings.Join(out, " ")
}

func findings(d *Declarations) string {
	var out []string
	for _, x := range d.Diags {
		if schema.RuleOf(x) != schema.RuleSettingsDeclaration.ID {
			out = append(out, "wrong rule "+schema.RuleOf(x))
		}
		out = append(out, fmt.Sprintf("%d: %s", x.Subject.Start.Line, x.Summary))
	}
	return strings.Join(out, "\n")
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, file     string
		src            string
		wantName       string
		wantReqs       string
		wantFindings   string
		wantNameColumn int
	}{
		{name: "real pattern", file: "testdata/stx-style.settings", wantName: "cfg-plugin",
			wantReqs: "integ-plugin@11 update-plugin@12", wantNameColumn: 15},
		{name: "quirks", file: "testdata/quirks.settings", wantName: "octavia-lb",
			// The role attaches everything to the last name: barbican
			// (line 4), the here-document line (12), the quoted word (14)
			// as "keystone" with its quotes, and neutron (16).
			wantReqs: `barbican@4 glance@12 "keystone"@14 neutron@16`,
			wantFindings: strings.Join([]string{
				"2: plugin_requires lbaas barbican before define_plugin is ignored",
				"6: plugin_requires names other-plugin, but this file defines lbaas: ignored",
				"7: plugin_requires without a second word is not read",
				"9: the Zuul role does not read this plugin_requires",
				"12: the Zuul role reads a declaration that bash never runs as a command",
				"14: the Zuul role reads \"keystone\" literally",
				"15: a second define_plugin (octavia-lb after lbaas)",
			}, "\n"), wantNameColumn: 15},
		{name: "requirement without a definition", src: "plugin_requires a b\n",
			wantFindings: "1: plugin_requires a b before define_plugin is ignored"},
		{name: "definition alone", src: "define_plugin solo\n", wantName: "solo", wantNameColumn: 15},
		{name: "CRLF", src: "define_plugin a\r\nplugin_requires a b\r\n", wantName: "a", wantReqs: "b@2", wantNameColumn: 15},
		{name: "no trailing newline", src: "define_plugin a\nplugin_requires a b", wantName: "a", wantReqs: "b@2", wantNameColumn: 15},
		{name: "after a semicolon", src: "define_plugin a\ntrue; plugin_requires a b\n", wantName: "a", wantNameColumn: 15,
			wantFindings: "2: the Zuul role does not read this plugin_requires"},
		{name: "variable name", src: "N=x\ndefine_plugin $N\nplugin_requires $N b\n", wantName: "$N", wantReqs: "b@3", wantNameColumn: 15,
			wantFindings: "2: the Zuul role reads $N literally"},
		{name: "not bash", src: "define_plugin a\nplugin_requires a b\nif then fi (\n", wantName: "a", wantReqs: "b@2", wantNameColumn: 15,
			wantFindings: "3: the settings file is not valid bash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			filename := "settings"
			if tt.file != "" {
				var err error
				if src, err = os.ReadFile(tt.file); err != nil {
					t.Fatal(err)
				}
				filename = tt.file
			}
			d := Parse(filename, src)
			if d.Name != tt.wantName {
				t.Errorf("name %q, want %q", d.Name, tt.wantName)
			}
			if d.Name != "" && d.NameRange.Start.Column != tt.wantNameColumn {
				t.Errorf("name column %d, want %d", d.NameRange.Start.Column, tt.wantNameColumn)
			}
			if got := reqs(d); got != tt.wantReqs {
				t.Errorf("requires %q, want %q", got, tt.wantReqs)
			}
			if got := findings(d); got != tt.wantFindings {
				t.Errorf("findings:\n%s\nwant:\n%s", got, tt.wantFindings)
			}
			for _, x := range d.Diags {
				if x.Subject.Filename != filename || x.Subject.Start.Byte > len(src) || x.Subject.End.Byte > len(src) {
					t.Errorf("finding %q outside the input: %v", x.Summary, x.Subject)
				}
			}
		})
	}
}

// FuzzParse: never panics, every position lies in the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"define_plugin a\nplugin_requires a b\n", "plugin_requires a\n", "cat <<E\ndefine_plugin x\nE\n", "é\xffdefine_plugin"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d := Parse("s", src)
		check := func(what string, r interface{ String() string }, start, end int) {
			if start < 0 || end > len(src) || start > end {
				t.Fatalf("%s %s outside the input of %d bytes", what, r, len(src))
			}
		}
		for _, x := range d.Diags {
			check(x.Summary, x.Subject, x.Subject.Start.Byte, x.Subject.End.Byte)
		}
		for _, r := range d.Requires {
			check(r.Name, r.Range, r.Range.Start.Byte, r.Range.End.Byte)
		}
	})
}
