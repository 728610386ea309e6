// Package ansible writes an Ansible inventory and playbook that apply each
// node of a job (a Zuul job's nodeset, or a stack.hcl's node blocks) on
// its host: a template of each node's local.conf with the node addresses
// filled in at deploy time, then stackplan plan and apply there, the
// controller first.
//
// Nothing that comes from a Zuul file or a stack.hcl is ever templated by
// Ansible: node names must be plain host names, every other value in the
// inventory is tagged !unsafe, the local.conf template escapes every "{"
// that could open a Jinja tag, and the only expressions in it are
// stackplan's own, naming a node's address.
package ansible

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

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/job"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/compiler/zuul"
	"github.com/stackplan/stackplan/internal/atomicfile"
	"github.com/stackplan/stackplan/schema"
)

// Options say where the export goes and how the hosts are reached.
type Options struct {
	// Dir receives inventory.yml, playbook.yml and nodes/NODE/local.conf.j2.
	Dir string
	// Bin is the stackplan binary on the hosts (the playbook's stackplan_bin).
	Bin string
	// DevStack, when set, is a DevStack checkout on the hosts: each node
	// runs stackplan apply --devstack DIR.
	DevStack string
	// Connection is every host's ansible_connection ("" leaves Ansible's).
	Connection string
	// NodeDest gives a node's DEST by name; Dest is the others' (default
	// DevStack's /opt/stack).
	NodeDest map[string]string
	Dest     string
	// Hosts gives a node's address by name: its ansible_host, and what the
	// job's references to the node's address become.
	Hosts map[string]string
	// Env is what each node's generated local.conf is checked against.
	Env         map[string]string
	ToolVersion string
}

// RefusedError is a job the export refuses to write (nothing was written):
// it has errors, or a value Ansible would read as a template.
type RefusedError struct{ msg string }

func (e *RefusedError) Error() string { return e.msg }

func refused(format string, args ...any) error {
	return &RefusedError{fmt.Sprintf(format, args...)}
}

// IsAddress reports whether s is a host name or an IPv4 or IPv6 address.
func IsAddress(s string) bool { return addressRE.MatchString(s) }

// Write checks the job and writes its export to o.Dir. A *RefusedError
// says why nothing was written; any other error is the file system's.
func Write(j *job.Job, o Options) error {
	if j.HasErrors() {
		return refused("the job has errors; nothing was written")
	}
	var err error
	for _, n := range j.Nodes {
		if !hostNameRE.MatchString(n.Name) {
			return refused("node name %q is not a plain host name (letters, digits, '.', '_' and '-'): Ansible would read it as a template; nothing was written", n.Name)
		}
		if msg := emptyServiceHost(n.Node); msg != "" {
			return refused("%s; nothing was written", msg)
		}
	}

	inv := newInventory(o.Bin, o.DevStack)
	var templates [][2]string // path, content
	for _, n := range j.Nodes {
		name := n.Name
		dest := o.NodeDest[name]
		if dest == "" {
			dest = o.Dest
		}
		if dest == "" {
			dest = evaluator.DefaultDest
		}
		if !filepath.IsAbs(dest) {
			if dest, err = filepath.Abs(dest); err != nil {
				return err
			}
		}
		// What the node will plan, with addresses unknown: its errors
		// stop the export here rather than on the host.
		lopts := evaluator.Options{Env: o.Env}
		lopts.Dest = dest
		cfg, front := localconf.Parse("local.conf", []byte(n.LocalConf), lopts)
		if _, diags := compiler.Compile(cfg, front, compiler.Options{ToolVersion: o.ToolVersion, Env: o.Env}); diags.HasErrors() {
			return refused("node %s: its generated local.conf has errors: %s", name, firstError(diags))
		}
		config := filepath.ToSlash(filepath.Join("nodes", name, "local.conf.j2"))
		templates = append(templates, [2]string{filepath.Join(o.Dir, "nodes", name, "local.conf.j2"), localConfTemplate(n.Node)})
		vars := []hostVar{
			{"stackplan_dest", dest, false},
			{"stackplan_workdir", filepath.Join(dest, ".stackplan-job"), false},
			{"stackplan_config", config, false},
		}
		if addr := o.Hosts[name]; addr != "" {
			vars = append(vars, hostVar{"ansible_host", addr, false}, hostVar{"stackplan_address", addr, false})
		} else {
			vars = append(vars, hostVar{"stackplan_address", "{{ ansible_host | default(inventory_hostname) }}", true})
		}
		if o.Connection != "" {
			vars = append(vars, hostVar{"ansible_connection", o.Connection, false})
			if o.Connection == "local" {
				vars = append(vars, hostVar{"ansible_python_interpreter", "{{ ansible_playbook_python }}", true})
			}
		}
		inv.addHost(n.Controller, name, vars)
	}
	for _, t := range templates {
		if err := os.MkdirAll(filepath.Dir(t[0]), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(t[0], []byte(t[1]), 0o600); err != nil {
			return err
		}
	}
	invData, err := yaml.Marshal(inv.doc)
	if err != nil {
		return err
	}
	invData = append([]byte(fmt.Sprintf("# Written by stackplan export ansible for %s.\n", commentText(j.Title()))), invData...)
	if err := atomicfile.Write(filepath.Join(o.Dir, "inventory.yml"), invData, 0o644); err != nil {
		return err
	}
	var book strings.Builder
	if err := playbookTemplate.Execute(&book, playbookData{Title: commentText(j.Title()), DevStack: o.DevStack != ""}); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(o.Dir, "playbook.yml"), []byte(book.String()), 0o644)
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

func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d.Error()
		}
	}
	return ""
}

// The inventory groups: the controller is applied first, then the subnodes.
const (
	ControllerGroup = "stackplan_controller"
	SubnodeGroup    = "stackplan_subnodes"
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
	}{{ControllerGroup, inv.ctrl}, {SubnodeGroup, inv.subnodes}} {
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
  hosts: ` + ControllerGroup + `
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
  hosts: ` + SubnodeGroup + `
  gather_facts: false
  any_errors_fatal: true
  tasks: *stackplan_tasks
`))
