package hclconf

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"mvdan.cc/sh/v3/syntax"

	"github.com/stackplan/stackplan/compiler/evaluator"
	"github.com/stackplan/stackplan/compiler/internal/suggest"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/schema"
)

// Groups are the config groups a config block may name, in phase order.
var Groups = plan.GroupNames()

// maxPrefixEvals bounds how often the localrc before a block is evaluated
// for an expression that needs the variables it left: each costs one
// evaluation of everything before, so hostile input stays bounded.
const maxPrefixEvals = 256

var (
	bashNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	requiresRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// Parse reads one stack.hcl (HCL native syntax, or HCL's JSON syntax when
// the name ends in .json) into a Config. opts are the same options a
// local.conf is evaluated with: the environment is opts.Env only.
//
// A file with node blocks describes several nodes (see ParseNodes); Parse
// returns the controller's configuration: the top level, then the body of
// node "controller" when there is one.
func Parse(filename string, src []byte, opts evaluator.Options) (*schema.Config, hcl.Diagnostics) {
	return parse(filename, src, opts, ControllerNode)
}

// parse reads the configuration of one node: the top-level blocks, then
// those of the node block named node (when there is one).
func parse(filename string, src []byte, opts evaluator.Options, node string) (*schema.Config, hcl.Diagnostics) {
	cfg := &schema.Config{Inputs: []schema.Input{{Path: filename, Kind: schema.KindHCL, Bytes: src}}}
	cfg.Dest = opts.Dest
	if cfg.Dest == "" {
		cfg.Dest = evaluator.DefaultDest
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		p := posAt(src, i)
		return cfg, hcl.Diagnostics{schema.RuleInput.Diag("the file holds NUL bytes: binary data, not a configuration",
			"A stack.hcl is text. Nothing in this file is used.", hcl.Range{Filename: filename, Start: p, End: p})}
	}
	file, diags := parseFile(filename, src)
	if diags.HasErrors() || file == nil || file.Body == nil {
		return cfg, clamp(diags, src)
	}
	d := &decoder{filename: filename, src: src, opts: opts, cfg: cfg, node: node, envRead: map[string]bool{}, prefix: map[int]map[string]evaluator.Var{}}
	if !IsJSON(filename) {
		d.comments = lexComments(src, filename)
	}
	d.diags = diags
	d.body(file.Body)
	_, ediags := evaluator.EvalGenerated(cfg, src, d.chunks, opts)
	d.diags = append(d.diags, ediags...)
	d.markSecrets()
	for name := range d.envRead {
		if !slices.ContainsFunc(cfg.Env, func(e schema.EnvVar) bool { return e.Name == name }) {
			cfg.Env = append(cfg.Env, schema.EnvVar{Name: name, Value: opts.Env[name]})
		}
	}
	sort.Slice(cfg.Env, func(i, j int) bool { return cfg.Env[i].Name < cfg.Env[j].Name })
	return cfg, clamp(d.diags, src)
}

// clamp keeps every diagnostic range inside the input: HCL's JSON parser
// reports some errors one byte past the end of the file.
func clamp(diags hcl.Diagnostics, src []byte) hcl.Diagnostics {
	fix := func(r *hcl.Range) {
		if r == nil {
			return
		}
		if r.End.Byte > len(src) {
			r.End = posAt(src, len(src))
		}
		if r.Start.Byte > len(src) || r.Start.Byte > r.End.Byte {
			r.Start = r.End
		}
	}
	for _, d := range diags {
		fix(d.Subject)
		fix(d.Context)
	}
	return diags
}

func posAt(src []byte, off int) hcl.Pos {
	line := bytes.Count(src[:off], []byte("\n")) + 1
	col := off - (bytes.LastIndexByte(src[:off], '\n') + 1) + 1
	return hcl.Pos{Line: line, Column: col, Byte: off}
}

// decoder turns the blocks of one file into localrc chunks and config
// sections.
type decoder struct {
	filename string
	src      []byte
	opts     evaluator.Options
	cfg      *schema.Config
	diags    hcl.Diagnostics
	node     string // the node block applied after the top level

	chunks  []evaluator.Chunk
	secrets []hcl.Range // expressions computed from secret variables
	envRead map[string]bool

	comments []comment
	nextCmt  int

	prefix      map[int]map[string]evaluator.Var // variables after the first n chunks
	prefixEvals int
	budget      *budget // what the expression being evaluated may still build

	// spanStart is the chunk index where the current localrc span began;
	// lineOpen says the span has a line waiting for a newline.
	spanStart int
	lineOpen  bool
}

func (d *decoder) diag(dg *hcl.Diagnostic) { d.diags = append(d.diags, dg) }

func (d *decoder) body(body hcl.Body) {
	content, diags := body.Content(fileSchema)
	d.diags = append(d.diags, schemaDiags(diags, fileSchema)...)
	var top []*hcl.Block
	var node *hcl.Block
	for _, b := range content.Blocks {
		switch {
		case b.Type != blockNode:
			top = append(top, b)
		case node == nil && b.Labels[0] == d.node:
			node = b
		}
	}
	// Comments inside node blocks belong to their node.
	all := d.comments
	d.comments = nil
	for _, c := range all {
		if !slices.ContainsFunc(content.Blocks, func(b *hcl.Block) bool { return b.Type == blockNode && inside(c.rng, b) }) {
			d.comments = append(d.comments, c)
		}
	}
	d.blocks(top)
	if node == nil {
		return
	}
	d.comments, d.nextCmt = nil, 0
	for _, c := range all {
		if inside(c.rng, node) {
			d.comments = append(d.comments, c)
		}
	}
	nc, diags := node.Body.Content(nodeSchema)
	d.diags = append(d.diags, schemaDiags(diags, nodeSchema)...)
	d.blocks(nc.Blocks)
}

// inside says whether rng lies in block b.
func inside(rng hcl.Range, b *hcl.Block) bool {
	end := b.DefRange.End.Byte
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		end = sb.SrcRange.End.Byte
	}
	return rng.Start.Byte >= b.DefRange.Start.Byte && rng.Start.Byte < end
}

