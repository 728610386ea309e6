package schema

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// IsSecretName reports whether a variable of this name holds a secret whose
// value must never appear in a plan, an output or a log: names containing
// PASSWORD, TOKEN or SECRET, or ending in _KEY, in any case.
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	return strings.Contains(u, "PASSWORD") || strings.Contains(u, "TOKEN") ||
		strings.Contains(u, "SECRET") || strings.HasSuffix(u, "_KEY") || u == "KEY"
}

// Mask is what a redacted secret is replaced with.
const Mask = "***"

// Redactor masks secrets in what stackplan prints and writes.
//
// Secret values are masked only in values derived from secret variables
// (schema.Value.Secret): a password such as "stack" must not turn every
// /opt/stack into /opt/***. Credentials in URLs are masked everywhere.
// The zero value masks URL credentials only.
type Redactor struct {
	secrets []string               // longest first, so a secret containing another is masked whole
	ranges  map[string][]hcl.Range // secret values as written, per file
}

// AddSecret registers a value to hide.
func (r *Redactor) AddSecret(value string) {
	if value == "" {
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

// Secrets returns the secret values registered, longest first.
func (r *Redactor) Secrets() []string { return slices.Clone(r.secrets) }

// SecretsOf registers every secret of cfg: the values of secret-named
// assignments and environment variables, and where those values are
// written.
func (r *Redactor) SecretsOf(cfg *Config) {
	for _, a := range cfg.Assignments {
		if !IsSecretName(a.Name) && !a.Value.Secret {
			continue
		}
		r.AddSecret(a.Value.String())
		if IsSecretName(a.Name) && a.Value.Range.Filename != "" {
			if r.ranges == nil {
				r.ranges = map[string][]hcl.Range{}
			}
			r.ranges[a.Value.Range.Filename] = append(r.ranges[a.Value.Range.Filename], a.Value.Range)
		}
	}
	for _, e := range cfg.Env {
		if IsSecretName(e.Name) {
			r.AddSecret(e.Value)
		}
	}
}

// Value returns how v may be shown: its known string (or its source text
// when unknown), with secrets masked if v derives from one, and URL
// credentials masked always.
func (r *Redactor) Value(v Value) string {
	s := v.Text
	if v.Known() {
		s = v.String()
	}
	if v.Secret {
		return r.Redact(s)
	}
	return RedactURLs(s)
}

// Redact masks every registered secret and every URL credential in s.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return RedactURLs(s)
}

// userinfoRE finds the user information of URLs in free text.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*)://([^/@\s]+)@`)

// RedactURLs masks the credentials of every URL in s: a password, or the
// user part of an http(s) URL, which is a token in practice. Plain ssh user
// names are kept.
func RedactURLs(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfoRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfoRE.FindStringSubmatch(m)
		if !credentialUserinfo(sub[1], sub[2]) {
			return m
		}
		return sub[1] + "://" + Mask + "@"
	})
}

func credentialUserinfo(scheme, userinfo string) bool {
	scheme = strings.ToLower(scheme)
	return strings.Contains(userinfo, ":") || scheme == "http" || scheme == "https"
}

// MaskSource hides secrets in the source text of file while keeping every
// byte offset: each byte of a secret assignment's value, and of URL
// credentials, becomes '*'. Diagnostic snippets are rendered from masked
// source so that their columns still line up.
func (r *Redactor) MaskSource(file string, src []byte) []byte {
	out := bytes.Clone(src)
	mask := func(from, to int) {
		for i := max(from, 0); i < min(to, len(out)); i++ {
			if out[i] != '\n' {
				out[i] = '*'
			}
		}
	}
	if r != nil {
		for _, rng := range r.ranges[file] {
			mask(rng.Start.Byte, rng.End.Byte)
		}
	}
	// Assignments the evaluator recorded no value for still hide theirs:
	// one given inline to a command (SERVICE_TOKEN=x enable_plugin ...),
	// or in a quote that never ends (the rest of the line).
	for _, m := range assignmentRE.FindAllSubmatchIndex(out, -1) {
		if IsSecretName(string(out[m[2]:m[3]])) {
			mask(m[1], m[1]+assignedValueLen(out[m[1]:]))
		}
	}
	// A match never spans lines, and lines holding both "@" and "://" are
	// rare: only those go through the regexp, which on a whole file tries
	// every byte as the start of a scheme (a fifth of a corpus lint).
	for start := 0; start < len(out); {
		end := bytes.IndexByte(out[start:], '\n')
		if end < 0 {
			end = len(out)
		} else {
			end += start
		}
		if line := out[start:end]; bytes.IndexByte(line, '@') >= 0 && bytes.Contains(line, []byte("://")) {
			for _, m := range userinfoRE.FindAllSubmatchIndex(line, -1) {
				if credentialUserinfo(string(line[m[2]:m[3]]), string(line[m[4]:m[5]])) {
					mask(start+m[4], start+m[5])
				}
			}
		}
		start = end + 1
	}
	return out
}

// assignmentRE finds NAME= or NAME+= at the start of a shell word.
var assignmentRE = regexp.MustCompile(`(?m)(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)\+?=`)

// assignedValueLen is the length of the shell word that starts src: up to
// unquoted whitespace or ';', '&', '|', or to the end of the line when a
// quote is left open.
func assignedValueLen(src []byte) int {
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			return i
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\':
			i++
		case c == ' ' || c == '\t' || c == ';' || c == '&' || c == '|':
			return i
		}
	}
	return len(src)
}
