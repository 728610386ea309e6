package zuul

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// FuzzLoad: loading and compiling any file never panics, and every
// position of a diagnostic or a value lies in the input.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("- job:\n    name: j\n    vars:\n      devstack_localrc:\n        A: $B\n        B: 1.50\n"))
	f.Add([]byte("- job:\n    name: j\n    vars: &v\n      devstack_plugins: {p: '{{ x }}'}\n- job:\n    name: k\n    parent: j\n    vars:\n      <<: *v\n"))
	f.Add([]byte("- secret:\n    data:\n      p: !encrypted/pkcs1-oaep [a]\n- job: {name: j, files: !inherit [x]}\n"))
	f.Add([]byte("- job: {name: j, branches: [stable/x, {regex: '^m', negate: true}], parent: p}\n- job: {name: j, branches: '(?!x)'}\n- job: {name: p, vars: {devstack_localrc: {M: 0755, T: 1:30, F: 3.10}}}\n"))
	f.Add([]byte("- nodeset: {name: n, nodes: [{name: controller}, {name: c1}]}\n- job:\n    name: j\n    nodeset: n\n    vars:\n      devstack_localrc: {S: \"{{ hostvars['controller']['nodepool']['private_ipv4'] }}:1\"}\n      devstack_local_conf: {post-config: {f: {s: {ip: '{{ nodepool.public_ipv4 }}'}}}}\n"))
	// Every job of the input is compiled for every node: a lower bound on
	// what one job generates keeps each execution cheap (TestCompileWorkIsBounded
	// checks the bound itself).
	old := maxGenerated
	maxGenerated = 1 << 14
	f.Cleanup(func() { maxGenerated = old })
	f.Fuzz(func(t *testing.T, src []byte) {
		set, diags := Load([]File{{Name: "f.yaml", Bytes: src}})
		check := func(r hcl.Range) {
			if r.Filename != "f.yaml" || r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
				t.Fatalf("range %s (bytes %d-%d) outside the input of %d bytes", r, r.Start.Byte, r.End.Byte, len(src))
			}
		}
		for _, d := range diags {
			check(*d.Subject)
		}
		for _, job := range set.Jobs() {
			nodes, err := set.Compile(job, Options{})
			if err != nil {
				if strings.Contains(err.Error(), "does not run on branch") {
					continue
				}
				t.Fatal(err)
			}
			for _, n := range nodes {
				for _, d := range n.Diags {
					if d.Subject != nil {
						check(*d.Subject)
					}
				}
				for _, p := range n.Config.Plugins {
					check(p.Range)
					check(p.URL.Range)
				}
				at := 0
				for _, d := range n.DeployTime {
					if d.Offset < at || d.Offset+d.Len > len(n.LocalConf) {
						t.Fatalf("deploy-time value at %d+%d out of order or outside the local.conf of %d bytes", d.Offset, d.Len, len(n.LocalConf))
					}
					at = d.Offset + d.Len
				}
				if !utf8.ValidString(n.LocalConf) && utf8.Valid(src) {
					t.Fatalf("generated local.conf is not UTF-8")
				}
			}
		}
	})
}
