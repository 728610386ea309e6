package zuul

import (
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
				if !utf8.ValidString(n.LocalConf) && utf8.Valid(src) {
					t.Fatalf("generated local.conf is not UTF-8")
				}
			}
		}
	})
}
