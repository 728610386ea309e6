package zuul

import (
	"github.com/stackplan/stackplan/compiler/internal/srcpos"

	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"gopkg.in/yaml.v3"

	"github.com/stackplan/stackplan/schema"
)

// kind is the shape of a YAML value.
type kind int

const (
	scalarKind kind = iota
	mappingKind
	sequenceKind
)

// node is a YAML value with aliases and merge keys resolved, and positions
// in its file.
type node struct {
	kind kind
	// tag is the resolved tag of a scalar ("!!str", "!!int", ...) or a
	// custom tag such as "!encrypted/pkcs1-oaep".
	tag   string
	text  string // a scalar's value as written (after YAML unquoting)
	style yaml.Style
	pairs []pair
	items []*node
	rng   hcl.Range
}

// pair is one key of a mapping.
type pair struct {
	key    string
	keyRng hcl.Range
	val    *node
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != mappingKind {
		return nil
	}
	for i := range n.pairs {
		if n.pairs[i].key == key {
			return n.pairs[i].val
		}
	}
	return nil
}

func (n *node) pairOf(key string) *pair {
	if n == nil || n.kind != mappingKind {
		return nil
	}
	for i := range n.pairs {
		if n.pairs[i].key == key {
			return &n.pairs[i]
		}
	}
	return nil
}

// str is the scalar's text, or "" for anything else.
func (n *node) str() string {
	if n == nil || n.kind != scalarKind {
		return ""
	}
	return n.text
}

func (n *node) isNull() bool { return n == nil || (n.kind == scalarKind && n.tag == "!!null") }

// maxNodes bounds the values one file may expand to through aliases, so a
// "billion laughs" file is refused instead of exhausting memory.
const maxNodes = 1 << 20

// MaxSize is the largest file accepted.
const MaxSize = 16 << 20

// file is one Zuul file as loaded.
type file struct {
	name string
	src  []byte
	pos  *srcpos.Table
}

// loader converts one file's yaml.Node tree into nodes.
type loader struct {
	f      *file
	budget int
	diags  hcl.Diagnostics
	// active guards against an alias that refers to a node containing it.
	active map[*yaml.Node]bool
}

var errTooLarge = errors.New("too large")

