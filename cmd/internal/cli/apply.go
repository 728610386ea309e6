package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/stackplan/stackplan/cmd/internal/diagview"
	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/convert"
	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/executor"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/plan/stale"
	"github.com/stackplan/stackplan/schema"
)

type applyArgs struct {
	config       configFlags
	parallel     int
	reclone      bool
	force        bool
	offline      bool
	errorOnClone bool
	gitDepth     int
	only         string
	lifecycles   []string
	step         string
	from, to     string
	dryRun       bool
	devstack     string
	cacheDir     string
	logDir       string
	json         bool
	color        string
	files        []string
	// lcs are the --lifecycle names, checked.
	lcs []plan.Lifecycle
}

const applyHelp = "Usage: stackplan apply [flags] [FILE | PLAN.json]\n\nApplies a configuration, or a plan written by 'stackplan plan --out'.\nWith --devstack DIR it clones the plugins, then runs DevStack's own scripts\nfrom DIR and checks every hook they source against the plan. Without it,\nit is plugin-development mode: the plugins' hooks alone, in bash sessions\nof stackplan's, with none of DevStack's runtime (stackrc, lib/*, sudo)."

func (a *applyArgs) flags(fs *pflag.FlagSet) {
	a.config.register(fs)
	fs.IntVar(&a.parallel, "parallel", 4, "clone this many plugins at once")
	fs.BoolVar(&a.reclone, "reclone", false, "move existing checkouts to their ref (DevStack's RECLONE=yes)")
	fs.BoolVar(&a.force, "force", false, "apply a finished plan again, and accept checkouts that moved")
	fs.BoolVar(&a.offline, "offline", false, "use existing checkouts only (DevStack's OFFLINE=True)")
	fs.BoolVar(&a.errorOnClone, "error-on-clone", false, "fail instead of cloning a missing plugin (DevStack's ERROR_ON_CLONE=True)")
	fs.IntVar(&a.gitDepth, "git-depth", 0, "shallow clones of this many commits (DevStack's GIT_DEPTH)")
	fs.StringVar(&a.only, "only", "", `run one stage alone: "clone" prefetches the plugins before ./stack.sh`)
	fs.StringSliceVar(&a.lifecycles, "lifecycle", []string{"stack"}, "lifecycles to apply, in order: stack, unstack, clean")
	fs.StringVar(&a.step, "step", "", "run only the step with this `ID` (after rebuilding the state it needs)")
	fs.StringVar(&a.from, "from", "", "start at the step with this `ID`")
	fs.StringVar(&a.to, "to", "", "stop after the step with this `ID`")
	fs.BoolVar(&a.dryRun, "dry-run", false, "print what would run, and change nothing")
	fs.StringVar(&a.devstack, "devstack", "", "stack for real: after the clone stage, run this DevStack checkout's own stack.sh (unstack.sh, clean.sh per --lifecycle) and watch every hook; without it, apply runs the plugins' hooks alone, with no DevStack runtime (plugin development)")
	fs.StringVar(&a.cacheDir, "cache-dir", "", "`DIR` of the object cache: a mirror per repository that new clones start from, fetching only what is new")
	fs.StringVar(&a.logDir, "log-dir", "", "directory for the apply's log file (default DEST/.stackplan/logs)")
	fs.BoolVar(&a.json, "json", false, "print one JSON event per line")
	fs.StringVar(&a.color, "color", "auto", "colour: auto, always or never")
}

func (a *applyArgs) check(operands []string) error {
	var err error
	a.lcs, err = parseLifecycles(a.lifecycles)
	a.files = operands
	return err
}