// blocks decodes blocks in source order.
func (d *decoder) blocks(blocks []*hcl.Block) {
	blocks = slices.Clone(blocks)
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].DefRange.Start.Byte < blocks[j].DefRange.Start.Byte })
	for _, b := range blocks {
		switch b.Type {
		case blockLocalrc, blockLocalrcAppend:
			d.localrc(b)
		case blockPlugin:
			d.plugin(b)
		case blockServices:
			d.services(b)
		case blockBash:
			d.bash(b)
		case blockConfig:
			d.config(b)
		}
	}
}

// begin starts the localrc span of block b, with the comments before it.
func (d *decoder) begin(b *hcl.Block) {
	d.spanStart = len(d.chunks)
	d.lineOpen = false
	for _, c := range d.commentsBefore(b.DefRange.Start.Byte) {
		d.line(evaluator.Chunk{Text: c.text, Range: c.rng})
	}
}

// line adds one line (as chunks) to the current span.
func (d *decoder) line(parts ...evaluator.Chunk) {
	if d.lineOpen {
		r := parts[0].Range
		d.chunks = append(d.chunks, evaluator.Chunk{Text: "\n", Range: hcl.Range{Filename: r.Filename, Start: r.Start, End: r.Start}})
	}
	d.chunks = append(d.chunks, parts...)
	d.lineOpen = true
}

// end closes the span of b: its text is what the localrc step sources
// for it, followed by the newline the compiler adds after each span.
func (d *decoder) end(b *hcl.Block) {
	var text strings.Builder
	for _, c := range d.chunks[d.spanStart:] {
		text.WriteString(c.Text)
	}
	rng := b.DefRange
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		rng = hcl.RangeBetween(b.DefRange, sb.SrcRange)
	}
	d.cfg.Localrc = append(d.cfg.Localrc, schema.Span{Text: text.String(), Range: rng})
	d.chunks = append(d.chunks, evaluator.Chunk{Text: "\n", Range: hcl.Range{Filename: rng.Filename, Start: rng.End, End: rng.End}})
	d.lineOpen = false
}

