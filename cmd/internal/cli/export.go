package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/hashicorp/hcl/v2"
	"gopkg.in/yaml.v3"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema"
)

type exportArgs struct {
	config     configFlags
	zuul       zuulFlags
	out        string
	connection string
	nodeDests  []string
	hosts      []string
	bin        string
	devstack   string
	color      string
}

// runExport is `stackplan export ansible`: for each node of a Zuul job, a
// template of its local.conf, and an inventory and playbook that write it
// on the node's host, with the addresses of the job's nodes filled in, and
// run `stackplan plan` and `stackplan apply` there, the controller first.
//
// Nothing that comes from a Zuul file or a stack.hcl is ever templated by
// Ansible: node names must be plain host names, every other value in the
// inventory is tagged !unsafe, the local.conf template escapes every "{"
// that could open a Jinja tag, and the only expressions in it are
// stackplan's own, naming a node's address.
func (c *Command) runExport(args []string) int {
	var a exportArgs
	fs := c.newFlagSet("export", "Usage: stackplan export ansible --zuul FILE... --job NAME --out DIR [flags]\n\nWrites an Ansible inventory and playbook that write each node's local.conf on its host,\nwith the node addresses filled in at deploy time, and apply it: the controller first,\nthen the other nodes.")
	a.config.register(fs)
	a.zuul.register(fs)
	fs.StringVar(&a.out, "out", "", "write the inventory, playbook and node files into `DIR`")
	fs.StringVar(&a.connection, "connection", "", "ansible_connection of every host (default: Ansible's, ssh)")
	fs.StringArrayVar(&a.nodeDests, "node-dest", nil, "DEST of one node, as NODE=DIR (repeatable; default --dest, else /opt/stack)")
	fs.StringArrayVar(&a.hosts, "host", nil, "address of one node, as NODE=ADDRESS: its ansible_host, and what the job's references to the node's address become (repeatable)")
	fs.StringVar(&a.bin, "bin", "stackplan", "the stackplan binary on the hosts (the playbook's stackplan_bin)")
	fs.StringVar(&a.devstack, "devstack", "", "a DevStack checkout on the hosts: each node runs stackplan apply --devstack DIR (the playbook's stackplan_devstack)")
	fs.StringVar(&a.color, "color", "auto", "colour diagnostics: auto, always or never")
	if code, ok := c.parseFlags(fs, args); !ok {
		return code
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan export: "+format+"\n", args...)
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] != "ansible" {
		return fail(ExitUsage, "the only export format is ansible: stackplan export ansible --zuul FILE... --job NAME --out DIR")
	}
	var hclFile string
	if !a.zuul.given() && len(rest) == 2 && hclconf.IsHCLFile(rest[1]) {
		hclFile = rest[1] // a stack.hcl, its node blocks the nodes
	} else {
		a.zuul.files = append(a.zuul.files, rest[1:]...)
	}
	if (!a.zuul.given() && hclFile == "") || a.out == "" {
		return fail(ExitUsage, "needs --zuul FILE and --job NAME, or a stack.hcl, and --out DIR")
	}
	nodeDest, err := assignments("--node-dest", a.nodeDests)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	hostAddr, err := assignments("--host", a.hosts)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	for name, addr := range hostAddr {
		if !addressRE.MatchString(addr) {
			return fail(ExitUsage, "--host %s=%s: not a host name or IP address", name, addr)
		}
	}
	opts, err := a.config.options(c)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	var job *zuulJob
	if hclFile != "" {
		job, err = c.compileHCLNodes(hclFile, a.zuul.node, opts)
	} else {
		job, err = c.compileZuul(a.zuul, opts)
	}
	if err != nil {
		return c.zuulFailure("export", a.color, err)
	}
	for name := range nodeDest {
		if !job.has(name) {
			return fail(ExitUsage, "--node-dest %s: %s has no such node", name, job.title())
		}
	}
	for name := range hostAddr {
		if !job.has(name) {
			return fail(ExitUsage, "--host %s: %s has no such node", name, job.title())
		}
	}
	dopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
	if err := diagview.Write(c.Stderr, diagview.Pretty, job.shownDiagnostics(), job.files, dopts); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	if job.hasErrors() {
		return fail(ExitFindings, "the job has errors; nothing was written")
	}
	for _, n := range job.nodes {
		if !hostNameRE.MatchString(n.node.Name) {
			return fail(ExitFindings, "node name %q is not a plain host name (letters, digits, '.', '_' and '-'): Ansible would read it as a template; nothing was written", n.node.Name)
		}
		if msg := emptyServiceHost(n.node); msg != "" {
			return fail(ExitFindings, "%s; nothing was written", msg)
		}
	}

	inv := newInventory(a.bin, a.devstack)
	var templates [][2]string // path, content
	for _, n := range job.nodes {
		name := n.node.Name
		dest := nodeDest[name]
		if dest == "" {
			dest = opts.Dest
		}
		if dest == "" {
			dest = localconf.DefaultDest
		}
		if !filepath.IsAbs(dest) {
			if dest, err = filepath.Abs(dest); err != nil {
				return fail(ExitUsage, "%v", err)
			}
		}
		// What the node will plan, with addresses unknown: its errors
		// stop the export here rather than on the host.
		lopts := opts
		lopts.Dest = dest
		lopts.Kind = ""
		cfg, front := localconf.Parse("local.conf", []byte(n.node.LocalConf), lopts)
		if _, diags := compiler.Compile(cfg, front, compiler.Options{ToolVersion: Version, Env: opts.Env}); diags.HasErrors() {
			return fail(ExitFindings, "node %s: its generated local.conf has errors: %s", name, firstError(diags))
		}
		config := filepath.ToSlash(filepath.Join("nodes", name, "local.conf.j2"))
		templates = append(templates, [2]string{filepath.Join(a.out, "nodes", name, "local.conf.j2"), localConfTemplate(n.node)})
		vars := []hostVar{
			{"stackplan_dest", dest, false},
			{"stackplan_workdir", filepath.Join(dest, ".stackplan-job"), false},
			{"stackplan_config", config, false},
		}
		if addr := hostAddr[name]; addr != "" {
			vars = append(vars, hostVar{"ansible_host", addr, false}, hostVar{"stackplan_address", addr, false})
		} else {
			vars = append(vars, hostVar{"stackplan_address", "{{ ansible_host | default(inventory_hostname) }}", true})
		}
		if a.connection != "" {
			vars = append(vars, hostVar{"ansible_connection", a.connection, false})
			if a.connection == "local" {
				vars = append(vars, hostVar{"ansible_python_interpreter", "{{ ansible_playbook_python }}", true})
			}
		}
		inv.addHost(n.node.Controller, name, vars)
	}
	for _, t := range templates {
		if err := os.MkdirAll(filepath.Dir(t[0]), 0o755); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		if err := planfile.WriteFileAtomic(t[0], []byte(t[1]), 0o600); err != nil {
			return fail(ExitInternal, "%v", err)
		}
	}
	invData, err := yaml.Marshal(inv.doc)
	if err != nil {
		return fail(ExitInternal, "%v", err)
	}
	invData = append([]byte(fmt.Sprintf("# Written by stackplan export ansible for %s.\n", commentText(job.title()))), invData...)
	if err := planfile.WriteFileAtomic(filepath.Join(a.out, "inventory.yml"), invData, 0o644); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	var book strings.Builder
	if err := playbookTemplate.Execute(&book, playbookData{Title: commentText(job.title()), DevStack: a.devstack != ""}); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	if err := planfile.WriteFileAtomic(filepath.Join(a.out, "playbook.yml"), []byte(book.String()), 0o644); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	fmt.Fprintf(c.Stdout, "Wrote %d node configurations for %s to %s; run them with:\n  ansible-playbook -i %s %s\n",
		len(job.nodes), job.title(), a.out, filepath.Join(a.out, "inventory.yml"), filepath.Join(a.out, "playbook.yml"))
	return ExitOK
}

