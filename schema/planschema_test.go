package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stackplan/stackplan/compiler"
	"github.com/stackplan/stackplan/compiler/localconf"
	"github.com/stackplan/stackplan/internal/corpustest"
	"github.com/stackplan/stackplan/plan"
	"github.com/stackplan/stackplan/plan/planfile"
	"github.com/stackplan/stackplan/schema"
	"github.com/stackplan/stackplan/schema/schematest"
)

// planJSON compiles a local.conf with the real front-end and compiler and
// marshals the plan as stackplan writes it.
func planJSON(t *testing.T, name, src string, opts localconf.Options) []byte {
	t.Helper()
	cfg, front := localconf.Parse(name, []byte(src), opts)
	p, _ := compiler.Compile(cfg, front, compiler.Options{ToolVersion: "0.0.0-test"})
	data, err := planfile.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const typicalConf = `[[local|localrc]]
ADMIN_PASSWORD=s3cretpass
DATABASE_PASSWORD=$ADMIN_PASSWORD
enable_plugin heat $GIT_BASE/openstack/heat stable/2025.1
enable_plugin octavia https://opendev.org/openstack/octavia
enable_plugin octavia-dashboard https://opendev.org/openstack/octavia-dashboard 0123456789abcdef0123456789abcdef01234567 # stackplan: requires=octavia
disable_service tempest

[[post-config|$NOVA_CONF]]
[DEFAULT]
debug = True

[[test-config|$TEMPEST_CONFIG]]
[compute]
min_compute_nodes = 1
`

// brokenConf has errors and unknowns, so diagnostics, known_at_apply,
// conditional and services.known_at_apply all appear in its plan.
const brokenConf = `ADMIN_PASSWORD=before-header
[[local|localrc]]
if [[ $HOSTNAME == ctl ]]; then
    enable_plugin heat https://opendev.org/openstack/heat
fi
enable_plugin dyn "$(cat /etc/url)" $(cat /etc/ref)
enable_plugin heat https://opendev.org/openstack/heat
enable_plugin ../x https://user:pw@example.com/x.git 1a2b3c4d
ENABLED_SERVICES=$(cat /etc/services)

[[post_config|$NOVA_CONF]]
[DEFAULT]
debug = True
`

func TestPlanSchemaAcceptsCompiledPlans(t *testing.T) {
	cases := []struct {
		name, src string
		opts      localconf.Options
		// want are strings the plan JSON must contain, so the case
		// exercises the parts of the schema it is meant to.
		want []string
	}{
		{"typical.conf", typicalConf, localconf.Options{Env: map[string]string{"GIT_BASE": "https://opendev.org"}},
			[]string{`"env"`, `"requires"`, `"disabled"`, `"kind": "merge"`, `"group": "test-config"`, `"commit"`}},
		{"broken.conf", brokenConf, localconf.Options{},
			[]string{`"diagnostics"`, `"known_at_apply": [`, `"known_at_apply": true`, `"conditional": true`}},
		{"empty.conf", "", localconf.Options{}, nil},
		{"binary.conf", "[[local|localrc]]\x00\n", localconf.Options{}, []string{`"rule": "input"`}},
		// An empty localrc section has nothing to source: no localrc
		// step, whose range would be 0:0.
		{"empty-localrc.conf", "[[local|localrc]]\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n", localconf.Options{},
			[]string{`"kind": "merge"`}},
		{"one-empty-localrc.conf", "[[local|localrc]]\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\ndebug = True\n[[local|localrc]]\nenable_service heat\n", localconf.Options{},
			[]string{`"kind": "localrc"`, `"line": 6`}},
		{"localrc", "enable_plugin heat https://opendev.org/openstack/heat\n", localconf.Options{Kind: schema.KindLocalrc}, []string{`"kind": "localrc"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := planJSON(t, c.name, c.src, c.opts)
			if c.name == "typical.conf" {
				// The compiler never resolves commits; put one in as apply
				// or a lock step would, to check the field's pattern.
				var p plan.Plan
				if err := json.Unmarshal(data, &p); err != nil {
					t.Fatal(err)
				}
				p.Plugins[0].Commit = strings.Repeat("ab", 20)
				var err error
				if data, err = planfile.Marshal(&p); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range c.want {
				if !bytes.Contains(data, []byte(w)) {
					t.Errorf("the plan lacks %s, so this case does not test what it should:\n%s", w, data)
				}
			}
			if err := schematest.ValidatePlanJSON(data); err != nil {
				t.Errorf("a plan made by the compiler fails the schema: %v\n%s", err, data)
			}
		})
	}
}

// TestPlanSchemaCorpus validates the plan of every real-world local.conf
// of the shared corpus, when it is present next to the repository.
func TestPlanSchemaCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "localconf", "*"))
	if len(files) == 0 {
		corpustest.Skip(t, filepath.Join("..", "..", "shared", "corpus", "localconf"), os.ErrNotExist)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data := planJSON(t, filepath.Base(f), string(src), localconf.Options{})
		if err := schematest.ValidatePlanJSON(data); err != nil {
			t.Errorf("%s: plan fails the schema: %v", f, err)
		}
	}
}

func TestPlanSchemaRejects(t *testing.T) {
	base := planJSON(t, "typical.conf", typicalConf, localconf.Options{Env: map[string]string{"GIT_BASE": "https://opendev.org"}})
	if err := schematest.ValidatePlanJSON(base); err != nil {
		t.Fatalf("the base plan must be valid: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(p map[string]any)
	}{
		{"unknown step kind", func(p map[string]any) { step(p, 0)["kind"] = "install" }},
		{"unknown lifecycle", func(p map[string]any) { step(p, 0)["lifecycle"] = "restack" }},
		{"extra top-level field", func(p map[string]any) { p["secrets"] = []any{} }},
		{"extra plugin field", func(p map[string]any) { plugin(p, 0)["password"] = "x" }},
		{"extra step field", func(p map[string]any) { step(p, 0)["script"] = "echo hi" }},
		{"extra position field", func(p map[string]any) {
			plugin(p, 0)["source"].(map[string]any)["start"].(map[string]any)["offset"] = 1.0
		}},
		{"other major version", func(p map[string]any) { p["format_version"] = "1.0" }},
		{"missing steps", func(p map[string]any) { delete(p, "steps") }},
		{"missing plugin url", func(p map[string]any) { delete(plugin(p, 0), "url") }},
		{"bad sha256", func(p map[string]any) { p["inputs"].([]any)[0].(map[string]any)["sha256"] = "abc" }},
		{"abbreviated commit", func(p map[string]any) { plugin(p, 0)["commit"] = "abcdef1" }},
		{"unknown known_at_apply field", func(p map[string]any) { plugin(p, 0)["known_at_apply"] = []any{"services"} }},
		{"conditional false", func(p map[string]any) { plugin(p, 0)["conditional"] = false }},
		{"phase step without mode", func(p map[string]any) { delete(stepOfKind(p, "phase"), "mode") }},
		{"merge step without file", func(p map[string]any) { delete(stepOfKind(p, "merge"), "file") }},
		{"clone step with a phase", func(p map[string]any) { stepOfKind(p, "clone")["phase"] = "install" }},
		{"bad diagnostic severity", func(p map[string]any) {
			p["diagnostics"] = []any{map[string]any{"severity": "fatal", "summary": "x"}}
		}},
		{"line 0", func(p map[string]any) {
			plugin(p, 0)["source"].(map[string]any)["start"].(map[string]any)["line"] = 0.0
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal(base, &p); err != nil {
				t.Fatal(err)
			}
			c.mutate(p)
			data, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := schematest.ValidatePlanJSON(data); err == nil {
				t.Errorf("the schema accepts a plan with %s", c.name)
			}
		})
	}
}

func step(p map[string]any, i int) map[string]any   { return p["steps"].([]any)[i].(map[string]any) }
func plugin(p map[string]any, i int) map[string]any { return p["plugins"].([]any)[i].(map[string]any) }

func stepOfKind(p map[string]any, kind string) map[string]any {
	for _, s := range p["steps"].([]any) {
		if m := s.(map[string]any); m["kind"] == kind {
			return m
		}
	}
	panic("no step of kind " + kind)
}

// TestPlanSchemaMatchesGoTypes walks plan.Plan and the schema side by side:
// every JSON field of every struct is a property of the matching schema
// object, every property is a field, every object is closed, and exactly
// the fields without omitempty are required. A field added to the plan
// model without updating the schema fails here.
func TestPlanSchemaMatchesGoTypes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(schema.PlanJSONSchema(), &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(node map[string]any) map[string]any {
		for {
			ref, ok := node["$ref"].(string)
			if !ok {
				return node
			}
			name, ok := strings.CutPrefix(ref, "#/$defs/")
			if !ok {
				t.Fatalf("unexpected $ref %q", ref)
			}
			node = doc["$defs"].(map[string]any)[name].(map[string]any)
		}
	}
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		node = resolve(node)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.Slice:
			items, ok := node["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: a Go slice, but the schema has no items", path)
				return
			}
			walk(path+"[]", typ.Elem(), items)
			return
		case reflect.Struct:
		default:
			return
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: the Go struct is closed, but the schema object lacks additionalProperties: false", path)
		}
		props, _ := node["properties"].(map[string]any)
		var fields, required []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields = append(fields, name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
			sub, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s: Go field %s (json %q) is not in the schema", path, f.Name, name)
				continue
			}
			walk(path+"."+name, f.Type, sub)
		}
		for name := range props {
			if !slices.Contains(fields, name) {
				t.Errorf("%s: schema property %q is not a field of %s", path, name, typ)
			}
		}
		var schemaRequired []string
		if r, ok := node["required"].([]any); ok {
			for _, x := range r {
				schemaRequired = append(schemaRequired, x.(string))
			}
		}
		sort.Strings(required)
		sort.Strings(schemaRequired)
		if !slices.Equal(required, schemaRequired) {
			t.Errorf("%s: schema requires %v; the Go fields without omitempty are %v", path, schemaRequired, required)
		}
	}
	walk("plan", reflect.TypeFor[plan.Plan](), doc)
}

func TestPlanJSONSchemaIsACopy(t *testing.T) {
	a := schema.PlanJSONSchema()
	a[0] = 'x'
	if b := schema.PlanJSONSchema(); b[0] != '{' {
		t.Error("PlanJSONSchema returns the embedded bytes themselves; a caller can corrupt them")
	}
}
