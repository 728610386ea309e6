package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/localconf"
)

// useDevstack makes the compilation know the DevStack checkout dir
// (--devstack): $TOP_DIR, and the repositories its stackrc names, so the
// plan gets a clone step for each of DevStack's own repositories stack.sh
// would clone for the enabled services. stackrc is read, never run.
func useDevstack(opts *evaluator.Options, dir string) error {
	if dir == "" {
		return nil
	}
	name := filepath.Join(dir, "stackrc")
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("--devstack %s: not a DevStack checkout: %w", dir, err)
	}
	if len(data) > localconf.MaxSize {
		return fmt.Errorf("--devstack %s: %s is larger than %d bytes", dir, name, localconf.MaxSize)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	opts.TopDir = abs
	opts.Stackrc = &evaluator.Fragment{Name: name, Src: data}
	return nil
}