var (
	// hostNameRE is what a node name must be to reach Ansible: a plain
	// host name, which Ansible never templates.
	hostNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	// addressRE is a host name or an IPv4 or IPv6 address (with a zone).
	addressRE = regexp.MustCompile(`^[A-Za-z0-9_.:%-]+$`)
)

// emptyServiceHost says why a subnode would get an empty SERVICE_HOST: one
// set to a Jinja expression the export does not fill in.
func emptyServiceHost(n schema.Node) string {
	if n.Controller || n.Config == nil {
		return ""
	}
	for _, as := range n.Config.Assignments {
		if as.Name != "SERVICE_HOST" || as.Value.Known() || as.Value.Missing() {
			continue
		}
		filled := slices.ContainsFunc(n.DeployTime, func(d schema.DeployValue) bool {
			return d.Range.Filename == as.Value.Range.Filename && as.Value.Range.Start.Byte >= d.Range.Start.Byte && as.Value.Range.Start.Byte <= d.Range.End.Byte
		})
		if !filled {
			return fmt.Sprintf("node %s: SERVICE_HOST (%s) is known only when the job runs, and is not a node's address the export can fill in: the subnode would get an empty SERVICE_HOST. Set it to \"{{ hostvars['controller']['nodepool']['private_ipv4'] }}\"",
				n.Name, as.Value.Range)
		}
	}
	return ""
}

