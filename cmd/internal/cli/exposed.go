package cli

import (
	"errors"
	"io"
	"strings"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/schema"
)

// exposedSecrets returns the secret values of cfg when one flows into
// DEST or a plugin's name, URL or ref: values the plan has to hold in
// clear (apply needs them), and that the command's output must mask.
func exposedSecrets(cfg *schema.Config) []string {
	secrets := compiler.RedactorFor(cfg).Secrets()
	holds := func(v string) bool {
		for _, sec := range secrets {
			if len(sec) >= 4 && strings.Contains(v, sec) {
				return true
			}
		}
		return false
	}
	known := func(v schema.Value) string {
		if v.Known() {
			return v.String()
		}
		return ""
	}
	exposed := holds(cfg.Dest)
	for _, p := range cfg.Plugins {
		exposed = exposed || p.Name.Secret || p.URL.Secret || p.Ref.Secret || p.Dir.Secret ||
			holds(known(p.Name)) || holds(known(p.URL)) || holds(known(p.Ref)) || holds(known(p.Dir))
	}
	if !exposed {
		return nil
	}
	return secrets
}

// maskOutput makes the rest of the command's output, on stdout and
// stderr, mask the given secret values (every output format: text, JSON,
// graphs, errors).
func (c *Command) maskOutput(secrets []string) {
	var keep []string
	for _, s := range secrets {
		if len(s) >= 4 { // as apply's masking: shorter values are too common
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return
	}
	c.Stdout = &maskingWriter{w: c.Stdout, secrets: keep}
	c.Stderr = &maskingWriter{w: c.Stderr, secrets: keep}
}

// maskingWriter replaces secret values in each write.
type maskingWriter struct {
	w       io.Writer
	secrets []string // longest first
}

func (m *maskingWriter) Write(p []byte) (int, error) {
	s := string(p)
	for _, sec := range m.secrets {
		s = strings.ReplaceAll(s, sec, schema.Mask)
	}
	if _, err := io.WriteString(m.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// errSecretInPlanFile is why plan --out refuses a plan that holds a secret.
var errSecretInPlanFile = errors.New("a secret flows into DEST or a plugin's name, URL or ref: a plan file never holds secrets, and a masked value could not be applied; apply the configuration itself instead")
