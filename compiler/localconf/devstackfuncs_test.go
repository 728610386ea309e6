package localconf

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/internal/devstackfuncs"
)

// The service functions have three forms: DevStack's functions-common as it
// is (but for die's sleep), the oracle's rewrite of it without forks, and internal/devstackfuncs,
// which the evaluator runs. TestServiceFunctionsMatchDevStack runs the same
// programs through all three and requires the same registrations, services
// and end: the rewrite and the project's copy compute what DevStack's real
// code computes.

// faithfulPrograms are the generated programs of the comparison, and
// programs that lean on the service functions' quirks.
func faithfulPrograms() []string {
	progs := append(generated(20261206, 60), issueConstructs...)
	return append(progs,
		"ENABLED_SERVICES=\"key, n-api ,,-n-api,s-proxy\"\nenable_service swift n-cpu-x\nis_service_enabled swift && enable_plugin p1 u\ndisable_service n-api\nis_service_enabled nova && enable_plugin p2 u\n",
		"disable_all_services\nenable_service -foo foo bar\nis_service_enabled foo || enable_plugin p1 u\ndisable_negated_services\nENABLED_SERVICES+=,-bar\ndisable_negated_services\n",
		"disable_service c-vol\nenable_service c-vol\nis_service_enabled c-vol || enable_plugin p1 u\nis_c-vol_enabled() { return 0; }\nis_service_enabled c-vol && enable_plugin p2 u\n",
		"ENABLED_SERVICES=n-cpu\nis_service_enabled n-cpu-1 && enable_plugin p1 u\nENABLED_SERVICES=swift\nis_service_enabled s-object && enable_plugin p2 u\nENABLED_SERVICES=s-x\nis_service_enabled swift && enable_plugin p3 u\n",
	)
}

// devstackTree returns a copy of the DevStack tree ds whose functions-common
// ends with extra, so that extra's definitions replace DevStack's. die's
// "sleep 1" is left out: it only slows the run.
func devstackTree(t *testing.T, ds, extra string) string {
	t.Helper()
	dir := t.TempDir()
	fc, stackrc := readDevStack(t, ds)
	fc = append(bytes.ReplaceAll(fc, []byte("\n    sleep 1\n"), []byte("\n")), "\n"+extra...)
	for name, b := range map[string][]byte{"functions-common": fc, "stackrc": stackrc} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readDevStack reads the two files of the DevStack tree ds that the
// comparisons run: functions-common and stackrc.
func readDevStack(t testing.TB, ds string) (functionsCommon, stackrc []byte) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(ds, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return read("functions-common"), read("stackrc")
}

func TestServiceFunctionsMatchDevStack(t *testing.T) {
	ds := needDevStack(t)
	fc, _ := readDevStack(t, ds)
	// The project's copy invents no function: each one is DevStack's,
	// except the helper that replaces a command substitution.
	for _, m := range regexp.MustCompile(`(?m)^([a-z_]+)\(\) \{$`).FindAllStringSubmatch(devstackfuncs.Source, -1) {
		if !strings.Contains(string(fc), "\nfunction "+m[1]+" {\n") {
			t.Errorf("internal/devstackfuncs defines %s, which functions-common does not", m[1])
		}
	}
	progs := faithfulPrograms()
	real := runOracle(t, devstackTree(t, ds, ""), progs, false, 2)
	for _, form := range []struct {
		name string
		got  []oracleResult
	}{
		{"the oracle's rewrite", runOracle(t, ds, progs, true, 2)},
		{"internal/devstackfuncs", runOracle(t, devstackTree(t, ds, devstackfuncs.Source), progs, false, 2)},
	} {
		for i := range progs {
			if diff := cmp.Diff(real[i], form.got[i]); diff != "" {
				t.Errorf("program %d: %s differs from functions-common (-devstack +%s):\n%s\n%s", i, form.name, form.name, diff, progs[i])
			}
		}
	}
}
