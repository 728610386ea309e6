package schema

import "testing"

func TestCheckConfigFileName(t *testing.T) {
	for _, ok := range []string{
		"$NOVA_CONF", "/etc/nova/nova.conf", "${NOVA_CONF}", "/$Q_PLUGIN_CONF_FILE", "$DEST/etc/a.conf",
		"~/a.conf", "~", "$A$B/x", "/etc/a-b_c.d/x.ini", "$NOVA_CPU_CONF",
	} {
		if err := CheckConfigFileName(ok); err != nil {
			t.Errorf("CheckConfigFileName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"$(touch x)", "$(touch${IFS}x)", "`touch x`", "/etc/a;touch x", "/etc/a|x", "/etc/a&x", "a>b", "a<b",
		"${A:-x}", "${A", "$1", "$", "$@", "$$", "/etc/*.conf", "/etc/a?.conf", `"$A"`, "'a'", `a\b`, "{a,b}",
		"a\nb", "a\x00b", "~root/x", "!x",
	} {
		if err := CheckConfigFileName(bad); err == nil {
			t.Errorf("CheckConfigFileName(%q) = nil, want an error", bad)
		}
	}
}
