package cli

import (
	"os"
	"path/filepath"

	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

// localrcBeside is the legacy localrc file DevStack sources instead of the
// [[local|localrc]] sections of a local.conf (docs/devstack.md §2.4):
// $TOP_DIR/localrc beside $TOP_DIR/local.conf, when it is a file (stackrc
// tests -f). Only a local.conf input named local.conf has one: DevStack
// reads no other name. "" when there is none.
func localrcBeside(path string, opts localconf.Options) string {
	if path == "-" || path == schema.StdinName || filepath.Base(path) != "local.conf" || hclconf.IsHCLFile(path) {
		return ""
	}
	if opts.Kind != "" && opts.Kind != schema.KindLocalConf {
		return ""
	}
	beside := filepath.Join(filepath.Dir(path), "localrc")
	if st, err := os.Stat(beside); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return beside
}

// withLocalrcBeside reads the legacy localrc beside a local.conf into
// opts, so that plan, lint and apply read what DevStack reads.
func (c *Command) withLocalrcBeside(path string, opts localconf.Options) (localconf.Options, error) {
	beside := localrcBeside(path, opts)
	if beside == "" {
		return opts, nil
	}
	name, data, tooBig, err := c.readInput(beside)
	if err != nil {
		return opts, &unreadableError{err}
	}
	if tooBig {
		data = nil
	}
	opts.Localrc = &localconf.Fragment{Name: name, Src: data}
	return opts, nil
}
