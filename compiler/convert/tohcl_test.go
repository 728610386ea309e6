package convert_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler/convert"
)

// TestToHCLDeepLocalrc converts a localrc nested far deeper than
// mvdan.cc/sh's parser can recurse in a goroutine's stack (it used to end
// in "fatal error: stack overflow", which no recover catches). plan
// refuses it with a limit; convert keeps it verbatim.
func TestToHCLDeepLocalrc(t *testing.T) {
	const depth = 300_000
	src := []byte("[[local|localrc]]\nX=" + strings.Repeat("$((", depth) + "1" + strings.Repeat("))", depth) + "\n")
	cfg, _ := compileLocalConf("local.conf", src)
	out, diags := convert.ToHCL(cfg, src)
	if diags.HasErrors() {
		t.Fatalf("convert: %v", diags)
	}
	if !bytes.Contains(out, []byte("bash {")) || !bytes.Contains(out, []byte(strings.Repeat("$((", depth))) {
		t.Fatalf("the localrc is not kept verbatim in a bash block:\n%.300s", out)
	}
}