func (d *decoder) localrc(b *hcl.Block) {
	attrs, diags := b.Body.JustAttributes()
	d.diags = append(d.diags, tagged(diags, schema.RuleHCLSchema)...)
	list := sortedAttrs(attrs)
	op := "="
	if b.Type == blockLocalrcAppend {
		op = "+="
	}
	d.begin(b)
	for _, a := range list {
		for _, c := range d.commentsBefore(a.NameRange.Start.Byte) {
			d.line(evaluator.Chunk{Text: c.text, Range: c.rng})
		}
		if !bashNameRE.MatchString(a.Name) {
			d.diag(schema.RuleHCLSchema.Diag(fmt.Sprintf("%q is not a bash variable name", a.Name),
				"localrc variables are named with letters, digits and underscores, not starting with a digit.", a.NameRange))
			continue
		}
		word, ok := d.word(a.Expr)
		if !ok {
			continue
		}
		d.line(evaluator.Chunk{Text: a.Name + op, Range: a.NameRange}, evaluator.Chunk{Text: word, Range: a.Expr.Range()})
	}
	d.end(b)
}

func (d *decoder) plugin(b *hcl.Block) {
	content, diags := b.Body.Content(pluginSchema)
	d.diags = append(d.diags, schemaDiags(diags, pluginSchema)...)
	name := b.Labels[0]
	qname, err := syntax.Quote(name, syntax.LangBash)
	if err != nil {
		d.diag(schema.RuleHCLValue.Diag("the plugin name cannot be written in bash", err.Error(), b.LabelRanges[0]))
		return
	}
	urlAttr, ok := content.Attributes["url"]
	if !ok {
		return // reported as a missing required argument
	}
	url, ok := d.word(urlAttr.Expr)
	if !ok {
		return
	}
	parts := []evaluator.Chunk{
		{Text: "enable_plugin ", Range: b.DefRange},
		{Text: qname, Range: b.LabelRanges[0]},
		{Text: " ", Range: b.DefRange},
		{Text: url, Range: urlAttr.Expr.Range()},
	}
	if a, ok := content.Attributes["ref"]; ok {
		ref, ok := d.word(a.Expr)
		if !ok {
			return
		}
		parts = append(parts, evaluator.Chunk{Text: " ", Range: b.DefRange}, evaluator.Chunk{Text: ref, Range: a.Expr.Range()})
	}
	if a, ok := content.Attributes["requires"]; ok {
		if reqs, ok := d.stringList(a.Expr); ok && len(reqs) > 0 {
			for _, r := range reqs {
				if !requiresRE.MatchString(r) {
					d.diag(schema.RuleHCLValue.Diag(fmt.Sprintf("%q is not a plugin name", r),
						"requires lists plugin names: letters, digits, \".\", \"_\" and \"-\".", a.Expr.Range()))
					return
				}
			}
			parts = append(parts, evaluator.Chunk{Text: " # stackplan: requires=" + strings.Join(reqs, ","), Range: a.Expr.Range()})
		}
	}
	d.begin(b)
	d.line(parts...)
	d.end(b)
}

func (d *decoder) services(b *hcl.Block) {
	content, diags := b.Body.Content(servicesSchema)
	d.diags = append(d.diags, schemaDiags(diags, servicesSchema)...)
	var lines [][]evaluator.Chunk
	if a, ok := content.Attributes["disable_all"]; ok {
		v, ok := d.eval(a.Expr, cty.Bool)
		if ok && v.True() {
			lines = append(lines, []evaluator.Chunk{{Text: "disable_all_services", Range: a.Range}})
		}
	}
	for _, fn := range []string{"enable", "disable"} {
		a, ok := content.Attributes[fn]
		if !ok {
			continue
		}
		words, ok := d.words(a.Expr)
		if !ok || len(words) == 0 {
			continue
		}
		line := []evaluator.Chunk{{Text: fn + "_service", Range: a.NameRange}}
		for _, w := range words {
			line = append(line, evaluator.Chunk{Text: " ", Range: a.NameRange}, w)
		}
		lines = append(lines, line)
	}
	d.begin(b)
	for _, l := range lines {
		d.line(l...)
	}
	d.end(b)
}

