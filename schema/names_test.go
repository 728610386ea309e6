package schema

import "testing"

// TestCheckURLHostile lists URLs that must never reach git: option
// injection, program-running transports, and whitespace that splits the
// URL into several arguments.
func TestCheckURLHostile(t *testing.T) {
	for _, raw := range []string{
		"--upload-pack=touch /tmp/x",
		"-c",
		"ext::sh -c touch% /tmp/x",
		"ext::sh",
		"EXT::sh",
		"fd::17",
		"fd::3,4/x",
		"ssh://-oProxyCommand=touch/x",
		"git+ssh://-oProxyCommand=x/y",
		"ssh://-oProxyCommand=x@host/y",
		"ssh://[-oProxyCommand=x]/y",
		"https://x/y z",
		"https://x/y\nz",
		"https://x/y\tz",
		"https://x/\x7f",
		"sh -c x",
	} {
		if prob, why := CheckURL(raw); prob != URLBadScheme {
			t.Errorf("CheckURL(%q) = %v %q, want URLBadScheme", raw, prob, why)
		}
	}
	for _, raw := range []string{
		"https://opendev.org/openstack/heat",
		"ssh://git@review.opendev.org:29418/openstack/heat",
		"git@github.com:openstack/heat.git",
		"file:///srv/git/heat",
		"/srv/git/heat",
		"../heat",
		"heat",
	} {
		if prob, why := CheckURL(raw); prob != URLOK {
			t.Errorf("CheckURL(%q) = %v %q, want URLOK", raw, prob, why)
		}
	}
}

// TestCheckRefHostile lists refs that must never reach git fetch.
func TestCheckRefHostile(t *testing.T) {
	for _, ref := range []string{
		"--upload-pack=/tmp/evil", "-c", "-", "ma ster", "mas\nter", "a\x00b", "refs/heads/../x",
		"HEAD@{1}", "@", "a:b", "a*", "a?", "a[b", `a\b`, "/x", "x/", "a//b", "x.", ".x", "a/.b", "x.lock", "~1", "^x",
	} {
		if prob, why := CheckRef(ref); prob != RefInvalid {
			t.Errorf("CheckRef(%q) = %v %q, want RefInvalid", ref, prob, why)
		}
	}
}

// TestCheckNameHostile lists plugin names that would leave DEST, nest in
// it, or be split or glob-expanded by DevStack's unquoted loops.
func TestCheckNameHostile(t *testing.T) {
	for _, name := range []string{
		"", ".", "..", "../x", "x/..", "a/b", "/abs", `a\b`, "-x", ".hidden", "a b", "a,b", "a*", "a?", "[a]", "a\nb", "a\x00b", "a$b", "a;b", "a`b`",
	} {
		if err := CheckName(name); err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", name)
		}
	}
	for _, name := range []string{"heat", "devstack-plugin-ceph", "networking_ovn", "x.y"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}
