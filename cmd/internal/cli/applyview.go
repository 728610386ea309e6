package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stackplan/stackplan/executor"
)

// applyView renders an apply's progress; the executor reports to it through
// its hooks and never prints.
type applyView interface {
	executor.Hooks
	// showsCloneProgress says whether the view shows git's progress lines
	// (executor.Options.CloneProgress).
	showsCloneProgress() bool
}

// textApplyView prints one line per step with an [i/n] counter and its
// time, streams the plugins' output unchanged, and ends with a timing
// table like DevStack's "Component Timing".
type textApplyView struct {
	out, errOut io.Writer
	// terminal adds colour and git's own clone progress lines.
	terminal bool
	// start is the time of the first event: step lines show the time
	// elapsed since then, from the executor's clock.
	start time.Time
	// lastProgress is when each plugin's last progress line was shown.
	lastProgress map[string]time.Time
}

// progressEvery is the least time between two progress lines of one
// plugin: git reports many times a second, a terminal shows a few.
const progressEvery = 250 * time.Millisecond

func newTextApplyView(out, errOut io.Writer, terminal bool) *textApplyView {
	return &textApplyView{out: out, errOut: errOut, terminal: terminal, lastProgress: map[string]time.Time{}}
}

func (v *textApplyView) elapsed(t time.Time) string {
	if v.start.IsZero() || t.Before(v.start) {
		v.start = t
	}
	return "+" + dur(t.Sub(v.start))
}

