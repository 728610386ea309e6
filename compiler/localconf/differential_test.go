package localconf

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/schema"
)

// The differential tests run each localrc through real bash with a shim of
// DevStack's enable_plugin (functions-common:1736) and the service
// functions, and compare the registrations with the compiler's.
//
// The bash run is made safe for arbitrary corpus files: it is a restricted
// shell (no output redirection, no cd, no exec, no command names with "/"),
// PATH is an empty directory so no external command exists (only builtins
// and the shim run), the environment is empty (env -i), stdin is empty and
// the working directory is a fresh temporary one.

const corpusDir = "../../../shared/corpus/localconf"

// getMetaSection is DevStack's get_meta_section awk program (inc/meta-config).
const getMetaSection = `
BEGIN { group = "" }
/^\[\[.+\|.*\]\]/ {
    gsub("[][]", "", $1);
    split($1, a, "|");
    if (a[1] == matchgroup && a[2] == configfile) {
        group=a[1]
    } else {
        group=""
    }
    next
}
{
    if (group != "")
        print $0
}`

// headerList prints every header as DevStack's get_meta_section_files sees
// it, with its line number.
const headerList = `/^\[\[.+\|.*\]\]/ { gsub("[][]", "", $1); split($1, a, "|"); printf "%d|%s|%s\n", NR, a[1], a[2] }`

// shim runs before localrc, as stack.sh and stackrc have run by then
// (docs/devstack.md §2.5), and dumps the registrations at exit, so that
// a die or exit inside localrc still reports what was registered.
const shim = `
command_not_found_handle() { return 0; }
TOP_DIR=/opt/stack/devstack
DEST=/opt/stack
TARGET_BRANCH=master
TRAILING_TARGET_BRANCH=master
BRANCHLESS_TARGET_BRANCH=master
DATA_DIR=$DEST/data
SERVICE_DIR=$DEST/status
SUBUNIT_OUTPUT=$DEST/devstack.subunit
STACK_USER=stack
REGION_NAME=RegionOne
KEYSTONE_REGION_NAME=RegionOne
ENABLED_SERVICES=${ENABLED_SERVICES-key,n-api,n-cpu,n-cond,n-sch,n-novnc,n-api-meta,placement-api,placement-client,g-api,c-sch,c-api,c-vol,ovn-controller,ovn-northd,ovs-vswitchd,ovsdb-server,q-svc,q-ovn-agent,horizon,rabbit,tempest,mysql,etcd3,dstat}
ENABLE_HTTPD_MOD_WSGI_SERVICES=True
NOVA_ENABLED_APIS=osapi_compute,metadata
DEVSTACK_PLUGINS=${DEVSTACK_PLUGINS:-""}
declare -A -g GITREPO GITBRANCH GITDIR
__died=""
die() { __died="$*"; exit 1; }
warn() { :; }
is_plugin_enabled() {
    local name=$1
    if [[ ",${DEVSTACK_PLUGINS}," =~ ",${name}," ]]; then
        return 0
    fi
    return 1
}
enable_plugin() {
    local name=$1
    local url=$2
    local branch=${3:-master}
    if is_plugin_enabled $name; then
        die $LINENO "Plugin attempted to be enabled twice: ${name} ${url} ${branch}"
    fi
    DEVSTACK_PLUGINS+=",$name"
    GITREPO[$name]=$url
    GITBRANCH[$name]=$branch
    GITDIR[$name]=$DEST/$name
}
define_plugin() { :; }
plugin_requires() { :; }
# _cleanup_service_list, without the command substitution DevStack uses:
# a fork per call makes the corpus run slow. It sets __svcs.
_cleanup_service_list() {
    local s=$1
    while [[ $s == *,,* ]]; do s=${s//,,/,}; done
    s=${s#,}; s=${s%,}
    __svcs=$s
}
is_service_enabled() {
    local enabled=1 service
    for service in ${@}; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && enabled=0
        [[ ${service} == "nova" && ,${ENABLED_SERVICES} =~ ,"n-" ]] && enabled=0
        [[ ${service} == "glance" && ,${ENABLED_SERVICES} =~ ,"g-" ]] && enabled=0
        [[ ${service} == "neutron" && ,${ENABLED_SERVICES} =~ ,"q-" ]] && enabled=0
        [[ ${service} == "trove" && ,${ENABLED_SERVICES} =~ ,"tr-" ]] && enabled=0
        [[ ${service} == "swift" && ,${ENABLED_SERVICES} =~ ,"s-" ]] && enabled=0
    done
    return $enabled
}
disable_negated_services() {
    local to_remove="" remaining="" service
    for service in ${ENABLED_SERVICES//,/ }; do
        if [[ ${service} == -* ]]; then to_remove+=",${service#-}"; else remaining+=",${service}"; fi
    done
    local r=",$remaining,"
    for service in ${to_remove//,/ }; do r=${r//,$service,/,}; done
    _cleanup_service_list "$r"; ENABLED_SERVICES=$__svcs
}
enable_service() {
    local tmpsvcs="${ENABLED_SERVICES}" service
    for service in $@; do
        [[ ,${DISABLED_SERVICES}, =~ ,${service}, ]] && continue
        is_service_enabled $service || tmpsvcs+=",$service"
    done
    _cleanup_service_list "$tmpsvcs"; ENABLED_SERVICES=$__svcs
    disable_negated_services
}
disable_service() {
    local tmpsvcs=",${ENABLED_SERVICES}," service
    for service in $@; do
        DISABLED_SERVICES+=",$service"
        tmpsvcs=${tmpsvcs//,$service,/,}
    done
    _cleanup_service_list "$tmpsvcs"; ENABLED_SERVICES=$__svcs
}
disable_all_services() { ENABLED_SERVICES=""; }
__dump() {
    local IFS=, name
    for name in ${DEVSTACK_PLUGINS#,}; do
        printf 'P\x1f%s\x1f%s\x1f%s\x1f%s\x1e' "$name" "${GITREPO[$name]}" "${GITBRANCH[$name]}" "${GITDIR[$name]}" >&3
    done
    if [[ -n $__died ]]; then printf 'D\x1f%s\x1e' "$__died" >&3; fi
}
trap __dump EXIT
`