func (d *decoder) bash(b *hcl.Block) {
	content, diags := b.Body.Content(bashSchema)
	d.diags = append(d.diags, schemaDiags(diags, bashSchema)...)
	a, ok := content.Attributes["script"]
	if !ok {
		return
	}
	d.diag(schema.RuleRawBash.Diag("raw bash block",
		"stackplan evaluates this script statically, as it evaluates a local.conf's localrc, and the localrc step sources it verbatim; nothing in it is checked as stack.hcl. Prefer localrc, plugin and services blocks where they can say the same.", b.DefRange))
	chunk := evaluator.Chunk{Range: a.Expr.Range()}
	if t, ok := a.Expr.(*hclsyntax.TemplateExpr); ok && len(t.Parts) == 1 {
		if lit, ok := t.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
			s := lit.Val.AsString()
			r := lit.SrcRange
			if r.Start.Byte >= 0 && r.Start.Byte+len(s) <= len(d.src) && string(d.src[r.Start.Byte:r.Start.Byte+len(s)]) == s {
				chunk = evaluator.Chunk{Text: s, Range: r, Exact: true}
			}
		}
	}
	if !chunk.Exact {
		v, ok := d.eval(a.Expr, cty.String)
		if !ok {
			return
		}
		chunk.Text = v.AsString()
	}
	chunk.Text = strings.TrimSuffix(chunk.Text, "\n")
	d.begin(b)
	d.line(chunk)
	d.end(b)
}

func (d *decoder) config(b *hcl.Block) {
	content, diags := b.Body.Content(configSchema)
	d.diags = append(d.diags, schemaDiags(diags, configSchema)...)
	group, file := b.Labels[0], b.Labels[1]
	if !slices.Contains(Groups, group) {
		detail := fmt.Sprintf("DevStack merges config files only in the groups %s.", strings.Join(Groups, ", "))
		if group == "local" {
			detail = "localrc is written as localrc, plugin, services and bash blocks, not as a config block."
		} else if h := suggest.Hint(group, Groups); h != "" {
			detail = h + " " + detail
		}
		d.diag(schema.RuleUnknownSection.Diag(fmt.Sprintf("unknown config group %q", group), detail, b.LabelRanges[0]))
		return
	}
	// "\r" stays allowed: it is what a CRLF local.conf's headers hold.
	if file == "" || strings.ContainsAny(file, " \t\n\v\f[]|") {
		d.diag(schema.RuleHCLValue.Diag(fmt.Sprintf("config file name %q cannot be a meta-section header", file),
			"DevStack reads the file name from a [[group|file]] header: it must be non-empty and hold no whitespace, brackets or \"|\".", b.LabelRanges[1]))
		return
	}
	var lines []string
	for _, c := range d.commentsBefore(b.DefRange.End.Byte) {
		lines = append(lines, c.text)
	}
	if a, ok := content.Attributes["raw"]; ok {
		if v, ok := d.eval(a.Expr, cty.String); ok {
			lines = append(lines, strings.Split(strings.TrimSuffix(v.AsString(), "\n"), "\n")...)
		}
	}
	for _, sb := range content.Blocks {
		name := sb.Labels[0]
		if name == "" || strings.ContainsAny(name, " \t\n\r\v\f[]") {
			d.diag(schema.RuleHCLValue.Diag(fmt.Sprintf("INI section name %q cannot be written", name),
				"DevStack takes the first word of a [section] line with brackets removed: a section name holds no whitespace or brackets.", sb.LabelRanges[0]))
			continue
		}
		for _, c := range d.commentsBefore(sb.DefRange.Start.Byte) {
			lines = append(lines, c.text)
		}
		lines = append(lines, "["+name+"]")
		attrs, diags := sb.Body.JustAttributes()
		d.diags = append(d.diags, tagged(diags, schema.RuleHCLSchema)...)
		for _, a := range sortedAttrs(attrs) {
			for _, c := range d.commentsBefore(a.NameRange.Start.Byte) {
				lines = append(lines, c.text)
			}
			for _, v := range d.iniValues(a) {
				lines = append(lines, a.Name+" = "+v)
			}
		}
	}
	rng := b.DefRange
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		rng = sb.SrcRange
	}
	d.cfg.Sections = append(d.cfg.Sections, schema.MetaSection{
		Group: group, File: file, Header: b.DefRange,
		Body: schema.Span{Text: strings.Join(lines, "\n"), Range: rng},
	})
}

