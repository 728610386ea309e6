package schema

import (
	"fmt"
	"strings"
)

// bashStartupVars are the variables that change what bash runs before, or
// besides, the commands it is given: a non-interactive bash sources
// $BASH_ENV (sh mode: $ENV) at start, SHELLOPTS and BASHOPTS turn on
// options such as xtrace (and PS4 is expanded, command substitutions and
// all, on every traced line), PROMPT_COMMAND and PS0-PS2 run or expand in
// an interactive shell, BASH_XTRACEFD redirects the trace, and
// BASH_LOADABLES_PATH points enable -f at shared objects.
var bashStartupVars = map[string]bool{
	"BASH_ENV": true, "ENV": true, "SHELLOPTS": true, "BASHOPTS": true,
	"PROMPT_COMMAND": true, "PS0": true, "PS1": true, "PS2": true, "PS4": true,
	"BASH_XTRACEFD": true, "BASH_LOADABLES_PATH": true,
}

// IsBashStartupVar reports whether name is a variable that changes how
// bash starts or what it runs besides its commands, or an exported
// function (BASH_FUNC_NAME%%), which bash defines at start-up.
func IsBashStartupVar(name string) bool {
	return bashStartupVars[name] || strings.HasPrefix(name, "BASH_FUNC_")
}

// CheckEnvName refuses a variable that apply would hand to bash and that
// changes how bash starts (see [IsBashStartupVar]).
func CheckEnvName(name string) error {
	if IsBashStartupVar(name) {
		return fmt.Errorf("%s changes how bash starts or what it runs besides the configuration's commands; stackplan refuses it wherever it comes from", name)
	}
	return nil
}
