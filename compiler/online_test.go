package compiler_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/schema"
)

func TestResolveRefs(t *testing.T) {
	const url = "https://opendev.org/openstack/foo"
	refs := map[string]string{
		"refs/heads/master":            "1111111111111111111111111111111111111111",
		"refs/heads/main":              "2222222222222222222222222222222222222222",
		"refs/heads/feature-x":         "3333333333333333333333333333333333333333",
		"refs/heads/unmaintained/yoga": "4444444444444444444444444444444444444444",
		"refs/tags/zed-eol":            "5555555555555555555555555555555555555555",
		"refs/tags/1.0.0":              "6666666666666666666666666666666666666666",
		"refs/changes/42/42/1":         "7777777777777777777777777777777777777777",
	}
	for _, tc := range []struct {
		name, ref string
		head      string
		commit    string // recorded in the plan
		rule      string // the finding, if any
		detail    string // a substring of its detail
	}{
		{name: "branch", ref: "feature-x", commit: "3333333333333333333333333333333333333333"},
		{name: "tag", ref: "1.0.0", commit: "6666666666666666666666666666666666666666"},
		{name: "refs/changes", ref: "refs/changes/42/42/1", commit: "7777777777777777777777777777777777777777"},
		{name: "full sha not advertised", ref: "abcdefabcdefabcdefabcdefabcdefabcdefabcd", commit: "abcdefabcdefabcdefabcdefabcdefabcdefabcd"},
		{name: "default master exists", ref: "", head: "main", commit: "1111111111111111111111111111111111111111"},
		{name: "eol tag", ref: "stable/zed", rule: "ref-not-found", detail: "Use zed-eol"},
		{name: "unmaintained branch", ref: "stable/yoga", rule: "ref-not-found", detail: "Use unmaintained/yoga"},
		{name: "closest name", ref: "featur-x", rule: "ref-not-found", detail: `Did you mean "feature-x"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "[[local|localrc]]\nenable_plugin foo " + url + " " + tc.ref + "\n"
			cfg, front := localconf.Parse("local.conf", []byte(src), localconf.Options{})
			p, diags := compiler.Compile(cfg, front, compiler.Options{Remotes: map[string]compiler.Remote{url: {Head: tc.head, Refs: refs}}})
			if got := p.Plugins[0].Commit; got != tc.commit {
				t.Errorf("commit = %q, want %q", got, tc.commit)
			}
			checkOne(t, diags, tc.rule, tc.detail)
		})
	}

	t.Run("master missing, remote defaults to main", func(t *testing.T) {
		src := "[[local|localrc]]\nenable_plugin foo " + url + "\n"
		cfg, front := localconf.Parse("local.conf", []byte(src), localconf.Options{})
		only := map[string]string{"refs/heads/main": "2222222222222222222222222222222222222222"}
		_, diags := compiler.Compile(cfg, front, compiler.Options{Remotes: map[string]compiler.Remote{url: {Head: "main", Refs: only}}})
		checkOne(t, diags, "ref-not-found", `enable_plugin defaults the ref to master; give it explicitly: enable_plugin foo `+url+` main`)
		// A defaulted ref is reported where it would be written: after the URL.
		if d := diags[0]; d.Subject.Start.Line != 2 || d.Subject.Start.Column != len("enable_plugin foo "+url)+1 {
			t.Errorf("finding at %v, want line 2 right after the URL", d.Subject)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		src := "[[local|localrc]]\nenable_plugin foo " + url + "\n"
		cfg, front := localconf.Parse("local.conf", []byte(src), localconf.Options{})
		p, diags := compiler.Compile(cfg, front, compiler.Options{Remotes: map[string]compiler.Remote{url: {Err: errors.New("connection refused")}}})
		checkOne(t, diags, "remote-unreachable", "")
		if p.Plugins[0].Commit != "" {
			t.Error("a commit was recorded for an unreachable remote")
		}
	})
}

// checkOne asserts that diags holds exactly the finding rule (none when
// rule is ""), with detail in its text.
func checkOne(t *testing.T, diags hcl.Diagnostics, rule, detail string) {
	t.Helper()
	if rule == "" {
		if len(diags) > 0 {
			t.Fatalf("unexpected findings: %v", diags)
		}
		return
	}
	if len(diags) != 1 || schema.RuleOf(diags[0]) != rule {
		t.Fatalf("findings = %v, want one %s", diags, rule)
	}
	if !strings.Contains(diags[0].Detail, detail) {
		t.Errorf("detail %q lacks %q", diags[0].Detail, detail)
	}
}
