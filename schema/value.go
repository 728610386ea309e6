package schema

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Value is one string value of a configuration: what it evaluates to at plan
// time, the text it was written as, and where.
//
// Val is a cty string. It is unknown (cty.UnknownVal(cty.String)) when the
// value depends on something only the apply can know, such as a command
// substitution in local.conf or an environment variable that was not given.
// Val is cty.NilVal when the value was not written at all (a missing
// argument).
type Value struct {
	Val   cty.Value
	Text  string    // the source text, e.g. "$GIT_BASE/openstack/foo"
	Range hcl.Range // where Text is written
	// Why explains, for an unknown value or one that came out empty because
	// it referred to unset variables, what made it so.
	Why string
	// Secret is set when the value derives from a secret variable (one
	// named like *PASSWORD*, *TOKEN*, *SECRET* or *_KEY): outputs mask the
	// secret parts of it.
	Secret bool
}

// Known reports whether the value was given and is known at plan time.
func (v Value) Known() bool {
	return v.Val != cty.NilVal && v.Val.IsKnown() && !v.Val.IsNull()
}

// Missing reports whether the value was not written at all.
func (v Value) Missing() bool { return v.Val == cty.NilVal }

// String returns the known string, or "" when the value is missing or unknown.
func (v Value) String() string {
	if !v.Known() || !v.Val.Type().Equals(cty.String) {
		return ""
	}
	return v.Val.AsString()
}

// KnownString makes a known Value.
func KnownString(s, text string, rng hcl.Range) Value {
	return Value{Val: cty.StringVal(s), Text: text, Range: rng}
}

// UnknownString makes a Value that is only known at apply time.
func UnknownString(text string, rng hcl.Range) Value {
	return Value{Val: cty.UnknownVal(cty.String), Text: text, Range: rng}
}
