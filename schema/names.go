package schema

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckName reports why name cannot be a plugin name, or nil. The name
// becomes a directory under DEST and a word in DevStack's unquoted loops, so
// path separators, "..", whitespace, commas and glob characters are refused.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the plugin name is empty")
	case name == "." || name == ".." || strings.Contains(name, ".."):
		return fmt.Errorf("plugin name %q contains \"..\", which would leave the destination directory", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("plugin name %q contains a path separator; the plugin directory would not be directly under DEST", name)
	case !nameRE.MatchString(name):
		return fmt.Errorf("plugin name %q must match %s (letters, digits, '.', '_', '-'; no whitespace, commas or glob characters)", name, nameRE)
	}
	return nil
}

// URLProblem is what is wrong with a plugin URL.
type URLProblem int

const (
	URLOK URLProblem = iota
	URLEmpty
	URLBadScheme
	URLCredentials
)

var (
	schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)
	// scp-like syntax: [user@]host:path, where host has no slash before the colon.
	scpRE = regexp.MustCompile(`^(?:[^@/\s]+@)?[A-Za-z0-9.\-\[\]:]+?:[^/]?`)
)

var allowedSchemes = map[string]bool{
	"https": true, "http": true, "git": true, "ssh": true, "git+ssh": true, "ssh+git": true, "file": true,
}

// URLScheme returns the scheme of a "scheme://" URL as written, and
// whether raw has one; SchemeAllowed says whether git may use it.
func URLScheme(raw string) (string, bool) {
	m := schemeRE.FindStringSubmatch(raw)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// SchemeAllowed reports whether a URL scheme (any case) is one of the
// transports stackplan lets git use: https, http, git, ssh and file.
func SchemeAllowed(scheme string) bool { return allowedSchemes[strings.ToLower(scheme)] }

// CheckURL classifies a plugin URL: the transports DevStack users need are
// https, http, git, ssh (URL or scp-like), file:// and local paths. Git's
// "transport::address" forms (ext::, fd::) run programs and are refused, as
// is anything git would parse as an option.
func CheckURL(raw string) (URLProblem, string) {
	if raw == "" {
		return URLEmpty, "the URL is empty"
	}
	if strings.HasPrefix(raw, "-") {
		return URLBadScheme, fmt.Sprintf("URL %q starts with '-': git would read it as an option", raw)
	}
	if i := strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return URLBadScheme, fmt.Sprintf("URL %q contains whitespace or a control character", raw)
	}
	if written, ok := URLScheme(raw); ok {
		scheme := strings.ToLower(written)
		if !SchemeAllowed(scheme) {
			return URLBadScheme, fmt.Sprintf("URL scheme %q is not allowed; use https, http, git, ssh or file", scheme)
		}
		u, err := url.Parse(raw)
		if err != nil {
			return URLBadScheme, fmt.Sprintf("URL %q does not parse: %v", raw, err)
		}
		// ssh://-oProxyCommand=CMD/x: old gits hand the host to ssh as an
		// argument, which ssh reads as an option (CVE-2017-1000117).
		if strings.HasPrefix(u.Hostname(), "-") || u.User != nil && strings.HasPrefix(u.User.Username(), "-") {
			return URLBadScheme, fmt.Sprintf("URL %q has a host or user name starting with '-': ssh would read it as an option", raw)
		}
		if u.User != nil {
			if _, hasPass := u.User.Password(); hasPass {
				return URLCredentials, "the URL holds a password; use a git credential helper or an SSH key instead"
			}
			if scheme == "http" || scheme == "https" {
				return URLCredentials, "the URL holds a user name or token; use a git credential helper instead"
			}
		}
		return URLOK, ""
	}
	if strings.Contains(raw, "::") {
		return URLBadScheme, fmt.Sprintf("URL %q uses git's transport::address form, which can run programs", raw)
	}
	if strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "./") || strings.HasPrefix(raw, "../") || strings.HasPrefix(raw, "~") {
		return URLOK, "" // a local path
	}
	if scpRE.MatchString(raw) && strings.Contains(raw, ":") {
		return URLOK, "" // scp-like ssh: [user@]host:path
	}
	if !strings.Contains(raw, ":") {
		return URLOK, "" // a relative local path
	}
	return URLBadScheme, fmt.Sprintf("URL %q is neither a URL with a known scheme, an scp-like address nor a path", raw)
}

// RefProblem is what is wrong with a git ref.
type RefProblem int

const (
	RefOK RefProblem = iota
	RefInvalid
	RefAbbreviatedSHA
)

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

// CheckRef applies git's check-ref-format rules (one-level names allowed, as
// branch and tag names are given short) plus DevStack's own limits: no
// leading '-' (it would be an option to git fetch), and no abbreviated
// commit ids (git fetch cannot resolve them).
func CheckRef(ref string) (RefProblem, string) {
	bad := func(why string) (RefProblem, string) {
		return RefInvalid, fmt.Sprintf("ref %q %s", ref, why)
	}
	switch {
	case ref == "":
		return bad("is empty")
	case strings.HasPrefix(ref, "-"):
		return bad("starts with '-': git would read it as an option")
	case strings.IndexFunc(ref, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0:
		return bad("contains a control character")
	case strings.ContainsAny(ref, " \t"):
		return bad("contains whitespace")
	case strings.Contains(ref, ".."):
		return bad(`contains ".."`)
	case strings.ContainsAny(ref, "~^:?*[\\"):
		return bad(`contains one of ~ ^ : ? * [ \`)
	case strings.Contains(ref, "@{") || ref == "@":
		return bad(`is "@" or contains "@{"`)
	case strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") || strings.Contains(ref, "//"):
		return bad("has an empty path component")
	case strings.HasSuffix(ref, "."):
		return bad("ends with '.'")
	}
	for _, comp := range strings.Split(ref, "/") {
		if strings.HasPrefix(comp, ".") {
			return bad("has a component starting with '.'")
		}
		if strings.HasSuffix(comp, ".lock") {
			return bad(`has a component ending with ".lock"`)
		}
	}
	if len(ref) >= 7 && len(ref) < 40 && hexRE.MatchString(ref) && strings.ContainsAny(ref, "abcdef") && strings.ContainsAny(ref, "0123456789") {
		return RefAbbreviatedSHA, fmt.Sprintf("ref %q looks like an abbreviated commit id; DevStack fetches refs by name, so give the full 40-character id", ref)
	}
	return RefOK, ""
}

// IsFullSHA reports whether ref is a full 40-hex commit id.
func IsFullSHA(ref string) bool { return len(ref) == 40 && hexRE.MatchString(ref) }

// CheckDest refuses a DEST that DevStack's unquoted $DEST and $GITDIR would
// split or expand: whitespace, control characters and glob characters.
// apply refuses it, so plan and lint report it.
func CheckDest(dest string) error {
	if i := strings.IndexFunc(dest, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("*?[", r) }); i >= 0 {
		return fmt.Errorf("DEST %q holds %q, which bash splits or expands where DevStack uses $DEST unquoted", dest, dest[i:i+utf8.RuneLen([]rune(dest[i:])[0])])
	}
	return nil
}