// localConfTemplate is the node's local.conf as an Ansible template: its
// text escaped so that Jinja reads every character literally, and each
// deploy-time value an expression naming the node whose address it is.
func localConfTemplate(n schema.Node) string {
	var b strings.Builder
	text := n.LocalConf
	at := 0
	for _, d := range n.DeployTime {
		if d.Offset < at || d.Offset+d.Len > len(text) {
			continue // never: the values are in order and inside the text
		}
		b.WriteString(jinjaLiteral(text[at:d.Offset], at == 0))
		for _, p := range d.Parts {
			switch {
			case p.Node != "" && d.Shell:
				fmt.Fprintf(&b, "{{ hostvars['%s']['stackplan_address'] | quote }}", p.Node)
			case p.Node != "":
				fmt.Fprintf(&b, "{{ hostvars['%s']['stackplan_address'] }}", p.Node)
			case d.Shell:
				b.WriteString(jinjaLiteral(zuul.ShellWord(p.Literal), false))
			default:
				b.WriteString(jinjaLiteral(p.Literal, false))
			}
		}
		at = d.Offset + d.Len
	}
	b.WriteString(jinjaLiteral(text[at:], at == 0))
	return b.String()
}

// jinjaLiteral escapes text for a Jinja template: a "{" that could open a
// tag ({{, {%, {#, or one at the end, before what follows) becomes the
// expression {{ '{' }}, and a first line that Ansible would read as
// template options (#jinja2:) is defused. Nothing else in text means
// anything to Jinja.
func jinjaLiteral(text string, first bool) string {
	var b strings.Builder
	if first && strings.HasPrefix(text, "#jinja2:") {
		b.WriteString("{{ '#' }}")
		text = text[1:]
	}
	for i := 0; i < len(text); i++ {
		if text[i] == '{' && (i+1 == len(text) || strings.IndexByte("{%#", text[i+1]) >= 0) {
			b.WriteString("{{ '{' }}")
			continue
		}
		b.WriteByte(text[i])
	}
	return b.String()
}

// commentText makes a name safe for a YAML comment line.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return '?'
		}
		return r
	}, s)
}

func (j *zuulJob) has(node string) bool {
	for _, n := range j.nodes {
		if n.node.Name == node {
			return true
		}
	}
	return false
}

func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d.Error()
		}
	}
	return ""
}

