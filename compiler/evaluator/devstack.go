package evaluator

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/stackplan/stackplan/internal/devstackfuncs"

	"github.com/hashicorp/hcl/v2"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/schema"
)

// DefaultDest is the DEST that DevStack's stackrc hard-codes.
const DefaultDest = "/opt/stack"

// defaultServices is the ENABLED_SERVICES stackrc seeds when the
// environment does not set it.
const defaultServices = "key,n-api,n-cpu,n-cond,n-sch,n-novnc,n-api-meta,placement-api,placement-client,g-api,c-sch,c-api,c-vol,ovn-controller,ovn-northd,ovs-vswitchd,ovsdb-server,q-svc,q-ovn-agent,horizon,rabbit,tempest,mysql,etcd3,dstat"

// fromRunningMachine are variables a real run gets from the machine it runs
// on; unless the caller gives them, they are unknown at plan time. (PWD is
// not among them: the expander reads it for every word, to glob.)
var fromRunningMachine = []string{"HOME", "USER", "LOGNAME", "HOSTNAME", "PATH", "SHELL", "TERM", "TMPDIR", "LANG"}

// seed sets up the variables that exist when stackrc sources localrc
// (docs/devstack.md §2.5): the environment as given, then what stack.sh
// and stackrc define before that point. Everything else stackrc sets
// (GIT_BASE, *_REPO, HOST_IP, ...) comes after localrc and is therefore
// unset here unless the environment has it.
func (ev *evaluator) seed(opts Options) {
	for _, name := range fromRunningMachine {
		ev.vars[name] = unknownString("$" + name + " comes from the machine that runs DevStack; pass --env " + name + "=VALUE to fix it at plan time")
	}
	for name, val := range opts.Env {
		ev.vars[name] = &variable{kind: expand.String, str: val, known: true, exported: true, fromEnv: true, secret: schema.IsSecretName(name)}
	}
	dest := opts.Dest
	if dest == "" {
		dest = DefaultDest
	}
	set := func(name, val string) { ev.vars[name] = knownString(val) }
	setDefault := func(name, val string) {
		if _, ok := opts.Env[name]; !ok {
			set(name, val)
		}
	}
	// stack.sh and stackrc assign these unconditionally: the environment
	// cannot change them.
	if opts.TopDir != "" {
		set("TOP_DIR", opts.TopDir)
	} else {
		ev.vars["TOP_DIR"] = unknownString("$TOP_DIR is the DevStack checkout, known at apply (give --devstack DIR)")
	}
	set("DEST", dest)
	set("TARGET_BRANCH", "master")
	set("TRAILING_TARGET_BRANCH", "master")
	set("BRANCHLESS_TARGET_BRANCH", "master")
	set("DATA_DIR", dest+"/data")
	set("SERVICE_DIR", dest+"/status")
	set("SUBUNIT_OUTPUT", dest+"/devstack.subunit")
	set("ENABLE_HTTPD_MOD_WSGI_SERVICES", "True")
	// These keep a value from the environment.
	if _, ok := opts.Env["STACK_USER"]; !ok {
		ev.vars["STACK_USER"] = unknownString("$STACK_USER defaults to the user running DevStack")
	}
	setDefault("REGION_NAME", "RegionOne")
	if _, ok := opts.Env["KEYSTONE_REGION_NAME"]; !ok {
		v := *ev.vars["REGION_NAME"]
		v.fromEnv = false
		ev.vars["KEYSTONE_REGION_NAME"] = &v
	}
	setDefault("ENABLED_SERVICES", defaultServices)
	setDefault("NOVA_ENABLED_APIS", "osapi_compute,metadata")
	for _, name := range []string{"os_VENDOR", "os_RELEASE", "os_PACKAGE", "os_CODENAME", "DISTRO"} {
		ev.vars[name] = unknownString("$" + name + " describes the machine that runs DevStack")
	}
	// functions-common, sourced by stackrc before localrc.
	setDefault("DEVSTACK_PLUGINS", "")
	for _, name := range pluginArrays {
		ev.vars[name] = &variable{kind: expand.Associative, known: true, m: map[string]string{}}
	}
	ev.vars["RC_DIR"] = ev.vars["TOP_DIR"]
	maps.Copy(ev.funcs, devstackFunctions())
}

// pluginArrays are the arrays enable_plugin fills and fetch_plugins reads.
var pluginArrays = []string{"GITREPO", "GITBRANCH", "GITDIR"}

