package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler/hclconf"
	"github.com/stackplan/stackplan/compiler/job"
	"github.com/stackplan/stackplan/export/ansible"
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
	// hclFile is the stack.hcl whose node blocks are the nodes, when no
	// Zuul file is given.
	hclFile string
	// nodeDest and hostAddr are --node-dest and --host by node name.
	nodeDest, hostAddr map[string]string
}

const exportHelp = "Usage: stackplan export ansible --zuul FILE... --job NAME --out DIR [flags]\n\nWrites an Ansible inventory and playbook that write each node's local.conf on its host,\nwith the node addresses filled in at deploy time, and apply it: the controller first,\nthen the other nodes."

func (a *exportArgs) flags(fs *pflag.FlagSet) {
	a.config.register(fs)
	a.zuul.register(fs)
	fs.StringVar(&a.out, "out", "", "write the inventory, playbook and node files into `DIR`")
	fs.StringVar(&a.connection, "connection", "", "ansible_connection of every host (default: Ansible's, ssh)")
	fs.StringArrayVar(&a.nodeDests, "node-dest", nil, "DEST of one node, as NODE=DIR (repeatable; default --dest, else /opt/stack)")
	fs.StringArrayVar(&a.hosts, "host", nil, "address of one node, as NODE=ADDRESS: its ansible_host, and what the job's references to the node's address become (repeatable)")
	fs.StringVar(&a.bin, "bin", "stackplan", "the stackplan binary on the hosts (the playbook's stackplan_bin)")
	fs.StringVar(&a.devstack, "devstack", "", "a DevStack checkout on the hosts: each node runs stackplan apply --devstack DIR (the playbook's stackplan_devstack)")
	fs.StringVar(&a.color, "color", "auto", "colour diagnostics: auto, always or never")
}

func (a *exportArgs) check(rest []string) error {
	if len(rest) == 0 || rest[0] != "ansible" {
		return fmt.Errorf("the only export format is ansible: stackplan export ansible --zuul FILE... --job NAME --out DIR")
	}
	if !a.zuul.given() && len(rest) == 2 && hclconf.IsHCLFile(rest[1]) {
		a.hclFile = rest[1] // a stack.hcl, its node blocks the nodes
	} else {
		a.zuul.files = append(a.zuul.files, rest[1:]...)
	}
	if (!a.zuul.given() && a.hclFile == "") || a.out == "" {
		return fmt.Errorf("needs --zuul FILE and --job NAME, or a stack.hcl, and --out DIR")
	}
	var err error
	if a.nodeDest, err = assignments("--node-dest", a.nodeDests); err != nil {
		return err
	}
	if a.hostAddr, err = assignments("--host", a.hosts); err != nil {
		return err
	}
	for name, addr := range a.hostAddr {
		if !ansible.IsAddress(addr) {
			return fmt.Errorf("--host %s=%s: not a host name or IP address", name, addr)
		}
	}
	return nil
}

// runExport is `stackplan export ansible`: for each node of a Zuul job or
// of a stack.hcl's node blocks, a template of its local.conf, and an
// inventory and playbook that write it on the node's host and apply it
// there (see package ansible).
func (c *Command) runExport(a *exportArgs) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan export: "+format+"\n", args...)
		return code
	}
	opts, err := a.config.options(c)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	var j *job.Job
	if a.hclFile != "" {
		j, err = c.newCompilation(nil, nil, false).compileHCLNodes(a.hclFile, a.zuul.node, opts)
	} else {
		j, err = c.newCompilation(nil, nil, false).compileZuul(a.zuul, opts)
	}
	if err != nil {
		return c.zuulFailure("export", a.color, err)
	}
	for name := range a.nodeDest {
		if !j.Has(name) {
			return fail(ExitUsage, "--node-dest %s: %s has no such node", name, j.Title())
		}
	}
	for name := range a.hostAddr {
		if !j.Has(name) {
			return fail(ExitUsage, "--host %s: %s has no such node", name, j.Title())
		}
	}
	dopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
	if err := diagview.Write(c.Stderr, diagview.Pretty, j.Shown(), j.Files, dopts); err != nil {
		return fail(ExitInternal, "%v", err)
	}
	eopts := ansible.Options{Dir: a.out, Bin: a.bin, DevStack: a.devstack, Connection: a.connection, NodeDest: a.nodeDest, Hosts: a.hostAddr,
		Dest: opts.Dest, Env: opts.Env, ToolVersion: Version}
	if err := ansible.Write(j, eopts); err != nil {
		code := ExitInternal
		if errors.As(err, new(*ansible.RefusedError)) {
			code = ExitFindings
		}
		return fail(code, "%v", err)
	}
	fmt.Fprintf(c.Stdout, "Wrote %d node configurations for %s to %s; run them with:\n  ansible-playbook -i %s %s\n",
		len(j.Nodes), j.Title(), a.out, filepath.Join(a.out, "inventory.yml"), filepath.Join(a.out, "playbook.yml"))
	return ExitOK
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
