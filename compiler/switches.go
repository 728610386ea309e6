package compiler

import (
	"fmt"
	"strings"

	"github.com/stackplan/stackplan/schema"
)

// Switches are DevStack's clone switches (docs/devstack.md §5).
type Switches struct {
	Reclone, Offline, ErrorOnClone bool
	GitDepth                       int
}

// SwitchesOf reads RECLONE, OFFLINE, ERROR_ON_CLONE and GIT_DEPTH as
// stackrc does: the configuration's last unconditional known assignment,
// else the environment DevStack inherits (env).
func SwitchesOf(cfg *schema.Config, env map[string]string) Switches {
	val := map[string]string{}
	for k, v := range env {
		val[k] = v
	}
	for _, as := range cfg.Assignments {
		if as.Value.Known() && !as.Conditional {
			val[as.Name] = as.Value.String()
		}
	}
	sw := Switches{
		Reclone:      trueOrFalse(val["RECLONE"]),
		Offline:      trueOrFalse(val["OFFLINE"]),
		ErrorOnClone: trueOrFalse(val["ERROR_ON_CLONE"]),
	}
	fmt.Sscan(val["GIT_DEPTH"], &sw.GitDepth)
	return sw
}

// trueOrFalse is DevStack's trueorfalse: 1, yes, true, on in any case.
func trueOrFalse(s string) bool {
	switch strings.ToLower(s) {
	case "1", "yes", "true", "on":
		return true
	}
	return false
}
