package schema_test

import (
	"testing"

	"github.com/stackplan/stackplan/schema"
)

// MaskSource masks URL credentials in place, byte for byte, on every line
// (the first, the last without a newline, CRLF ones), and leaves the rest,
// ssh users and addresses in text included.
func TestMaskSourceCredentials(t *testing.T) {
	src := "enable_plugin a https://tok3n@git.example.com/a\r\n" +
		"# mail admin@example.com about http://host/x\n" +
		"enable_plugin b ssh://git@example.com/b\n" +
		"X=1 # ftp://bob:pw@h/ and git://u:p@h/ both\n" +
		"enable_plugin c https://user:s3cret@example.com/c"
	want := "enable_plugin a https://*****@git.example.com/a\r\n" +
		"# mail admin@example.com about http://host/x\n" +
		"enable_plugin b ssh://git@example.com/b\n" +
		"X=1 # ftp://******@h/ and git://***@h/ both\n" +
		"enable_plugin c https://***********@example.com/c"
	var r *schema.Redactor
	got := string(r.MaskSource("local.conf", []byte(src)))
	if got != want {
		t.Errorf("MaskSource:\n got %q\nwant %q", got, want)
	}
	if len(got) != len(src) {
		t.Errorf("length %d, want %d", len(got), len(src))
	}
}
