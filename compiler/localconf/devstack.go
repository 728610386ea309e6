package localconf

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

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
}

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
	var out []string
	for _, s := range strings.Split(v.stringValue(), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, true
}

func (ev *evaluator) updateServices(fn func([]string) []string) {
	list, known := ev.services()
	if !known {
		return
	}
	ev.setVar("ENABLED_SERVICES", knownString(strings.Join(fn(list), ",")))
}

// negate applies DevStack's disable_negated_services: an entry "-S" removes
// every "S" and itself.
func negate(list []string) []string {
	neg := map[string]bool{}
	for _, s := range list {
		if strings.HasPrefix(s, "-") {
			neg[s[1:]] = true
		}
	}
	if len(neg) == 0 {
		return list
	}
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool {
		return strings.HasPrefix(s, "-") || neg[s]
	})
}

func (ev *evaluator) disabledServices() []string {
	v := ev.vars["DISABLED_SERVICES"]
	if v == nil || !v.known {
		return nil
	}
	return strings.FieldsFunc(v.stringValue(), func(r rune) bool { return r == ',' })
}

func (ev *evaluator) enableService(args []arg, rng hcl.Range) tri {
	disabled := ev.disabledServices()
	for _, a := range args {
		if !a.known {
			ev.setVar("ENABLED_SERVICES", unknownString("ENABLED_SERVICES depends on "+a.text))
			return triUnknown
		}
		if slices.Contains(disabled, a.val) {
			ev.diag(schema.RuleDisabledThenEnable.Diag(
				fmt.Sprintf("enable_service %s after disable_service %s", a.val, a.val),
				"DevStack warns \"Attempt to enable_service "+a.val+" when it has been disabled\" and leaves it disabled.", a.rng))
			continue
		}
		ev.updateServices(func(list []string) []string {
			if slices.Contains(list, a.val) {
				return list
			}
			return append(list, a.val)
		})
	}
	ev.updateServices(negate)
	return triTrue
}

func (ev *evaluator) disableService(args []arg) tri {
	for _, a := range args {
		if !a.known {
			ev.setVar("ENABLED_SERVICES", unknownString("ENABLED_SERVICES depends on "+a.text))
			return triUnknown
		}
		d := ev.vars["DISABLED_SERVICES"]
		switch {
		case d == nil:
			ev.setVar("DISABLED_SERVICES", knownString(","+a.val))
		case d.known:
			ev.setVar("DISABLED_SERVICES", knownString(d.stringValue()+","+a.val))
		}
		ev.updateServices(func(list []string) []string {
			return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == a.val })
		})
	}
	return triTrue
}

// legacyPrefixes are is_service_enabled's catch-alls: "nova" matches any
// n-* service, and so on.
var legacyPrefixes = map[string]string{"nova": "n-", "glance": "g-", "neutron": "q-", "trove": "tr-", "swift": "s-"}

func (ev *evaluator) isServiceEnabled(args []arg) tri {
	list, known := ev.services()
	if !known {
		return triUnknown
	}
	joined := "," + strings.Join(list, ",") + ","
	for _, a := range args {
		if !a.known {
			return triUnknown
		}
		// DevStack matches ",S," as an unquoted regular expression.
		re, err := regexp.Compile("," + a.val + ",")
		if err != nil {
			return triUnknown
		}
		if re.MatchString(joined) {
			return triTrue
		}
		if prefix, ok := legacyPrefixes[a.val]; ok && strings.Contains(joined, ","+prefix) {
			return triTrue
		}
	}
	return triFalse
}

func (ev *evaluator) isPluginEnabled(args []arg) tri {
	if len(args) == 0 || !args[0].known {
		return triUnknown
	}
	st := triFalse
	for _, p := range ev.cfg.Plugins {
		if !p.Name.Known() {
			st = triUnknown
			continue
		}
		if p.Name.String() == args[0].val {
			if !p.Conditional {
				return triTrue
			}
			st = triUnknown
		}
	}
	return st
}