// iniValues evaluates one INI option: a string, number or bool, or a list
// of them for a multi-valued option.
func (d *decoder) iniValues(a *hcl.Attribute) []string {
	v, ok := d.eval(a.Expr, cty.DynamicPseudoType)
	if !ok {
		return nil
	}
	var vals []cty.Value
	if v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType() {
		vals = v.AsValueSlice()
	} else {
		vals = []cty.Value{v}
	}
	var out []string
	for _, el := range vals {
		s, ok := d.scalar(el, a.Expr.Range())
		if !ok {
			return nil
		}
		if strings.ContainsAny(s, "\n\r") {
			d.diag(schema.RuleHCLValue.Diag("an INI value cannot span lines", "DevStack merges one line per option value.", a.Expr.Range()))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// scalar is the text of a known string, number or bool. Booleans are
// written True and False, as DevStack's own configurations write them.
func (d *decoder) scalar(v cty.Value, rng hcl.Range) (string, bool) {
	switch {
	case v.IsNull():
		d.diag(schema.RuleHCLValue.Diag("a null value", "Give a string, a number or a bool.", rng))
		return "", false
	case !v.IsWhollyKnown():
		d.diag(schema.RuleHCLValue.Diag("the value is known only at apply",
			"Only a plain template of literals and localrc variables (\"${NAME}/x\") may stay unknown until DevStack runs; a computed value must be known at plan time.", rng))
		return "", false
	case v.Type() == cty.Bool:
		if v.True() {
			return "True", true
		}
		return "False", true
	case v.Type() == cty.Number, v.Type() == cty.String:
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			break
		}
		return s.AsString(), true
	}
	d.diag(schema.RuleHCLValue.Diag("a "+v.Type().FriendlyName()+" where a string is expected", "Give a string, a number or a bool.", rng))
	return "", false
}

// word is the bash word for one expression: a template of literals and
// localrc variable references is translated, so bash (and the static
// evaluator) compute it exactly as a local.conf would; anything else is
// evaluated now and quoted.
func (d *decoder) word(expr hcl.Expression) (string, bool) {
	if w, ok := translate(expr); ok {
		return w, true
	}
	v, ok := d.eval(expr, cty.DynamicPseudoType)
	if !ok {
		return "", false
	}
	s, ok := d.scalar(v, expr.Range())
	if !ok {
		return "", false
	}
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil {
		d.diag(schema.RuleHCLValue.Diag("the value cannot be written in bash", err.Error(), expr.Range()))
		return "", false
	}
	return q, true
}

// words is a list expression as bash words, one chunk each.
func (d *decoder) words(expr hcl.Expression) ([]evaluator.Chunk, bool) {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		var out []evaluator.Chunk
		for _, el := range t.Exprs {
			w, ok := d.word(el)
			if !ok {
				return nil, false
			}
			out = append(out, evaluator.Chunk{Text: w, Range: el.Range()})
		}
		return out, true
	}
	list, ok := d.stringList(expr)
	if !ok {
		return nil, false
	}
	var out []evaluator.Chunk
	for _, s := range list {
		q, err := syntax.Quote(s, syntax.LangBash)
		if err != nil {
			d.diag(schema.RuleHCLValue.Diag("the value cannot be written in bash", err.Error(), expr.Range()))
			return nil, false
		}
		out = append(out, evaluator.Chunk{Text: q, Range: expr.Range()})
	}
	return out, true
}

func (d *decoder) stringList(expr hcl.Expression) ([]string, bool) {
	v, ok := d.eval(expr, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		d.diag(schema.RuleHCLValue.Diag("the list must be known at plan time", "Give a list of strings.", expr.Range()))
		return nil, false
	}
	var out []string
	for _, el := range v.AsValueSlice() {
		if el.IsNull() {
			d.diag(schema.RuleHCLValue.Diag("a null element", "Give a list of strings.", expr.Range()))
			return nil, false
		}
		out = append(out, el.AsString())
	}
	return out, true
}

// translate turns a template of literals and plain variable references
// into a bash word, or reports false.
func translate(expr hcl.Expression) (string, bool) {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) == 0 {
			return "''", true
		}
		var b strings.Builder
		for _, p := range e.Parts {
			w, ok := translate(p)
			if !ok {
				return "", false
			}
			b.WriteString(w)
		}
		return b.String(), true
	case *hclsyntax.TemplateWrapExpr:
		return translate(e.Wrapped)
	case *hclsyntax.ScopeTraversalExpr:
		if len(e.Traversal) != 1 || e.Traversal.RootName() == "env" || !bashNameRE.MatchString(e.Traversal.RootName()) {
			return "", false
		}
		return `"${` + e.Traversal.RootName() + `}"`, true
	case *hclsyntax.LiteralValueExpr:
		if e.Val.Type() != cty.String || e.Val.IsNull() {
			return "", false
		}
		q, err := syntax.Quote(e.Val.AsString(), syntax.LangBash)
		return q, err == nil
	}
	return "", false
}

