package convert_test

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/stackplan/stackplan/compiler/convert"
)

// FuzzToHCL converts any local.conf to stack.hcl. It must never panic or
// crash, and what it writes must be HCL that parses: users feed it other
// people's files and commit the result.
func FuzzToHCL(f *testing.F) {
	f.Add("[[local|localrc]]\nenable_plugin heat https://opendev.org/openstack/heat stable/2024.1\nADMIN_PASSWORD=secret\n")
	f.Add("[[local|localrc]]\nif [[ $X == y ]]; then\n  enable_service n-cpu\nfi\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n")
	f.Add("[[local|localrc]]\nfor p in a b; do enable_plugin $p https://x/$p; done\nY=\"${Z:-<<EOT}\"\n# comment ${\n")
	f.Add("[[local|localrc]]\nA=$(cat /etc/x)\nB='%{ for x in y }'\nC=\"${A}\"\\\n  more\r\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, _ := compileLocalConf("local.conf", []byte(src))
		out, diags := convert.ToHCL(cfg, []byte(src))
		if diags.HasErrors() {
			return
		}
		if _, pd := hclsyntax.ParseConfig(out, "stack.hcl", hcl.InitialPos); pd.HasErrors() {
			t.Fatalf("convert wrote HCL that does not parse: %v\ninput %q\noutput:\n%s", pd, src, out)
		}
	})
}
