package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/plan/planfile"
)

type exportArgs struct {
	config     configFlags
	zuul       zuulFlags
	out        string
	connection string
	nodeDests  []string
	hosts      []string
	bin        string
	color      string
}

// runExport is `stackplan export ansible`: for each node of a Zuul job, the
// local.conf and the plan, and an inventory and playbook that copy them to
// the node's host and run `stackplan apply` there, the controller first.
func (c *Command) runExport(args []string) int {
	var a exportArgs
	fs := pflag.NewFlagSet("export", pflag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	a.config.register(fs)
	a.zuul.register(fs)
	fs.StringVar(&a.out, "out", "", "write the inventory, playbook and node files into `DIR`")
	fs.StringVar(&a.connection, "connection", "", "ansible_connection of every host (default: Ansible's, ssh)")
	fs.StringArrayVar(&a.nodeDests, "node-dest", nil, "DEST of one node, as NODE=DIR (repeatable; default --dest, else /opt/stack)")
	fs.StringArrayVar(&a.hosts, "host", nil, "ansible_host of one node, as NODE=ADDRESS (repeatable)")
	fs.StringVar(&a.bin, "bin", "stackplan", "the stackplan binary on the hosts (the playbook's stackplan_bin)")
	fs.StringVar(&a.color, "color", "auto", "colour diagnostics: auto, always or never")
	fs.Usage = func() {
		fmt.Fprintln(c.Stderr, "Usage: stackplan export ansible --zuul FILE... --job NAME --out DIR [flags]\n\nWrites an Ansible inventory and playbook that apply each node's plan on its host,\nthe controller first, then the other nodes.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err)
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
		return fail(ExitUsage, "%v", err)
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

	inv := inventory{All: inventoryAll{Vars: map[string]string{"stackplan_bin": a.bin}, Children: map[string]inventoryGroup{
		controllerGroup: {Hosts: map[string]map[string]string{}},
		subnodeGroup:    {Hosts: map[string]map[string]string{}},
	}}}
	for _, n := range job.nodes {
		name := n.node.Name
		if strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
			return fail(ExitUsage, "node name %q cannot name a directory", name)
		}
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
		// The plan the host applies is made from the local.conf it is
		// given, so that apply can check it against its input there.
		conf := []byte(n.node.LocalConf)
		lopts := opts
		lopts.Dest = dest
		lopts.Kind = ""
		cfg, front := localconf.Parse("local.conf", conf, lopts)
		p, diags := compiler.Compile(cfg, front, compiler.Options{ToolVersion: Version, Env: opts.Env})
		if diags.HasErrors() {
			return fail(ExitFindings, "node %s: its generated local.conf has errors: %s", name, firstError(diags))
		}
		p.Diagnostics = nil
		dir := filepath.Join(a.out, "nodes", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		if err := planfile.WriteFileAtomic(filepath.Join(dir, "local.conf"), conf, 0o600); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		if err := planfile.Write(filepath.Join(dir, "plan.json"), p); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		vars := map[string]string{
			"stackplan_dest":    dest,
			"stackplan_workdir": filepath.Join(dest, ".stackplan-job"),
			"stackplan_plan":    filepath.ToSlash(filepath.Join("nodes", name, "plan.json")),
			"stackplan_config":  filepath.ToSlash(filepath.Join("nodes", name, "local.conf")),
		}
		if a.connection != "" {
			vars["ansible_connection"] = a.connection
			if a.connection == "local" {
				vars["ansible_python_interpreter"] = "{{ ansible_playbook_python }}"
			}
		}
		if h := hostAddr[name]; h != "" {
			vars["ansible_host"] = h
		}
		group := subnodeGroup
		if n.node.Controller {
			group = controllerGroup
		}
		inv.All.Children[group].Hosts[name] = vars
	}
	invData, err := yaml.Marshal(inv)
	if err != nil {
		return fail(ExitInternal, "%v", err)
	}
	invData = append([]byte(fmt.Sprintf("# Written by stackplan export ansible for %s.\n", job.title())), invData...)
	if err := planfile.WriteFileAtomic(filepath.Join(a.out, "inventory.yml"), invData, 0o644); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	var book strings.Builder
	if err := playbookTemplate.Execute(&book, job.title()); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	if err := planfile.WriteFileAtomic(filepath.Join(a.out, "playbook.yml"), []byte(book.String()), 0o644); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	fmt.Fprintf(c.Stdout, "Wrote %d node plans for %s to %s; run them with:\n  ansible-playbook -i %s %s\n",
		len(job.nodes), job.title(), a.out, filepath.Join(a.out, "inventory.yml"), filepath.Join(a.out, "playbook.yml"))
	return ExitOK
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

type inventory struct {
	All inventoryAll `yaml:"all"`
}

type inventoryAll struct {
	Vars     map[string]string         `yaml:"vars"`
	Children map[string]inventoryGroup `yaml:"children"`
}

type inventoryGroup struct {
	Hosts map[string]map[string]string `yaml:"hosts"`
}

// playbookTemplate runs the controller's play before the subnodes' play;
// any_errors_fatal stops everything at the first failed node, and the last
// task names the node that failed.
var playbookTemplate = template.Must(template.New("playbook").Delims("[[", "]]").Parse(`# Written by stackplan export ansible for [[.]].
# Run: ansible-playbook -i inventory.yml playbook.yml [-e stackplan_bin=/path/to/stackplan]
# The controller is applied first; the other nodes only when it succeeded.
- name: Apply the controller's plan
  hosts: ` + controllerGroup + `
  gather_facts: false
  any_errors_fatal: true
  tasks: &stackplan_tasks
    - name: Create the stackplan work directory
      ansible.builtin.file:
        path: "{{ stackplan_workdir }}"
        state: directory
        mode: "0755"
    - name: Copy the node's local.conf
      ansible.builtin.copy:
        src: "{{ playbook_dir }}/{{ stackplan_config }}"
        dest: "{{ stackplan_workdir }}/local.conf"
        mode: "0600"
    - name: Copy the node's plan
      ansible.builtin.copy:
        src: "{{ playbook_dir }}/{{ stackplan_plan }}"
        dest: "{{ stackplan_workdir }}/plan.json"
        mode: "0644"
    - name: Run stackplan apply
      ansible.builtin.command:
        argv:
          - "{{ stackplan_bin }}"
          - apply
          - --color=never
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
