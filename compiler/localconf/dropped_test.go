package localconf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/schema"
)

// TestDroppedHeadersMatchDevStack checks the README's "differs" rows for
// the headers DevStack drops without a word and for non-ASCII plugin names
// against DevStack itself: its get_meta_section_files awk program
// (headerList) sees the same group and file as the splitter, DevStack's
// functions register the plugin, and stackplan reports the error the row
// names instead.
func TestDroppedHeadersMatchDevStack(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("awk not installed")
	}
	for _, tc := range []struct {
		header, group, file string // as DevStack's awk reads the header
	}{
		{"[[ local | localrc ]]", "", ""},                  // $1 is "[[": no group, so no localrc
		{"[[post-config| $NOVA_CONF]]", "post-config", ""}, // $1 ends at the blank
		{"[[post-config|]]", "post-config", ""},
	} {
		t.Run(tc.header, func(t *testing.T) {
			src := "[[local|localrc]]\nenable_plugin a u\n" + tc.header + "\nenable_plugin b u\n"
			file := filepath.Join(t.TempDir(), "local.conf")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			awk := awkRun(t, headerList, file)
			if want := fmt.Sprintf("1|local|localrc\n3|%s|%s\n", tc.group, tc.file); awk != want {
				t.Fatalf("DevStack's awk reads %q, the test expects %q", awk, want)
			}
			var seen strings.Builder
			for _, s := range split([]byte(src)).sections {
				fmt.Fprintf(&seen, "%d|%s|%s\n", s.header.Num, s.group, s.file)
			}
			if diff := cmp.Diff(awk, seen.String()); diff != "" {
				t.Errorf("headers (-awk +split):\n%s", diff)
			}
			// DevStack: the localrc ends at the header, and a group with no
			// file is skipped by merge_config_group's word splitting, with
			// no warning. stackplan: the same plan, and an error.
			cfg, diags := Parse("local.conf", []byte(src), Options{})
			if len(cfg.Plugins) != 1 || cfg.Plugins[0].Name.String() != "a" {
				t.Errorf("plugins %v, want only a", plugs(cfg))
			}
			if diff := cmp.Diff([]string{"malformed-header@3:1"}, rules(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("non-ASCII plugin name", func(t *testing.T) {
		ds := needDevStack(t)
		prog := "enable_plugin ü https://example.org/u\n"
		got := runOracle(t, ds, []string{prog}, true, 1)[0]
		want := []bashPlugin{{"ü", "https://example.org/u", "master", "/opt/stack/ü"}}
		if diff := cmp.Diff(want, got.Plugins); diff != "" || got.End != "done" {
			t.Errorf("DevStack (end %s), plugins (-want +got):\n%s", got.End, diff)
		}
		// The compiler's validation reports invalid-plugin-name for every
		// name schema.CheckName refuses.
		cfg, _ := Parse("localrc", []byte(prog), Options{Kind: "localrc"})
		if len(cfg.Plugins) != 1 || schema.CheckName(cfg.Plugins[0].Name.String()) == nil {
			t.Errorf("stackplan accepts the plugin name: %v", plugs(cfg))
		}
	})
}