// eval evaluates expr at plan time, converted to want.
func (d *decoder) eval(expr hcl.Expression, want cty.Type) (cty.Value, bool) {
	ctx, ok := d.context(expr)
	if !ok {
		return cty.NilVal, false
	}
	v, diags := expr.Value(ctx)
	if d.budget.exceeded {
		diags = limited(diags)
	}
	d.diags = append(d.diags, tagged(diags, schema.RuleHCLValue)...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if want != cty.DynamicPseudoType {
		cv, err := convert.Convert(v, want)
		if err != nil {
			d.diag(schema.RuleHCLValue.Diag("a value of the wrong type", fmt.Sprintf("Want %s: %v.", want.FriendlyName(), err), expr.Range()))
			return cty.NilVal, false
		}
		v = cv
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		if want == cty.DynamicPseudoType {
			return v, true // scalar reports it
		}
		d.diag(schema.RuleHCLValue.Diag("the value must be known at plan time", "Only plain templates of localrc variables may stay unknown until DevStack runs.", expr.Range()))
		return cty.NilVal, false
	}
	return v, true
}

// context is the evaluation context of expr: the localrc variables it
// refers to as they stand after the chunks so far, env, and functions.
func (d *decoder) context(expr hcl.Expression) (*hcl.EvalContext, bool) {
	if d.budget == nil {
		d.budget = newBudget()
	}
	d.budget.reset()
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: d.budget.funcs}
	env := map[string]cty.Value{}
	for k, v := range d.opts.Env {
		env[k] = cty.StringVal(v)
	}
	ctx.Variables["env"] = cty.ObjectVal(env)
	secret := false
	for _, t := range expr.Variables() {
		root := t.RootName()
		if root == "env" {
			if len(t) > 1 {
				if a, ok := t[1].(hcl.TraverseAttr); ok {
					if _, given := d.opts.Env[a.Name]; given {
						d.envRead[a.Name] = true
						secret = secret || schema.IsSecretName(a.Name)
					}
				} else {
					secret = true // env["X"]: cannot tell which, so assume the worst
				}
			}
			continue
		}
		vars, ok := d.vars()
		if !ok {
			return nil, false
		}
		if v, ok := vars[root]; ok {
			ctx.Variables[root] = v.Val
			secret = secret || v.Secret
		}
	}
	if secret {
		d.secrets = append(d.secrets, expr.Range())
	}
	return ctx, true
}