func (v *textApplyView) paint(code, s string) string {
	if !v.terminal {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// showsCloneProgress: progress lines only go to a terminal, each a whole
// line, a few a second per plugin at most. Piped (| tee, as DevStack users
// run it), a clone gives one line when it starts and one when it ends.
func (v *textApplyView) showsCloneProgress() bool { return v.terminal }

func (v *textApplyView) CloneProgress(e executor.CloneEvent) {
	switch e.Stage {
	case executor.CloneStart:
		fmt.Fprintf(v.out, "%s %s %s: git clone %s\n", v.paint("36", "clone"), v.elapsed(e.Time), e.Plugin, e.Dir)
	case executor.CloneProgress:
		msg := strings.TrimSpace(e.Message)
		last, shown := v.lastProgress[e.Plugin]
		if msg == "" || shown && e.Time.Sub(last) < progressEvery && !strings.HasSuffix(msg, "done.") {
			return
		}
		v.lastProgress[e.Plugin] = e.Time
		fmt.Fprintf(v.out, "%s %s: %s\n", v.paint("2", "clone"), e.Plugin, msg)
	case executor.CloneDone:
		r := e.Result
		how := dur(r.End.Sub(r.Start))
		if r.History != "" {
			how = string(r.History) + ", " + how
		}
		fmt.Fprintf(v.out, "%s %s: %s at %s (%s)\n", v.paint("32", "clone"), e.Plugin, r.Action, short(r.Commit), how)
		for _, n := range r.Notes {
			fmt.Fprintf(v.out, "%s %s: %s\n", v.paint("2", "clone"), e.Plugin, n)
		}
	case executor.CloneFailed:
		fmt.Fprintf(v.errOut, "%s %s: %v\n", v.paint("31", "clone failed"), e.Plugin, e.Err)
	}
}

func (v *textApplyView) StepStart(e executor.StepEvent) {
	if e.Replay {
		fmt.Fprintf(v.out, "%s %s (replayed to rebuild the session)\n", v.paint("2", "[ -/- ]"), e.Step.ID)
		return
	}
	fmt.Fprintf(v.out, "%s %s %s\n", v.paint("1", fmt.Sprintf("[%d/%d]", e.Index, e.Total)), v.elapsed(e.Start), e.Step.ID)
}

func (v *textApplyView) StepOutput(e executor.OutputEvent) {
	w := v.out
	if e.Stream == "stderr" {
		w = v.errOut
	}
	w.Write(e.Data)
}

func (v *textApplyView) StepComplete(e executor.StepEvent) {
	if e.Replay {
		return
	}
	if e.ExitCode != 0 {
		fmt.Fprintf(v.out, "        %s %s exited %d, passed over as DevStack does (%s)\n", v.paint("33", "warn"), e.Step.ID, e.ExitCode, dur(e.Duration()))
		return
	}
	suffix := ""
	if e.Target != "" {
		suffix = " → " + e.Target
	}
	fmt.Fprintf(v.out, "        %s %s%s (%s)\n", v.paint("32", "ok"), e.Step.ID, suffix, dur(e.Duration()))
}

func (v *textApplyView) StepFailed(e executor.StepEvent) {
	fmt.Fprintf(v.errOut, "        %s %s: %v (%s)\n", v.paint("31", "FAILED"), e.Step.ID, e.Err, dur(e.Duration()))
}

func (v *textApplyView) StepSkipped(e executor.StepEvent) {
	fmt.Fprintf(v.out, "%s %s: %s\n", v.paint("2", fmt.Sprintf("[%d/%d]", e.Index, e.Total)), e.Step.ID, e.Reason)
}

func (v *textApplyView) ScriptStart(e executor.ScriptEvent) {
	if e.Rerun != "" {
		fmt.Fprintf(v.out, "%s %s\n", v.paint("33", "note"), e.Rerun)
	}
	fmt.Fprintf(v.out, "%s %s %s: DevStack's ./%s starts\n", v.paint("1;36", fmt.Sprintf("[script %d/%d]", e.Index, e.Total)), v.elapsed(e.Start), e.Name, e.Name)
}

func (v *textApplyView) ScriptEnd(e executor.ScriptEvent) {
	if e.ExitCode != 0 || e.Err != nil {
		fmt.Fprintf(v.errOut, "%s %s %s: exit status %d (%s)\n", v.paint("31", fmt.Sprintf("[script %d/%d]", e.Index, e.Total)), v.elapsed(e.End), e.Name, e.ExitCode, dur(e.End.Sub(e.Start)))
		return
	}
	fmt.Fprintf(v.out, "%s %s %s: exit status 0 (%s)\n", v.paint("32", fmt.Sprintf("[script %d/%d]", e.Index, e.Total)), v.elapsed(e.End), e.Name, dur(e.End.Sub(e.Start)))
}

func (v *textApplyView) Summary(s executor.Summary) {
	if s.DryRun {
		return
	}
	if s.NoChanges {
		fmt.Fprintln(v.out, "No changes: every selected step of this plan is done in the destination's journal (--force applies it again).")
		return
	}
	if len(s.Scripts) > 0 {
		v.scriptTiming(s)
		return
	}
	// Component timing: total time per kind of step.
	byKind := map[string]time.Duration{}
	ran := 0
	for _, st := range s.Steps {
		if st.Status != executor.StatusDone && st.Status != executor.StatusIgnored && st.Status != executor.StatusFailed {
			continue
		}
		ran++
		byKind[timingLabel(st.ID)] += st.End.Sub(st.Start)
	}
	var clones time.Duration
	for _, cl := range s.Clones {
		clones = max(clones, cl.End.Sub(s.Start))
	}
	if len(s.Clones) > 0 {
		byKind["clone (parallel)"] = clones
	}
	if len(byKind) > 0 {
		fmt.Fprintln(v.out, "\n=========================\nstackplan component timing\n=========================")
		keys := make([]string, 0, len(byKind))
		for k := range byKind {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(v.out, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t\n", k, dur(byKind[k]))
		}
		tw.Flush()
	}
	status := v.paint("32", "done")
	if s.Err != nil {
		status = v.paint("31", "failed")
	}
	fmt.Fprintf(v.out, "\napply %s: %d step(s) run, %d clone(s), %s", status, ran, len(s.Clones), dur(s.End.Sub(s.Start)))
	if s.LogFile != "" {
		fmt.Fprintf(v.out, "; log: %s", s.LogFile)
	}
	fmt.Fprintln(v.out)
}

// scriptTiming ends an apply that ran DevStack's scripts: the clone stage,
// every plugin hook and merge DevStack ran, and each script's own total,
// beside DevStack's "Component Timing" in its log.
func (v *textApplyView) scriptTiming(s executor.Summary) {
	fmt.Fprintln(v.out, "\n=========================\nstackplan timing\n=========================")
	tw := tabwriter.NewWriter(v.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	if len(s.Clones) > 0 {
		var end time.Time
		for _, cl := range s.Clones {
			if cl.End.After(end) {
				end = cl.End
			}
		}
		fmt.Fprintf(tw, "clone stage (%d, parallel)\t%s\t\n", len(s.Clones), dur(end.Sub(s.Start)))
	}
	ran := 0
	for _, st := range s.Steps {
		if st.Status == executor.StatusDone || st.Status == executor.StatusIgnored || st.Status == executor.StatusFailed {
			if !strings.Contains(st.ID, ":clone:") {
				ran++
				fmt.Fprintf(tw, "%s\t%s\t\n", st.ID, dur(st.End.Sub(st.Start)))
			}
		}
	}
	for _, sc := range s.Scripts {
		fmt.Fprintf(tw, "%s (DevStack's total)\t%s\t\n", sc.Name, dur(sc.End.Sub(sc.Start)))
	}
	tw.Flush()
	status := v.paint("32", "done")
	if s.Err != nil {
		status = v.paint("31", "failed")
	}
	fmt.Fprintf(v.out, "\napply %s: %d script(s), %d hook(s) and merge(s) watched, %d clone(s), %s", status, len(s.Scripts), ran, len(s.Clones), dur(s.End.Sub(s.Start)))
	if s.LogFile != "" {
		fmt.Fprintf(v.out, "; DevStack's output and stackplan's log: %s", s.LogFile)
	}
	fmt.Fprintln(v.out)
}

// timingLabel groups a step ID ("stack:phase:install:octavia") by what it
// did ("stack:phase:install").
func timingLabel(id string) string {
	parts := strings.Split(id, ":")
	switch {
	case len(parts) >= 4 && parts[1] == "phase", len(parts) >= 4 && parts[1] == "merge":
		return strings.Join(parts[:3], ":")
	case len(parts) >= 3:
		return strings.Join(parts[:2], ":")
	}
	return id
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// jsonApplyView prints one JSON object per line: step_start, step_output,
// step_complete, step_failed, step_skipped, clone, script_start,
// script_complete, script_failed and summary events.
type jsonApplyView struct {
	enc *json.Encoder
}

func newJSONApplyView(out io.Writer) *jsonApplyView {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return &jsonApplyView{enc: enc}
}

// applyEvent is the JSON shape of every event; fields are omitted when empty.
type applyEvent struct {
	Type       string  `json:"type"`
	Time       string  `json:"time,omitempty"`
	Step       string  `json:"step,omitempty"`
	Script     string  `json:"script,omitempty"`
	Kind       string  `json:"kind,omitempty"`
	Lifecycle  string  `json:"lifecycle,omitempty"`
	Plugin     string  `json:"plugin,omitempty"`
	Index      int     `json:"index,omitempty"`
	Total      int     `json:"total,omitempty"`
	Replay     bool    `json:"replay,omitempty"`
	Stream     string  `json:"stream,omitempty"`
	Data       string  `json:"data,omitempty"`
	Stage      string  `json:"stage,omitempty"`
	Commit     string  `json:"commit,omitempty"`
	Action     string  `json:"action,omitempty"`
	Target     string  `json:"target,omitempty"`
	ExitCode   int     `json:"exit_code,omitempty"`
	DurationMS float64 `json:"duration_ms,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	Error      string  `json:"error,omitempty"`
	LogFile    string  `json:"log_file,omitempty"`
	NoChanges  bool    `json:"no_changes,omitempty"`
	Steps      []any   `json:"steps,omitempty"`

	// How a clone fetched: "blobless", "full" or "shallow", and why.
	History string   `json:"history,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (v *jsonApplyView) step(typ string, e executor.StepEvent, t time.Time) {
	ev := applyEvent{
		Type: typ, Time: stamp(t), Step: e.Step.ID, Kind: string(e.Step.Kind), Lifecycle: string(e.Step.Lifecycle),
		Plugin: e.Step.Plugin, Index: e.Index, Total: e.Total, Replay: e.Replay, Target: e.Target,
		ExitCode: e.ExitCode, Reason: e.Reason, Error: errString(e.Err),
	}
	if !e.End.IsZero() {
		ev.DurationMS = millis(e.Duration())
	}
	v.enc.Encode(ev)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (v *jsonApplyView) showsCloneProgress() bool { return true }

func (v *jsonApplyView) CloneProgress(e executor.CloneEvent) {
	ev := applyEvent{Type: "clone", Time: stamp(e.Time), Step: e.StepID, Plugin: e.Plugin, Stage: string(e.Stage), Data: e.Message, Error: errString(e.Err)}
	if r := e.Result; r != nil {
		ev.Commit, ev.Action, ev.History, ev.Notes = r.Commit, string(r.Action), string(r.History), r.Notes
		ev.DurationMS = millis(r.End.Sub(r.Start))
	}
	v.enc.Encode(ev)
}
func (v *jsonApplyView) StepStart(e executor.StepEvent)    { v.step("step_start", e, e.Start) }
func (v *jsonApplyView) StepComplete(e executor.StepEvent) { v.step("step_complete", e, e.End) }
func (v *jsonApplyView) StepFailed(e executor.StepEvent)   { v.step("step_failed", e, e.End) }
func (v *jsonApplyView) StepSkipped(e executor.StepEvent)  { v.step("step_skipped", e, time.Time{}) }
func (v *jsonApplyView) StepOutput(e executor.OutputEvent) {
	v.enc.Encode(applyEvent{Type: "step_output", Step: e.StepID, Stream: e.Stream, Data: string(e.Data)})
}
func (v *jsonApplyView) script(typ string, e executor.ScriptEvent, t time.Time) {
	ev := applyEvent{Type: typ, Time: stamp(t), Script: e.Name, Lifecycle: string(e.Lifecycle), Index: e.Index, Total: e.Total,
		ExitCode: e.ExitCode, Error: errString(e.Err), Reason: e.Rerun}
	if !e.End.IsZero() {
		ev.DurationMS = millis(e.End.Sub(e.Start))
	}
	v.enc.Encode(ev)
}

func (v *jsonApplyView) ScriptStart(e executor.ScriptEvent) { v.script("script_start", e, e.Start) }
func (v *jsonApplyView) ScriptEnd(e executor.ScriptEvent) {
	typ := "script_complete"
	if e.ExitCode != 0 || e.Err != nil {
		typ = "script_failed"
	}
	v.script(typ, e, e.End)
}

func (v *jsonApplyView) Summary(s executor.Summary) {
	steps := make([]any, 0, len(s.Steps))
	for _, st := range s.Steps {
		steps = append(steps, map[string]any{
			"id": st.ID, "status": st.Status, "duration_ms": millis(st.End.Sub(st.Start)),
		})
	}
	v.enc.Encode(applyEvent{
		Type: "summary", Time: stamp(s.End), DurationMS: millis(s.End.Sub(s.Start)),
		Error: errString(s.Err), LogFile: s.LogFile, NoChanges: s.NoChanges, Steps: steps,
	})
}