// parseFile reads one file into its top-level node (nil for an empty one).
func parseFile(f *file) (*node, hcl.Diagnostics) {
	if len(f.src) > MaxSize {
		return nil, hcl.Diagnostics{schema.RuleInput.Diag(fmt.Sprintf("the file is larger than %d MiB: not a Zuul file", MaxSize>>20), "", f.pos.Range(0, 0))}
	}
	if !utf8.Valid(f.src) {
		off := 0
		for off < len(f.src) {
			r, size := utf8.DecodeRune(f.src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, hcl.Diagnostics{schema.RuleInput.Diag("the file is not valid UTF-8: not a Zuul file", "", f.pos.Range(off, off))}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(f.src, &doc); err != nil {
		return nil, hcl.Diagnostics{yamlError(f, err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	l := &loader{f: f, active: map[*yaml.Node]bool{}}
	n, err := l.convert(doc.Content[0], 0)
	if err != nil {
		l.diags = append(l.diags, schema.RuleLimit.Diag("the file expands to too many values through its aliases",
			fmt.Sprintf("More than %d values; nothing in it is read.", maxNodes), f.pos.Range(0, 0)))
		return nil, l.diags
	}
	return n, l.diags
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// yamlError turns a yaml.v3 error into a diagnostic at the line it names.
func yamlError(f *file, err error) *hcl.Diagnostic {
	msg := err.Error()
	line := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	}
	off := f.pos.LineStart(line)
	return schema.RuleZuulYAML.Diag("invalid YAML: "+msg, "Zuul cannot load this file, so no job in it runs.", f.pos.Range(off, f.pos.LineEndOf(off)))
}

const maxDepth = 200

func (l *loader) convert(y *yaml.Node, depth int) (*node, error) {
	l.budget++
	if l.budget > maxNodes || depth > maxDepth {
		return nil, errTooLarge
	}
	if y.Kind == yaml.AliasNode {
		if y.Alias == nil || l.active[y.Alias] {
			return &node{kind: scalarKind, tag: "!!null", rng: l.rangeOf(y)}, nil
		}
		return l.convert(y.Alias, depth+1)
	}
	l.active[y] = true
	defer delete(l.active, y)
	n := &node{rng: l.rangeOf(y), style: y.Style}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			n.tag = "!!null"
			return n, nil
		}
		return l.convert(y.Content[0], depth+1)
	case yaml.SequenceNode:
		n.kind = sequenceKind
		n.tag = y.Tag
		for _, c := range y.Content {
			cn, err := l.convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, cn)
		}
	case yaml.MappingNode:
		n.kind = mappingKind
		n.tag = y.Tag
		if err := l.mapping(n, y, depth); err != nil {
			return nil, err
		}
	default:
		n.kind = scalarKind
		n.text = y.Value
		n.tag = resolveTag(y)
		n.rng = l.scalarRange(y)
	}
	return n, nil
}

// mapping fills n with y's pairs, merge keys (<<) expanded: keys written
// in the mapping win over merged ones, and an earlier merged mapping wins
// over a later one, as YAML's merge key type says. A repeated key keeps its
// first position and takes the last value, as Python's dict does.
func (l *loader) mapping(n *node, y *yaml.Node, depth int) error {
	index := map[string]int{}
	explicit := map[string]bool{}
	set := func(p pair, fromMerge bool) {
		if i, ok := index[p.key]; ok {
			if fromMerge {
				return
			}
			n.pairs[i].val = p.val
			return
		}
		index[p.key] = len(n.pairs)
		n.pairs = append(n.pairs, p)
	}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k := y.Content[i]
		if isMergeKey(k) {
			continue
		}
		if k.Kind == yaml.ScalarNode {
			explicit[k.Value] = true
		}
	}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if isMergeKey(k) {
			var sources []*yaml.Node
			vv := v
			if vv.Kind == yaml.AliasNode && vv.Alias != nil {
				vv = vv.Alias
			}
			if vv.Kind == yaml.SequenceNode {
				sources = vv.Content
			} else {
				sources = []*yaml.Node{v}
			}
			for _, s := range sources {
				m, err := l.convert(s, depth+1)
				if err != nil {
					return err
				}
				if m.kind != mappingKind {
					l.diags = append(l.diags, schema.RuleZuulYAML.Diag("a merge key (<<) must refer to a mapping", "", m.rng))
					continue
				}
				for _, p := range m.pairs {
					if !explicit[p.key] {
						set(p, true)
					}
				}
			}
			continue
		}
		kn, err := l.convert(k, depth+1)
		if err != nil {
			return err
		}
		if kn.kind != scalarKind {
			l.diags = append(l.diags, schema.RuleZuulYAML.Diag("a mapping key must be a plain value", "", kn.rng))
			continue
		}
		vn, err := l.convert(v, depth+1)
		if err != nil {
			return err
		}
		set(pair{key: kn.text, keyRng: kn.rng, val: vn}, false)
	}
	return nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// resolveTag is the tag Zuul's YAML reader (PyYAML) gives a scalar: the
// one written, else !!str for a quoted or block scalar, else what the YAML
// 1.1 rules resolve a plain scalar to (see yaml11.go).
func resolveTag(y *yaml.Node) string {
	switch {
	case y.Style&yaml.TaggedStyle != 0:
		return y.ShortTag()
	case y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return "!!str"
	}
	return yaml11Tag(y.Value)
}

func (l *loader) rangeOf(y *yaml.Node) hcl.Range {
	off := l.f.pos.OffsetOf(y.Line, y.Column)
	return l.f.pos.Range(off, off)
}

// scalarRange finds where a scalar's text ends: exactly for a plain or
// quoted scalar on one line, at the line's end otherwise.
func (l *loader) scalarRange(y *yaml.Node) hcl.Range {
	src := l.f.src
	start := l.f.pos.OffsetOf(y.Line, y.Column)
	end := l.f.pos.LineEndOf(start)
	switch {
	case y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && start < len(src):
		q := src[start]
		for i := start + 1; i < len(src) && src[i] != '\n'; i++ {
			if q == '"' && src[i] == '\\' {
				i++
				continue
			}
			if src[i] == q {
				if q == '\'' && i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				end = i + 1
				break
			}
		}
	case y.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		end = min(start+1, len(src))
	default:
		if strings.HasPrefix(string(src[start:min(len(src), start+len(y.Value))]), y.Value) {
			end = start + len(y.Value)
		}
	}
	return l.f.pos.Range(start, max(start, end))
}

// exactAt reports whether text is written verbatim in f at byte off.
func (f *file) exactAt(text string, off int) bool {
	return off >= 0 && off+len(text) <= len(f.src) && string(f.src[off:off+len(text)]) == text
}
