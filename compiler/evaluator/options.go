package evaluator

// Options are what a configuration is evaluated against, whatever its
// format: every front-end (localconf, hclconf, zuul) takes them.
type Options struct {
	// Dest replaces the /opt/stack that DevStack's stackrc hard-codes. A
	// DEST= in localrc still wins, as in DevStack.
	Dest string
	// Env is the environment DevStack would inherit, as given by the user
	// (--env). Nothing is read from the process environment.
	Env map[string]string
	// TopDir is the DevStack checkout ($TOP_DIR), when known.
	TopDir string
	// Stackrc, when set, is the DevStack checkout's stackrc: the
	// assignments that say where DevStack's own repositories come from are
	// evaluated after localrc, as stackrc runs them (see Config.Stackrc).
	Stackrc *Fragment
	// Kind forces the input kind (schema.KindLocalConf or
	// schema.KindLocalrc); empty means detect it from the name and content.
	Kind string
	// Localrc, when set, is the legacy localrc file beside local.conf,
	// which DevStack sources instead of the [[local|localrc]] sections
	// (see localconf's legacy.go).
	Localrc *Fragment
}

// Fragment is one file of a configuration assembled from pieces, as CI
// jobs build their local.conf.
type Fragment struct {
	Name string
	Src  []byte
}
