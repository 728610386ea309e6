package zuul

import (
	"regexp"
	"slices"
	"strings"

	"github.com/stackplan/stackplan/schema"
)

// Multi-node jobs give each node the addresses of the others through
// Jinja expressions that Zuul renders on the node: SERVICE_HOST is
// "{{ hostvars['controller']['nodepool']['private_ipv4'] }}", HOST_IP
// "{{ hostvars[inventory_hostname]['nodepool']['private_ipv4'] }}", and
// the like. stackplan recognises these few forms by a strict grammar (it
// never evaluates Jinja): an export fills them in from Ansible at deploy
// time. Any other expression stays unknown.
var (
	jinjaExprRE = regexp.MustCompile(`\{\{(.*?)\}\}`)
	// hostRef is hostvars['NODE'], hostvars["NODE"], hostvars.NODE or
	// hostvars[inventory_hostname], or nothing (this node).
	hostRefRE = regexp.MustCompile(`^hostvars(?:\[\s*'([A-Za-z0-9_.-]+)'\s*\]|\[\s*"([A-Za-z0-9_.-]+)"\s*\]|\.([A-Za-z0-9_-]+)|\[\s*(inventory_hostname)\s*\])`)
	// fieldRE is what follows: ['nodepool']['private_ipv4'],
	// .nodepool.private_ipv4, ['ansible_host'], .ansible_host, ...
	fieldRE = regexp.MustCompile(`^(?:(?:\[\s*'nodepool'\s*\]|\[\s*"nodepool"\s*\]|\.nodepool)(?:\[\s*'(private_ipv4|public_ipv4|private_ipv6|public_ipv6|interface_ip)'\s*\]|\[\s*"(private_ipv4|public_ipv4|private_ipv6|public_ipv6|interface_ip)"\s*\]|\.(private_ipv4|public_ipv4|private_ipv6|public_ipv6|interface_ip))|\[\s*'ansible_host'\s*\]|\[\s*"ansible_host"\s*\]|\.ansible_host)$`)
	selfRE  = regexp.MustCompile(`^(?:nodepool(?:\[\s*'(?:private_ipv4|public_ipv4|private_ipv6|public_ipv6|interface_ip)'\s*\]|\[\s*"(?:private_ipv4|public_ipv4|private_ipv6|public_ipv6|interface_ip)"\s*\]|\.(?:private_ipv4|public_ipv4|private_ipv6|public_ipv6|interface_ip))|ansible_host)$`)
)

// addressOf returns the node whose address a Jinja expression (the text
// between {{ and }}) is, self standing for hostvars[inventory_hostname]
// and the node's own variables; ok is false for any other expression.
func addressOf(expr, self string) (node string, ok bool) {
	e := strings.TrimSpace(expr)
	if selfRE.MatchString(e) {
		return self, true
	}
	m := hostRefRE.FindStringSubmatch(e)
	if m == nil || !fieldRE.MatchString(strings.TrimSpace(e[len(m[0]):])) {
		return "", false
	}
	switch {
	case m[4] != "":
		return self, true
	case m[1] != "":
		return m[1], true
	case m[2] != "":
		return m[2], true
	}
	return m[3], true
}

// addressParts splits a value into literal text and node addresses when
// every Jinja expression in it is a node's address and the nodes are the
// job's; ok is false otherwise.
func addressParts(value, self string, nodes []string) (parts []schema.ValuePart, ok bool) {
	if strings.Contains(value, "{%") || strings.Contains(value, "{#") {
		return nil, false
	}
	last := 0
	for _, m := range jinjaExprRE.FindAllStringSubmatchIndex(value, -1) {
		node, isAddr := addressOf(value[m[2]:m[3]], self)
		if !isAddr || !slices.Contains(nodes, node) {
			return nil, false
		}
		if m[0] > last {
			parts = append(parts, schema.ValuePart{Literal: value[last:m[0]]})
		}
		parts = append(parts, schema.ValuePart{Node: node})
		last = m[1]
	}
	if last < len(value) {
		parts = append(parts, schema.ValuePart{Literal: value[last:]})
	}
	for _, p := range parts {
		if strings.Contains(p.Literal, "{") || strings.Contains(p.Literal, "}") {
			return nil, false
		}
	}
	return parts, slices.ContainsFunc(parts, func(p schema.ValuePart) bool { return p.Node != "" })
}

// IsAddressExpression reports whether a value written in a Zuul file is
// made of node addresses only (for any node name), which an export fills in
// at deploy time.
func IsAddressExpression(value string) bool {
	if strings.Contains(value, "{%") || strings.Contains(value, "{#") {
		return false
	}
	ms := jinjaExprRE.FindAllStringSubmatch(value, -1)
	for _, m := range ms {
		if _, ok := addressOf(m[1], "self"); !ok {
			return false
		}
	}
	return len(ms) > 0
}
