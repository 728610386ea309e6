// Package hostile holds the hostile-input suite: every case under the
// repository's testdata/hostile/ runs through the real CLI in-process
// (lint, plan and apply) and must be refused at the expected rule and
// position with nothing cloned, run or written, or, for an attack that
// only exists at apply time, be neutralised there. SECURITY.md lists the
// guarantees the suite proves. The package has no code besides its test.
package hostile