func (ev *evaluator) enablePlugin(args []arg, rng hcl.Range, c *syntax.CallExpr) {
	p := schema.Plugin{Range: rng, Conditional: len(ev.conds) > 0}
	at := func(i int) schema.Value {
		if i < len(args) {
			return args[i].value()
		}
		end := rng.End
		return schema.Value{Range: hcl.Range{Filename: rng.Filename, Start: end, End: end}}
	}
	p.Name, p.URL, p.Ref = at(0), at(1), at(2)
	if len(args) > 3 {
		for _, a := range args[3:] {
			p.Extra = append(p.Extra, a.value())
		}
	}
	// ${3:-master}: a missing or empty ref is master.
	if p.Ref.Missing() || p.Ref.Known() && p.Ref.String() == "" {
		p.Ref = schema.KnownString("master", p.Ref.Text, p.Ref.Range)
	}
	for i, v := range []*schema.Value{&p.Name, &p.URL, &p.Ref} {
		if i < len(args) && !args[i].known {
			v.Why = args[i].why
		} else if i < len(args) && len(args[i].unset) > 0 {
			u := args[i].unset[0]
			v.Why = fmt.Sprintf("$%s is not set when localrc runs (stackrc sets most variables, GIT_BASE among them, only after sourcing localrc), so it expands to nothing here; set it in localrc, or pass --env %s=VALUE if it comes from the environment", u, u)
		}
	}
	p.Dir = ev.pluginDir(p.Name)
	p.Requires = requiresComment(ev, c)
	if ev.subshell > 0 {
		ev.diag(schema.RuleNotEvaluated.Diag("enable_plugin inside a subshell, pipeline or background job",
			"Bash runs it in a child process, so the registration is lost: DevStack never sees this plugin.", rng))
		return
	}
	if p.Conditional {
		cond := ev.conds[len(ev.conds)-1]
		ev.diag(schema.RuleConditionalPlugin.Diag(
			fmt.Sprintf("plugin %s is enabled only under a condition", p.Name.Text),
			fmt.Sprintf("Whether the condition at line %d holds is known only when localrc is sourced; the plan includes the plugin, marked conditional.", cond.Start.Line),
			rng))
	}
	ev.pluginCount++
	ev.cfg.Plugins = append(ev.cfg.Plugins, p)
	ev.registerPlugin(p)
}

// registerPlugin does what DevStack's enable_plugin does to its variables,
// so that is_plugin_enabled, GITREPO[name] and the like read them.
func (ev *evaluator) registerPlugin(p schema.Plugin) {
	if old := ev.vars["DEVSTACK_PLUGINS"]; p.Name.Known() && old != nil && old.known {
		ev.setVar("DEVSTACK_PLUGINS", knownString(old.str+","+p.Name.String()))
	} else {
		ev.setVar("DEVSTACK_PLUGINS", unknownString("DEVSTACK_PLUGINS holds a plugin name known only when localrc is sourced"))
	}
	for name, v := range map[string]schema.Value{"GITREPO": p.URL, "GITBRANCH": p.Ref, "GITDIR": p.Dir} {
		arr := ev.vars[name]
		if arr == nil || arr.kind != expand.Associative {
			arr = &variable{kind: expand.Associative, known: true}
		}
		nv := *arr
		nv.m = maps.Clone(arr.m)
		if nv.m == nil {
			nv.m = map[string]string{}
		}
		switch {
		case !p.Name.Known() || !nv.known:
			nv = variable{kind: expand.Associative, why: "$" + name + " has an element known only when localrc is sourced"}
		case v.Known() || v.Missing():
			nv.m[p.Name.String()] = v.String()
		default:
			// One unknown element: the map cannot say which, so all of it.
			nv = variable{kind: expand.Associative, why: "$" + name + "[" + p.Name.String() + "] is known only when localrc is sourced"}
		}
		ev.setVar(name, &nv)
	}
}

func (ev *evaluator) pluginDir(name schema.Value) schema.Value {
	dest := ev.vars["DEST"]
	if dest == nil || !dest.known || !name.Known() {
		return schema.UnknownString("$DEST/"+name.Text, name.Range)
	}
	// DevStack concatenates "$DEST/$name"; the name rules keep the result
	// directly under DEST.
	return schema.KnownString(path.Clean(dest.str+"/"+name.String()), "$DEST/"+name.Text, name.Range)
}

var requiresRE = regexp.MustCompile(`#\s*stackplan:\s*requires=([A-Za-z0-9._,-]+)`)

// requiresComment reads "# stackplan: requires=a,b" on the enable_plugin line.
func requiresComment(ev *evaluator, c *syntax.CallExpr) []schema.Value {
	end := int(c.End().Offset())
	lineEnd := strings.IndexByte(ev.src[min(end, len(ev.src)):], '\n')
	if lineEnd < 0 {
		lineEnd = len(ev.src) - end
	}
	rest := ev.src[end : end+lineEnd]
	m := requiresRE.FindStringSubmatchIndex(rest)
	if m == nil {
		return nil
	}
	var out []schema.Value
	off := end + m[2]
	for _, name := range strings.Split(rest[m[2]:m[3]], ",") {
		if name != "" {
			out = append(out, schema.KnownString(name, name, ev.loc.rng(off, off+len(name))))
		}
		off += len(name) + 1
	}
	return out
}

// services returns ENABLED_SERVICES as a list, or false when unknown.
func (ev *evaluator) services() ([]string, bool) {
	v := ev.vars["ENABLED_SERVICES"]
	if v == nil {
		return nil, true
	}
	if !v.known {
		return nil, false
	}
	return splitList(v.stringValue()), true
}

func (ev *evaluator) disabledServices() []string {
	v := ev.vars["DISABLED_SERVICES"]
	if v == nil || !v.known {
		return nil
	}
	return splitList(v.stringValue())
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' })
}

// devstackFunctions parses devstackfuncs.Source once.
var devstackFunctions = sync.OnceValue(func() map[string]*syntax.Stmt {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(devstackfuncs.Source), "functions-common")
	if err != nil {
		panic("devstackfuncs.Source: " + err.Error())
	}
	funcs := map[string]*syntax.Stmt{}
	for _, st := range f.Stmts {
		fd := st.Cmd.(*syntax.FuncDecl)
		funcs[fd.Name.Value] = fd.Body
	}
	return funcs
})

// isDevstackFunc tells DevStack's functions from the localrc's own.
func isDevstackFunc(body *syntax.Stmt) bool {
	for _, fn := range devstackFunctions() {
		if fn == body {
			return true
		}
	}
	return false
}
