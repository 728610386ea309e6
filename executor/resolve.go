package executor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/stackplan/stackplan/executor/internal/proc"
	"github.com/stackplan/stackplan/internal/devstackfuncs"
)

// ResolvedPlugin is one plugin as localrc registered it when bash sourced
// it: what DevStack clones and where.
type ResolvedPlugin struct {
	Name, URL, Ref, Dir string
	// Line is the line of the localrc text whose statement led to the
	// enable_plugin call (an eval, a source, a function call), or 0 when
	// the call came from elsewhere.
	Line int
}

// ResolveOptions says in which environment localrc is resolved.
type ResolveOptions struct {
	// Env is the environment of bash (apply's sanitised one).
	Env []string
	// Dest is DEST before localrc runs.
	Dest string
	// DevstackDir, when set, is a DevStack checkout: its own functions and
	// stackrc are sourced around localrc, as stack.sh does. Without it,
	// localrc runs after apply's session prelude (DevStack's service and
	// plugin functions, and what stackrc sets before localrc).
	DevstackDir string
	// Output receives what bash printed (stdout and stderr together).
	Output io.Writer
}

// ResolveLocalrc sources localrc in a bash of its own, as DevStack does,
// and returns the plugins it registered, in registration order. It is how
// apply learns the values a plan could not know (command substitution,
// plugins enabled through eval or source) before anything is cloned. The
// bash process changes nothing of stackplan's: it runs in a temporary
// directory, removed afterwards; with DevstackDir that directory mirrors
// the checkout with symbolic links, so DevStack's tree and its local.conf
// stay untouched.
func ResolveLocalrc(ctx context.Context, localrc string, o ResolveOptions) ([]ResolvedPlugin, error) {
	tmp, err := os.MkdirTemp("", "stackplan-resolve-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	top := filepath.Join(tmp, "devstack")
	if err := os.Mkdir(top, 0o700); err != nil {
		return nil, err
	}
	rcFile := filepath.Join(top, ".localrc.auto")
	var script string
	if o.DevstackDir != "" {
		if err := mirrorDevstack(o.DevstackDir, top); err != nil {
			return nil, err
		}
		script = resolveInDevstack
	} else {
		rcFile = filepath.Join(top, "localrc.sh")
		script = prelude(o.Dest, nil) + resolveInSession
	}
	// The localrc text may hold passwords: the file is private to the
	// user and removed with the directory.
	if err := os.WriteFile(rcFile, []byte(localrc), 0o600); err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer resR.Close()
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-c", script+resolveReport, "bash", rcFile)
	cmd.Env = append(slices.Clip(sessionEnv(o.Env)), "__sp_top="+top)
	cmd.Dir = top
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{resW}
	cmd.SysProcAttr = proc.Attr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		resW.Close()
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	resW.Close()
	fields, readErr := readNULFields(resR)
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if waitErr != nil || readErr != nil {
		why := "it ended before localrc was done"
		if waitErr != nil {
			why = waitErr.Error()
		}
		return nil, fmt.Errorf("sourcing localrc to resolve its values failed (%s); its output is above", why)
	}
	return parseResolved(fields)
}

// resolveInSession is what stack.sh does between the prelude and
// stackrc's sourcing of localrc, in apply's own session: enable_plugin is
// DevStack's, registering every plugin (the prelude's one, which accepts
// only the plan's plugins, is replaced).
const resolveInSession = `
unset -f enable_plugin
` + devstackfuncs.EnablePlugin + `
declare -gA __sp_line
` + wrapEnablePlugin + `
source "$1"
`

// resolveInDevstack is stack.sh up to the sourcing of stackrc, in a
// mirror of the DevStack checkout whose .localrc.auto is the plan's
// localrc: DevStack's functions, the distribution check's variables, and
// stackrc itself, which sources localrc and then sets what it sets after
// it (GITREPO of the libraries it knows, for instance).
const resolveInDevstack = `
cd "$__sp_top" || exit 1
TOP_DIR=$__sp_top
source "$TOP_DIR/functions" || exit 1
GetDistro
declare -gA __sp_line
` + wrapEnablePlugin + `
source "$TOP_DIR/stackrc"
`

// wrapEnablePlugin records, for each enable_plugin call, the line of the
// localrc file ($1) that led to it: the innermost frame in that file.
const wrapEnablePlugin = `
eval "__sp_enable_plugin() $(declare -f enable_plugin | tail -n +2)"
function enable_plugin {
    local __sp_i
    for ((__sp_i = 1; __sp_i < ${#BASH_SOURCE[@]}; __sp_i++)); do
        if [[ ${BASH_SOURCE[__sp_i]} == "$__sp_rc" ]]; then
            __sp_line[x${1-}]=${BASH_LINENO[__sp_i-1]}
            break
        fi
    done
    __sp_enable_plugin "$@"
}
__sp_rc=$1
`

// resolveReport writes, on descriptor 3, every registered plugin as
// NAME URL REF DIR LINE, NUL-separated.
const resolveReport = `
__sp_n=0
IFS=, read -r -a __sp_names <<<"${DEVSTACK_PLUGINS-}"
for __sp_p in "${__sp_names[@]}"; do
    [[ -n $__sp_p ]] || continue
    printf '%s\0' "$__sp_p" "${GITREPO[$__sp_p]-}" "${GITBRANCH[$__sp_p]-}" "${GITDIR[$__sp_p]-}" "${__sp_line[x$__sp_p]-0}" >&3
done
printf 'end\0' >&3
`

// mirrorDevstack fills top with a symbolic link to every entry of the
// DevStack checkout dir except the files stack.sh reads the user's
// configuration from.
func mirrorDevstack(dir, top string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("--devstack %s: %w", dir, err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "local.conf", "localrc", ".localrc.auto", ".localrc.password", ".stackenv":
			continue
		}
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(top, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func readNULFields(r io.Reader) ([]string, error) {
	data, err := io.ReadAll(bufio.NewReader(r))
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(data, []byte("end\x00")) {
		return nil, errors.New("incomplete report")
	}
	fields := strings.Split(string(data[:len(data)-len("end\x00")]), "\x00")
	return fields[:len(fields)-1], nil
}

func parseResolved(fields []string) ([]ResolvedPlugin, error) {
	if len(fields)%5 != 0 {
		return nil, fmt.Errorf("bad report of the resolved plugins (%d fields)", len(fields))
	}
	var out []ResolvedPlugin
	for i := 0; i < len(fields); i += 5 {
		line, err := strconv.Atoi(fields[i+4])
		if err != nil {
			return nil, fmt.Errorf("bad line %q in the report of the resolved plugins", fields[i+4])
		}
		out = append(out, ResolvedPlugin{Name: fields[i], URL: fields[i+1], Ref: fields[i+2], Dir: fields[i+3], Line: line})
	}
	return out, nil
}