// assignments parses repeated NAME=VALUE flags.
func assignments(flag string, list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%s %q: expected NODE=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

const (
	controllerGroup = "stackplan_controller"
	subnodeGroup    = "stackplan_subnodes"
)

// hostVar is one inventory variable: a value from the user or from the
// configuration, tagged !unsafe so that Ansible never templates it, or
// (jinja set) one of stackplan's own expressions.
type hostVar struct {
	name, value string
	jinja       bool
}

// inventory is the YAML inventory, built as nodes so that values carry
// their !unsafe tag.
type inventory struct {
	doc            *yaml.Node
	ctrl, subnodes *yaml.Node // the hosts mappings of the two groups
}

func newInventory(bin, devstack string) *inventory {
	inv := &inventory{ctrl: mapping(), subnodes: mapping()}
	vars := mapping()
	addVar(vars, hostVar{"stackplan_bin", bin, false})
	if devstack != "" {
		addVar(vars, hostVar{"stackplan_devstack", devstack, false})
	}
	children := mapping()
	for _, g := range []struct {
		name  string
		hosts *yaml.Node
	}{{controllerGroup, inv.ctrl}, {subnodeGroup, inv.subnodes}} {
		group := mapping()
		group.Content = append(group.Content, scalar("hosts"), g.hosts)
		children.Content = append(children.Content, scalar(g.name), group)
	}
	all := mapping()
	all.Content = append(all.Content, scalar("vars"), vars, scalar("children"), children)
	inv.doc = mapping()
	inv.doc.Content = append(inv.doc.Content, scalar("all"), all)
	return inv
}

func (inv *inventory) addHost(controller bool, name string, vars []hostVar) {
	hosts := inv.subnodes
	if controller {
		hosts = inv.ctrl
	}
	m := mapping()
	for _, v := range vars {
		addVar(m, v)
	}
	hosts.Content = append(hosts.Content, scalar(name), m)
}

func addVar(m *yaml.Node, v hostVar) {
	val := &yaml.Node{Kind: yaml.ScalarNode, Value: v.value, Style: yaml.DoubleQuotedStyle}
	if !v.jinja {
		val.Tag = "!unsafe"
	}
	m.Content = append(m.Content, scalar(v.name), val)
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }
func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

type playbookData struct {
	Title    string
	DevStack bool // apply runs with --devstack "{{ stackplan_devstack }}"
}

// playbookTemplate runs the controller's play before the subnodes' play;
// any_errors_fatal stops everything at the first failed node, and the
// failure names the node. Every expression in it is stackplan's own; the
// values it reads are tagged !unsafe in the inventory, and what plan and
// apply print is a registered result, which Ansible never templates.
var playbookTemplate = template.Must(template.New("playbook").Delims("[[", "]]").Parse(`# Written by stackplan export ansible for [[.Title]].
# Run: ansible-playbook -i inventory.yml playbook.yml [-e stackplan_bin=/path/to/stackplan]
# Each node's local.conf is written from nodes/NODE/local.conf.j2, the node
# addresses it refers to filled in from the inventory's stackplan_address;
# then the node plans it and applies the plan. The controller is applied
# first; the other nodes only when it succeeded.
- name: Apply the controller's plan
  hosts: ` + controllerGroup + `
  gather_facts: false
  any_errors_fatal: true
  tasks: &stackplan_tasks
    - name: Check the node addresses
      ansible.builtin.assert:
        that: hostvars[item]['stackplan_address'] is match('^[A-Za-z0-9_.:%-]+$')
        fail_msg: "node {{ item }} has no usable address: set it with stackplan export --host {{ item }}=ADDRESS"
        quiet: true
      loop: "{{ groups['all'] }}"
    - name: Create the stackplan work directory
      ansible.builtin.file:
        path: "{{ stackplan_workdir }}"
        state: directory
        mode: "0755"
    - name: Write the node's local.conf
      ansible.builtin.template:
        src: "{{ playbook_dir }}/{{ stackplan_config }}"
        dest: "{{ stackplan_workdir }}/local.conf"
        mode: "0600"
    - name: Plan the node
      ansible.builtin.command:
        argv:
          - "{{ stackplan_bin }}"
          - plan
          - --color=never
          - --dest
          - "{{ stackplan_dest }}"
          - --out
          - plan.json
          - local.conf
        chdir: "{{ stackplan_workdir }}"
      register: stackplan_plan
      failed_when: false
      changed_when: false
    - name: Stop when the node's configuration has errors
      ansible.builtin.fail:
        msg: "stackplan plan failed on node {{ inventory_hostname }} (exit {{ stackplan_plan.rc }}): {{ stackplan_plan.stderr | default(stackplan_plan.msg | default('')) }}"
      when: stackplan_plan.rc != 0
    - name: Run stackplan apply
      ansible.builtin.command:
        argv:
          - "{{ stackplan_bin }}"
          - apply
          - --color=never[[if .DevStack]]
          - --devstack
          - "{{ stackplan_devstack }}"[[end]]
          - plan.json
        chdir: "{{ stackplan_workdir }}"
      register: stackplan_apply
      failed_when: false
      changed_when: stackplan_apply.rc == 0
    - name: Show what stackplan apply printed
      ansible.builtin.debug:
        var: stackplan_apply.stdout_lines
    - name: Stop when the node failed
      ansible.builtin.fail:
        msg: "stackplan apply failed on node {{ inventory_hostname }} (exit {{ stackplan_apply.rc }}): {{ stackplan_apply.stderr | default(stackplan_apply.msg | default('')) }}"
      when: stackplan_apply.rc != 0

- name: Apply the other nodes' plans
  hosts: ` + subnodeGroup + `
  gather_facts: false
  any_errors_fatal: true
  tasks: *stackplan_tasks
`))