// vars returns the localrc variables after the chunks generated so far.
func (d *decoder) vars() (map[string]evaluator.Var, bool) {
	n := len(d.chunks)
	if v, ok := d.prefix[n]; ok {
		return v, true
	}
	d.prefixEvals++
	if d.prefixEvals > maxPrefixEvals {
		if d.prefixEvals == maxPrefixEvals+1 {
			var at hcl.Range
			if n > 0 {
				at = d.chunks[n-1].Range
			}
			d.diag(schema.RuleLimit.Diag("too many computed expressions",
				fmt.Sprintf("stackplan evaluates the localrc before each computed expression; past %d of them it stops.", maxPrefixEvals), at))
		}
		return nil, false
	}
	vars, _ := evaluator.EvalGenerated(&schema.Config{}, d.src, slices.Clone(d.chunks), d.opts)
	d.prefix[n] = vars
	return vars, true
}

// markSecrets flags the values computed from secrets, which the evaluator
// saw only as literals.
func (d *decoder) markSecrets() {
	if len(d.secrets) == 0 {
		return
	}
	mark := func(v *schema.Value) {
		if slices.Contains(d.secrets, v.Range) {
			v.Secret = true
		}
	}
	for i := range d.cfg.Assignments {
		mark(&d.cfg.Assignments[i].Value)
	}
	for i := range d.cfg.Plugins {
		p := &d.cfg.Plugins[i]
		mark(&p.Name)
		mark(&p.URL)
		mark(&p.Ref)
	}
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	list := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].NameRange.Start.Byte < list[j].NameRange.Start.Byte })
	return list
}

// tagged gives HCL's own error diagnostics a rule.
func tagged(diags hcl.Diagnostics, rule schema.Rule) hcl.Diagnostics {
	for _, dg := range diags {
		if dg.Severity == hcl.DiagError && schema.RuleOf(dg) == "" {
			dg.Extra = schema.RuleExtra{Rule: rule.ID}
		}
	}
	return diags
}

var quotedRE = regexp.MustCompile(`"([^"]*)"`)

// schemaDiags replaces HCL's hints about unknown blocks and attributes with
// stackplan's did-you-mean and tags every error with hcl-schema.
func schemaDiags(diags hcl.Diagnostics, s *hcl.BodySchema) hcl.Diagnostics {
	attrs, blocks := names(s)
	for _, dg := range diags {
		m := quotedRE.FindStringSubmatch(dg.Detail)
		if m == nil {
			continue
		}
		switch dg.Summary {
		case "Unsupported block type":
			dg.Detail = fmt.Sprintf("stack.hcl has no %q block here.", m[1])
			if h := suggest.Hint(m[1], blocks); h != "" {
				dg.Detail += " " + h
			}
		case "Unsupported argument", "Extraneous JSON object property":
			dg.Detail = fmt.Sprintf("stack.hcl has no %q here.", m[1])
			if h := suggest.Hint(m[1], append(slices.Clone(attrs), blocks...)); h != "" {
				dg.Detail += " " + h
			}
		}
	}
	return tagged(diags, schema.RuleHCLSchema)
}

// parseFile parses src in HCL's native or JSON syntax, by its name.
func parseFile(filename string, src []byte) (*hcl.File, hcl.Diagnostics) {
	if diags := checkNesting(filename, src, IsJSON(filename)); diags.HasErrors() {
		return nil, diags
	}
	if IsJSON(filename) {
		return json.Parse(src, filename)
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if file != nil && !diags.HasErrors() {
		if limit := checkForNesting(file.Body); limit.HasErrors() {
			return nil, append(diags, limit...)
		}
		countIterations(file.Body.(*hclsyntax.Body))
	}
	return file, diags
}