// bashPlugin is one registration as real bash made it.
type bashPlugin struct{ Name, URL, Ref, Dir string }

type bashResult struct {
	plugins []bashPlugin
	died    string
}

func needBash(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	return p
}

// runBash sources localrc in a restricted bash with the shim.
func runBash(t *testing.T, bash, localrc string, env []string) bashResult {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty-path")
	work := filepath.Join(dir, "work")
	for _, d := range []string{empty, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(work, ".localrc.auto"), []byte(localrc), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// fd 3 carries the dump; the localrc's own output is discarded.
	cmd := exec.Command(bash, "--noprofile", "--norc", "-r", "-c", shim+"\nsource .localrc.auto\n"+stackrcAfterLocalrc(t))
	cmd.Dir = work
	cmd.Env = append([]string{"PATH=" + empty}, env...)
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	r.Close()
	_ = cmd.Wait() // a localrc may exit non-zero; the dump tells what happened
	var res bashResult
	for _, rec := range strings.Split(out.String(), "\x1e") {
		f := strings.Split(rec, "\x1f")
		switch f[0] {
		case "P":
			res.plugins = append(res.plugins, bashPlugin{f[1], f[2], f[3], f[4]})
		case "D":
			res.died = f[1]
		}
	}
	return res
}

// awkRun runs a real awk program over a file.
func awkRun(t *testing.T, prog, file string, vars ...string) string {
	t.Helper()
	var args []string
	for _, v := range vars {
		args = append(args, "-v", v)
	}
	out, err := exec.Command("awk", append(append(args, prog), file)...).Output()
	if err != nil {
		t.Fatalf("awk: %v", err)
	}
	return string(out)
}

// extractLocalrc is what stack.sh writes to .localrc.auto (without its
// comment line), computed with the package's splitter.
func extractLocalrc(src []byte) string {
	var lines []line
	for _, s := range split(src).sections {
		if s.isLocalrc() {
			lines = append(lines, s.body...)
		}
	}
	return evaluator.JoinLines(lines)
}

// comparison is the outcome of comparing one localrc.
type comparison struct {
	compared int    // plugins compared
	skipped  string // why the file was not compared, or ""
}

// compare checks the compiler's registrations against bash's. Conditional
// plugins and values unknown at plan time are left out: bash's list drops
// the conditional plugins' names before the lists are lined up.
func compare(t *testing.T, cfg *schema.Config, res bashResult) comparison {
	t.Helper()
	var want []bashPlugin
	cond := map[string]bool{}
	for _, p := range cfg.Plugins {
		if !p.Name.Known() {
			return comparison{skipped: "a plugin name is unknown at plan time: " + p.Name.Text}
		}
		if p.Conditional {
			cond[p.Name.String()] = true
		}
	}
	for _, p := range cfg.Plugins {
		if p.Conditional {
			continue
		}
		bp := bashPlugin{Name: p.Name.String(), URL: p.URL.String(), Ref: p.Ref.String(), Dir: p.Dir.String()}
		if !p.URL.Known() {
			bp.URL = "?"
		}
		if !p.Ref.Known() {
			bp.Ref = "?"
		}
		if !p.Dir.Known() {
			bp.Dir = "?"
		}
		want = append(want, bp)
	}
	var got []bashPlugin
	for _, p := range res.plugins {
		if !cond[p.Name] {
			// stackplan records the directory path-cleaned: DEST=/opt/stack/
			// gives bash "/opt/stack//foo", the same directory.
			if p.Dir != "" {
				p.Dir = path.Clean(p.Dir)
			}
			got = append(got, p)
		}
	}
	if res.died != "" {
		// bash died on a duplicate: the compiler keeps going and reports it
		// in validation; compare the registrations bash made.
		if !strings.HasPrefix(res.died, "Plugin attempted to be enabled twice") || len(want) <= len(got) {
			t.Errorf("bash died: %s", res.died)
		}
		if len(want) > len(got) {
			dup := want[len(got)].Name
			found := false
			for _, p := range got {
				found = found || p.Name == dup
			}
			if !found {
				t.Errorf("bash died, but %s was not registered before", dup)
			}
			want = want[:len(got)]
		}
	}
	for i := range want {
		if i >= len(got) {
			break
		}
		for _, f := range []struct{ w, g *string }{{&want[i].URL, &got[i].URL}, {&want[i].Ref, &got[i].Ref}, {&want[i].Dir, &got[i].Dir}} {
			if *f.w == "?" {
				*f.g = "?"
			}
		}
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("registrations differ (-bash +stackplan):\n%s", diff)
	}
	return comparison{compared: len(want)}
}

// corpusExcluded lists corpus files left out of the comparison, and why.
var corpusExcluded = map[string]string{}

func TestDifferentialCorpus(t *testing.T) {
	bash := needBash(t)
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("awk not installed")
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil || len(files) == 0 {
		corpustest.Skip(t, corpusDir, os.ErrNotExist)
	}
	opts := Options{TopDir: "/opt/stack/devstack", Env: map[string]string{"STACK_USER": "stack"}}
	total := 0
	for _, file := range files {
		base := filepath.Base(file)
		t.Run(base, func(t *testing.T) {
			if why, ok := corpusExcluded[base]; ok {
				t.Skip(why)
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The splitter against DevStack's own awk.
			var headers strings.Builder
			for _, s := range split(src).sections {
				fmt.Fprintf(&headers, "%d|%s|%s\n", s.header.Num, s.group, s.file)
			}
			if diff := cmp.Diff(awkRun(t, headerList, file), headers.String()); diff != "" {
				t.Errorf("headers (-awk +split):\n%s", diff)
			}
			kind := DetectKind(base, src)
			var localrc string
			if kind == schema.KindLocalrc {
				localrc = string(src)
			} else {
				localrc = awkRun(t, getMetaSection, file, "matchgroup=local", "configfile=localrc")
				if diff := cmp.Diff(localrc, extractLocalrc(src)); diff != "" {
					t.Errorf("localrc text (-awk +split):\n%s", diff)
				}
			}
			cfg, _ := Parse(base, src, opts)
			res := runBash(t, bash, localrc, []string{"STACK_USER=stack"})
			c := compare(t, cfg, res)
			if c.skipped != "" {
				t.Skip(c.skipped)
			}
			total += c.compared
		})
	}
	t.Logf("%d plugins compared over %d files", total, len(files))
}

// genLocalrc writes a random localrc from a small grammar: assignments,
// enable_plugin with literal, $VAR and ${VAR:-x} arguments, DEST changes,
// quoting styles and continuation lines.
func genLocalrc(r *rand.Rand) string {
	vars := []string{"GIT_BASE", "BR", "U", "DEST", "N", "REF_X"}
	names := []string{"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"}
	words := []string{"https://opendev.org/openstack/x", "stable/2024.1", "master", "/srv/stack", "", "a b", "git://h/p", "refs/changes/1/2/3"}
	quote := func(s string) string {
		switch r.Intn(4) {
		case 0:
			if s != "" && !strings.ContainsAny(s, " ") {
				return s
			}
			return "'" + s + "'"
		case 1:
			return "'" + s + "'"
		case 2:
			return `"` + s + `"`
		}
		// mixed: half single-quoted, half double-quoted
		h := len(s) / 2
		return "'" + s[:h] + `'"` + s[h:] + `"`
	}
	ref := func() string {
		v := vars[r.Intn(len(vars))]
		switch r.Intn(5) {
		case 0:
			return "$" + v
		case 1:
			return "${" + v + "}"
		case 2:
			return `"$` + v + `"`
		case 3:
			return "${" + v + ":-" + strings.ReplaceAll(words[r.Intn(len(words))], " ", "") + "}"
		}
		return `"${` + v + `-x}"`
	}
	arg := func() string {
		switch r.Intn(4) {
		case 0:
			return ref()
		case 1:
			return quote(words[r.Intn(len(words))])
		case 2:
			return ref() + "/" + names[r.Intn(len(names))]
		}
		return quote(names[r.Intn(len(names))])
	}
	used := map[string]bool{}
	var b strings.Builder
	for i, n := 0, 3+r.Intn(12); i < n; i++ {
		sep := " "
		if r.Intn(6) == 0 {
			sep = " \\\n    "
		}
		switch r.Intn(5) {
		case 0, 1:
			name := names[r.Intn(len(names))]
			if used[name] {
				continue // DevStack dies on a duplicate; tested elsewhere
			}
			used[name] = true
			nameWord := quote(name)
			if r.Intn(4) == 0 {
				b.WriteString("N=" + name + "\n")
				nameWord = `"$N"`
			}
			b.WriteString("enable_plugin" + sep + nameWord)
			for j, m := 0, 1+r.Intn(3); j < m; j++ {
				b.WriteString(sep + arg())
			}
		case 2:
			b.WriteString("DEST=" + quote([]string{"/srv/stack", "/opt/other", "/x y"}[r.Intn(3)]))
		case 3:
			v := vars[r.Intn(len(vars))]
			if v == "DEST" || v == "N" {
				v = "BR"
			}
			op := "="
			if r.Intn(4) == 0 {
				op = "+="
			}
			b.WriteString(v + op + quote(words[r.Intn(len(words))]))
		case 4:
			b.WriteString("# comment " + names[r.Intn(len(names))])
		}
		if r.Intn(5) == 0 {
			b.WriteString("   # trailing")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestDifferentialGenerated(t *testing.T) {
	bash := needBash(t)
	r := rand.New(rand.NewSource(20260717))
	n := 300
	if testing.Short() {
		n = 30
	}
	compared := 0
	for i := 0; i < n; i++ {
		body := genLocalrc(r)
		src := "[[local|localrc]]\n" + body
		cfg, _ := Parse("local.conf", []byte(src), Options{})
		for _, p := range cfg.Plugins {
			known := func(v schema.Value) bool { return v.Known() || v.Missing() }
			if p.Conditional || !p.Name.Known() || !known(p.URL) || !p.Ref.Known() || !p.Dir.Known() {
				t.Errorf("case %d: plugin %s not fully known:\n%s", i, p.Name.Text, body)
			}
		}
		res := runBash(t, bash, extractLocalrc([]byte(src)), nil)
		ok := t.Run(fmt.Sprint(i), func(t *testing.T) { compared += compare(t, cfg, res).compared })
		if !ok {
			t.Logf("case %d:\n%s", i, body)
		}
	}
	if compared < n {
		t.Errorf("only %d plugins compared in %d cases", compared, n)
	}
}

// stackrcAfterLocalrc is what the real stackrc does after localrc that
// changes what is cloned: GIT_BASE's default and the libraries' GITREPO,
// GITBRANCH and GITDIR (only assignments, safe in the restricted shell).
// Empty when the DevStack tree is absent.
func stackrcAfterLocalrc(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(devstackDir, "stackrc"))
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "GIT_BASE=") || strings.HasPrefix(l, "GITREPO[") || strings.HasPrefix(l, "GITBRANCH[") || strings.HasPrefix(l, "GITDIR[") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
