package zuul

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/schema"
)

// wellKnown says which repository defines the jobs DevStack jobs are
// built on, so that a missing parent can be named with where to find it.
// Exact names come first; then the prefixes, the longest matching one
// winning.
var wellKnown = struct {
	exact    map[string]string
	prefixes [][2]string
}{
	exact: map[string]string{
		"base":                     "opendev/base-jobs",
		"base-minimal":             "opendev/base-jobs",
		"multinode":                "zuul/zuul-jobs",
		"openstack-multinode-fips": "openstack/openstack-zuul-jobs",
		"devstack":                 "openstack/devstack",
		"devstack-tempest":         "openstack/tempest",
		"devstack-tempest-ipv6":    "openstack/tempest",
		"grenade":                  "openstack/grenade",
	},
	prefixes: [][2]string{
		{"devstack-", "openstack/devstack"},
		{"devstack-tempest-", "openstack/tempest"},
		{"devstack-plugin-ceph-", "openstack/devstack-plugin-ceph"},
		{"devstack-plugin-nfs-", "openstack/devstack-plugin-nfs"},
		{"tempest-", "openstack/tempest"},
		{"grenade-", "openstack/grenade"},
		{"neutron-tempest-plugin-", "openstack/neutron-tempest-plugin"},
		{"openstack-tox-", "openstack/openstack-zuul-jobs"},
	},
}

// noDevStackVars are well-known jobs that set no DevStack variables: the
// base jobs every DevStack job ends in. Leaving them out changes nothing.
var noDevStackVars = []string{"base", "base-minimal", "multinode", "openstack-multinode-fips"}

// RepositoryOf names the repository that defines a well-known job, or "".
func RepositoryOf(job string) string {
	if r, ok := wellKnown.exact[job]; ok {
		return r
	}
	best := ""
	repo := ""
	for _, p := range wellKnown.prefixes {
		if strings.HasPrefix(job, p[0]) && len(p[0]) > len(best) {
			best, repo = p[0], p[1]
		}
	}
	return repo
}

// missingParent reports a parent that is not among the files: an error,
// since the variables it and its ancestors set are missing, unless the job
// is known (or declared by the user, bare) to set no DevStack variables.
func missingParent(name string, rng hcl.Range, bare []string) *hcl.Diagnostic {
	if slices.Contains(bare, name) || slices.Contains(noDevStackVars, name) {
		return nil
	}
	where := "Give the file or repository directory that defines it too"
	if repo := RepositoryOf(name); repo != "" {
		where = fmt.Sprintf("It is defined in %s: give that repository's directory (or its Zuul files) too", repo)
	}
	return schema.RuleZuulParent.DiagSeverity(hcl.DiagError, fmt.Sprintf("parent job %s is not in the given files", name),
		fmt.Sprintf("The DevStack variables it and its own parents set would be missing from every node's plan. %s, or, if it sets no DevStack variables, say so with --bare-parent %s.", where, name), rng)
}
