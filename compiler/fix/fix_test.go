package fix

import (
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
)

// TestReorderPlugins checks --fix's rewriting: only enable_plugin lines move,
// and what cannot be moved safely is refused.
func TestReorderPlugins(t *testing.T) {
	tests := []struct{ name, in, want, err string }{
		{name: "no final newline",
			in:   "[[local|localrc]]\nenable_plugin a u # stackplan: requires=b\nX=1\nenable_plugin b u",
			want: "[[local|localrc]]\nenable_plugin b u\nX=1\nenable_plugin a u # stackplan: requires=b"},
		{name: "continued command moves whole",
			in:   "[[local|localrc]]\nenable_plugin a \\\n  u # stackplan: requires=b\n# keep\nenable_plugin b u\n",
			want: "[[local|localrc]]\nenable_plugin b u\n# keep\nenable_plugin a \\\n  u # stackplan: requires=b\n"},
		{name: "already in order", in: "[[local|localrc]]\nenable_plugin b u\nenable_plugin a u # stackplan: requires=b\n",
			want: "[[local|localrc]]\nenable_plugin b u\nenable_plugin a u # stackplan: requires=b\n"},
		{name: "shared line", in: "[[local|localrc]]\nX=1; enable_plugin a u # stackplan: requires=b\nenable_plugin b u\n",
			err: "shares its line"},
		{name: "conditional", in: "[[local|localrc]]\nif [ \"$(hostname)\" = x ]; then\nenable_plugin a u # stackplan: requires=b\nfi\nenable_plugin b u\n",
			err: "inside a condition"},
		{name: "cycle", in: "[[local|localrc]]\nenable_plugin a u # stackplan: requires=b\nenable_plugin b u # stackplan: requires=a\n",
			err: "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := localconf.Parse("local.conf", []byte(tt.in), localconf.Options{})
			g, _ := compiler.Dependencies(cfg, compiler.Options{})
			got, _, err := ReorderPlugins([]byte(tt.in), g)
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want %q", err, tt.err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case string(got) != tt.want:
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
