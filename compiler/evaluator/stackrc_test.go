package evaluator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// devstackDir is the pinned DevStack tree the oracle tests read.
const devstackDir = "../../../shared/devstack"

// TestStackrcLibraries checks stackrcLibraries against the real stackrc.
func TestStackrcLibraries(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(devstackDir, "stackrc"))
	if err != nil {
		t.Skip("DevStack tree absent: " + devstackDir)
	}
	var want []string
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "GITREPO[") || strings.HasPrefix(l, "GITBRANCH[") || strings.HasPrefix(l, "GITDIR[") {
			want = append(want, strings.TrimSpace(strings.SplitN(l, "#", 2)[0]))
		}
	}
	var got []string
	for _, lib := range stackrcLibraries {
		got = append(got,
			fmt.Sprintf(`GITREPO["%s"]=${%s:-${GIT_BASE}%s}`, lib.Name, lib.RepoVar, lib.Path),
			fmt.Sprintf(`GITBRANCH["%s"]=${%s:-$%s}`, lib.Name, lib.BranchVar, lib.BranchDefault))
		if lib.SetsDir {
			got = append(got, fmt.Sprintf(`GITDIR["%s"]=$DEST/%s`, lib.Name, lib.Name))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stackrcLibraries (-stackrc +table):\n%s", diff)
	}
}
