package schema

import (
	"regexp"
	"sort"
	"strings"
)

// userinfoRE finds the user information of URLs in free text.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*)://([^/@\s]+)@`)

// IsSecretName reports whether a variable of this name holds a secret whose
// value must never appear in a plan, an output or a log: names containing
// PASSWORD, TOKEN or SECRET, or ending in _KEY, in any case.
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	return strings.Contains(u, "PASSWORD") || strings.Contains(u, "TOKEN") ||
		strings.Contains(u, "SECRET") || strings.HasSuffix(u, "_KEY") || u == "KEY"
}

// Redactor replaces known secret values in text. The zero value redacts
// nothing but URL credentials.
type Redactor struct {
	secrets []string // longest first, so a secret containing another is replaced whole
}

// Mask is what a redacted secret is replaced with.
const Mask = "***"

// AddSecret registers a value to hide. Very short values are ignored: hiding
// every "a" or "1" would make output unreadable while protecting nothing.
func (r *Redactor) AddSecret(value string) {
	if len(value) < 4 {
		return
	}
	for _, s := range r.secrets {
		if s == value {
			return
		}
	}
	r.secrets = append(r.secrets, value)
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Redact returns s with every registered secret and every URL credential
// replaced by [Mask].
func (r *Redactor) Redact(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Mask)
			}
		}
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		fields := strings.Fields(s)
		for _, f := range fields {
			if red := RedactURL(f); red != f {
				s = strings.Replace(s, f, red, 1)
			}
		}
	}
	return s
}

// SecretsOf registers the values of every secret-named assignment and
// environment variable of cfg.
func (r *Redactor) SecretsOf(cfg *Config) {
	for _, a := range cfg.Assignments {
		if IsSecretName(a.Name) {
			r.AddSecret(a.Value.String())
		}
	}
	for _, e := range cfg.Env {
		if IsSecretName(e.Name) {
			r.AddSecret(e.Value)
		}
	}
}

// MaskSource hides secrets in source text while keeping every byte offset:
// each byte of a registered secret, and of the user-information part of a
// URL with a password or an http(s) token, becomes '*'. Diagnostic
// snippets are rendered from masked source so their columns still line up.
func (r *Redactor) MaskSource(src []byte) []byte {
	out := []byte(string(src))
	mask := func(from, to int) {
		for i := from; i < to; i++ {
			out[i] = '*'
		}
	}
	if r != nil {
		for _, sec := range r.secrets {
			s := string(out)
			for off := 0; ; {
				i := strings.Index(s[off:], sec)
				if i < 0 {
					break
				}
				mask(off+i, off+i+len(sec))
				off += i + len(sec)
			}
		}
	}
	for _, m := range userinfoRE.FindAllSubmatchIndex(out, -1) {
		scheme := strings.ToLower(string(out[m[2]:m[3]]))
		userinfo := out[m[4]:m[5]]
		if strings.Contains(string(userinfo), ":") || scheme == "http" || scheme == "https" {
			mask(m[4], m[5])
		}
	}
	return out
}
