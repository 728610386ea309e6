package localconf_test

import (
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
)

// TestGlobPluginName: an unquoted glob as a plugin name is reported as a
// glob; a quoted one is an invalid name.
func TestGlobPluginName(t *testing.T) {
	for src, want := range map[string]string{
		"enable_plugin foo* https://x/y\n":   "plugin name foo* is a glob",
		"enable_plugin 'foo*' https://x/y\n": `plugin name "foo*" must match`,
	} {
		cfg, diags := localconf.Parse("local.conf", []byte("[[local|localrc]]\n"+src), localconf.Options{})
		_, diags = compiler.Compile(cfg, diags, compiler.Options{})
		var got []string
		for _, d := range diags {
			got = append(got, d.Summary)
		}
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("%s: findings %q, want %q", src, got, want)
		}
	}
}