func (c *Command) runApply(a *applyArgs) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "stackplan apply: "+format+"\n", args...)
		return code
	}
	files, opts, err := c.configuration(a.files, a.config, a.devstack)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}

	res, err := c.planToApply(files, opts)
	if err != nil {
		var unreadable *unreadableError
		if errors.As(err, &unreadable) {
			return fail(ExitUsage, "%v", err)
		}
		return fail(ExitFindings, "%v", err)
	}
	if res.diags.HasErrors() || len(res.diags) > 0 {
		vopts := diagview.Options{Color: c.useColor(a.color, c.Stderr), ToolVersion: Version}
		if err := diagview.Write(c.Stderr, diagview.Pretty, res.diags, res.sources, vopts); err != nil {
			return fail(ExitInternal, "%v", err)
		}
		if res.diags.HasErrors() {
			return fail(ExitFindings, "the configuration has errors; nothing was cloned or run")
		}
	}

	sw := compiler.SwitchesOf(res.cfg, opts.Env)
	eopts := executor.Options{
		Parallel:     a.parallel,
		Reclone:      a.reclone || sw.Reclone,
		Offline:      a.offline || sw.Offline,
		ErrorOnClone: a.errorOnClone || sw.ErrorOnClone,
		GitDepth:     max(a.gitDepth, sw.GitDepth),
		Force:        a.force,
		DryRun:       a.dryRun,
		Only:         a.only,
		Lifecycles:   a.lcs,
		Step:         a.step,
		From:         a.from,
		To:           a.to,
		DevstackDir:  a.devstack,
		CacheDir:     a.cacheDir,
		LogDir:       a.logDir,
		Env:          bashEnv(c.Env, opts.Env),
		Redactor:     compiler.RedactorFor(res.cfg),
	}
	if a.devstack != "" {
		if eopts.LocalConf, err = localConfOf(res.cfg); err != nil {
			return fail(ExitFindings, "%v", err)
		}
		eopts.Env = append(eopts.Env, devstackSwitches(eopts)...)
	}
	var view applyView = newTextApplyView(c.Stdout, c.Stderr, c.useColor(a.color, c.Stdout))
	if a.json {
		view = newJSONApplyView(c.Stdout)
	}
	eopts.CloneProgress = view.showsCloneProgress()

	ctx := c.ctx()
	if c.Context == nil {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	toApply, code := c.resolveAtApply(ctx, res, opts, eopts, a.color)
	if toApply == nil {
		return code
	}
	_, err = executor.Apply(ctx, toApply, eopts, view)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, executor.ErrAlreadyApplied): // the view said "No changes."
		return ExitOK
	case errors.As(err, new(*executor.OptionsError)):
		return c.usageFailure("apply", "%v", err)
	case ctx.Err() != nil:
		return fail(ExitInterrupted, "interrupted: %v", err)
	}
	return fail(ExitFindings, "%v", err)
}

// bashEnv is the environment of the bash sessions: this process's, with
// the --env values the plan was compiled with on top, as DevStack would
// inherit them. The variables DevStack takes its plugin and service
// selection from (docs/devstack.md §9 item 6) come only from --env, as
// at plan time: an ENABLED_SERVICES left in the environment would
// otherwise change at apply what the plan says is enabled. Variables that
// change how bash starts (BASH_ENV, exported functions, ...) are dropped.
func bashEnv(process []string, given map[string]string) []string {
	env := make([]string, 0, len(process)+len(given))
	for _, kv := range process {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := given[k]; ok || k == "ENABLED_SERVICES" || k == "DEVSTACK_PLUGINS" || schema.IsBashStartupVar(k) {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		env = append(env, k+"="+given[k])
	}
	return env
}

// localConfOf is the local.conf DevStack must read for cfg: a local.conf
// input byte for byte, or the one stack.hcl, fragments or a legacy localrc
// convert to.
func localConfOf(cfg *schema.Config) ([]byte, error) {
	if len(cfg.Inputs) == 1 && cfg.Inputs[0].Kind == schema.KindLocalConf && cfg.Inputs[0].Path != schema.StdinName {
		return os.ReadFile(cfg.Inputs[0].Path)
	}
	text, diags := convert.ToLocalConf(cfg)
	if diags.HasErrors() {
		return nil, fmt.Errorf("the configuration cannot be written as the local.conf DevStack reads: %s", diags.Error())
	}
	return text, nil
}

// devstackSwitches passes apply's clone switches on to DevStack, which reads
// them from its environment when localrc does not set them: DevStack then
// behaves as stackplan's clone stage did.
func devstackSwitches(o executor.Options) []string {
	var env []string
	if o.Reclone {
		env = append(env, "RECLONE=yes")
	}
	if o.Offline {
		env = append(env, "OFFLINE=True")
	}
	if o.ErrorOnClone {
		env = append(env, "ERROR_ON_CLONE=True")
	}
	if o.GitDepth > 0 {
		env = append(env, fmt.Sprintf("GIT_DEPTH=%d", o.GitDepth))
	}
	return env
}

func parseLifecycles(names []string) ([]plan.Lifecycle, error) {
	var out []plan.Lifecycle
	for _, n := range names {
		lc := plan.Lifecycle(strings.TrimSpace(n))
		switch lc {
		case plan.Stack, plan.Unstack, plan.Clean:
			out = append(out, lc)
		default:
			return nil, fmt.Errorf("--lifecycle %q: expected stack, unstack or clean", n)
		}
	}
	return out, nil
}

// planToApply compiles a configuration file, or reads a saved plan and
// checks it against its inputs: every input must still have the sha256 the
// plan recorded, and compiling them again must give the same plan. The
// result carries the secret-bearing payload (localrc text, INI fragments)
// that plan files never hold.
func (c *Command) planToApply(files []string, opts evaluator.Options) (*compiled, error) {
	path := files[0]
	head, err := sniff(path)
	if err != nil {
		return nil, &unreadableError{err}
	}
	if !bytes.HasPrefix(bytes.TrimSpace(head), []byte("{")) {
		if len(files) == 1 && c.isMultiNodeHCL(path, opts) {
			fmt.Fprintf(c.Stderr, "stackplan apply: %s has node blocks: applying the controller's configuration here; 'stackplan export ansible' writes every node's local.conf and plan\n", path)
		}
		return c.newCompilation(nil, nil, false).compileFiles(files, opts)
	}
	if len(files) > 1 {
		return nil, fmt.Errorf("a saved plan is applied alone; %d more files given", len(files)-1)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	saved, err := planfile.Read(f, path)
	if err != nil {
		return nil, err
	}
	inputs, err := stale.CheckInputs(path, saved)
	if err != nil {
		return nil, err
	}
	// Compile with what the plan was made with: its environment entries
	// (masked ones must be given again with --env) and its DEST.
	for _, e := range saved.Env {
		if _, given := opts.Env[e.Name]; !given && e.Value != schema.Mask {
			opts.Env[e.Name] = e.Value
		}
	}
	if opts.Dest == "" {
		opts.Dest = saved.Dest
	}
	if len(inputs) == 1 {
		opts.Kind = saved.Inputs[0].Kind
	}
	compiled := inputs
	if len(inputs) == 2 && localrcBeside(inputs[0], opts) == inputs[1] {
		compiled = inputs[:1] // read with it, as DevStack does
	}
	res, err := c.newCompilation(nil, nil, false).compileFiles(compiled, opts)
	if err != nil {
		return nil, err
	}
	stale.RenameInputs(res.plan, inputs, saved)
	if diff := stale.Difference(saved, res.plan); diff != "" {
		return nil, fmt.Errorf("stale plan: compiling %s again gives a different plan (%s); make a new plan", strings.Join(inputs, ", "), diff)
	}
	for i := range res.plan.Plugins {
		res.plan.Plugins[i].Commit = saved.Plugins[i].Commit
	}
	// The inputs as the plan names them, so the journal knows the plan
	// whichever directory it is applied from.
	res.plan.Inputs = saved.Inputs
	return res, nil
}

// sniff reads the start of a file, to tell a JSON plan from a configuration.
func sniff(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := f.Read(buf)
	return buf[:n], nil
}
