package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(graph.SDL())})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEverythingIsDescribed: GraphiQL and code generators show descriptions to
// frontend developers, so every type, field, argument and enum value has one.
func TestEverythingIsDescribed(t *testing.T) {
	s := loadSchema(t)
	for _, typ := range s.Types {
		if typ.BuiltIn {
			continue
		}
		if strings.TrimSpace(typ.Description) == "" {
			t.Errorf("type %s has no description", typ.Name)
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				t.Errorf("%s.%s has no description", typ.Name, f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					t.Errorf("%s.%s(%s:) has no description", typ.Name, f.Name, a.Name)
				}
			}
		}
		for _, v := range typ.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				t.Errorf("%s.%s has no description", typ.Name, v.Name)
			}
		}
	}
}

// TestSchemaSDL: /schema.graphql is one printed schema that any tool accepts
// (each type defined once, Query whole; no directive but @deprecated, so no
// gqlgen hint), and it says exactly what introspection says: every type, its
// description, fields, arguments and their defaults, types, interfaces,
// possible types, enum values and deprecations.
func TestSchemaSDL(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp, err := http.Get(strings.TrimSuffix(env.Endpoint, "/query") + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != string(graph.SDL()) {
		t.Fatalf("GET /schema.graphql = %d, %d bytes; want graph.SDL()", resp.StatusCode, len(b))
	}
	sdl := string(b)
	for _, bad := range []string{"extend ", "directive @", "@goField"} {
		if strings.Contains(sdl, bad) {
			t.Errorf("the served SDL contains %q", bad)
		}
	}
	for _, line := range strings.Split(sdl, "\n") {
		if at := strings.Index(line, " @"); at >= 0 && !strings.HasPrefix(line[at:], " @deprecated") && !strings.Contains(line, "\"") {
			t.Errorf("a directive other than @deprecated: %s", line)
		}
	}
	if n := strings.Count(sdl, "type Query {"); n != 1 {
		t.Errorf("type Query is defined %d times", n)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("the served SDL is not a schema: %v", err)
	}
	fromSDL := describeSchema(s)

	intro := env.Post(t, introspectionQuery, nil)
	if len(intro.Errors) > 0 {
		t.Fatalf("introspection: %s", intro.Raw)
	}
	var got struct {
		Schema struct{ Types []introType } `json:"__schema"`
	}
	raw, _ := json.Marshal(intro.Data)
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	fromIntrospection := map[string]string{}
	for _, typ := range got.Schema.Types {
		if !strings.HasPrefix(typ.Name, "__") && !builtinScalar[typ.Name] {
			fromIntrospection[typ.Name] = typ.describe()
		}
	}
	for name, want := range fromIntrospection {
		if fromSDL[name] != want {
			t.Errorf("type %s:\nintrospection: %s\nSDL:           %s", name, want, fromSDL[name])
		}
	}
	for name := range fromSDL {
		if _, ok := fromIntrospection[name]; !ok {
			t.Errorf("type %s is in the SDL, not in introspection", name)
		}
	}
	if len(fromIntrospection) < 30 {
		t.Errorf("introspection described %d types", len(fromIntrospection))
	}
}

var builtinScalar = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

const introspectionQuery = `{ __schema { types {
  kind name description
  fields(includeDeprecated: true) { name description isDeprecated deprecationReason
    args { name description defaultValue type { ...ref } } type { ...ref } }
  inputFields { name description defaultValue type { ...ref } }
  interfaces { name } possibleTypes { name }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
} } }
fragment ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`

type introRef struct {
	Kind   string
	Name   *string
	OfType *introRef
}

func (r *introRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return *r.Name
}

type introValue struct {
	Name, Description string
	DefaultValue      *string
	Type              *introRef
}

type introType struct {
	Kind, Name  string
	Description string
	Fields      []struct {
		Name, Description string
		IsDeprecated      bool
		DeprecationReason *string
		Args              []introValue
		Type              *introRef
	}
	InputFields   []introValue
	Interfaces    []struct{ Name string }
	PossibleTypes []struct{ Name string }
	EnumValues    []struct {
		Name, Description string
		IsDeprecated      bool
		DeprecationReason *string
	}
}

// describe writes a type as one comparable line.
func (t introType) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", t.Kind, t.Name, t.Description)
	for _, i := range t.Interfaces {
		fmt.Fprintf(&b, " implements %s", i.Name)
	}
	var possible []string
	for _, p := range t.PossibleTypes {
		possible = append(possible, p.Name)
	}
	slices.Sort(possible)
	if len(possible) > 0 {
		fmt.Fprintf(&b, " possible %v", possible)
	}
	value := func(v introValue) {
		fmt.Fprintf(&b, " %s: %s %q", v.Name, v.Type, v.Description)
		if v.DefaultValue != nil {
			fmt.Fprintf(&b, " = %s", *v.DefaultValue)
		}
	}
	for _, f := range t.Fields {
		fmt.Fprintf(&b, "; %s: %s %q", f.Name, f.Type, f.Description)
		if f.IsDeprecated {
			fmt.Fprintf(&b, " deprecated %q", deref(f.DeprecationReason))
		}
		for _, a := range f.Args {
			b.WriteString(" arg")
			value(a)
		}
	}
	for _, f := range t.InputFields {
		b.WriteString("; input")
		value(f)
	}
	for _, v := range t.EnumValues {
		fmt.Fprintf(&b, "; %s %q", v.Name, v.Description)
		if v.IsDeprecated {
			fmt.Fprintf(&b, " deprecated %q", deref(v.DeprecationReason))
		}
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// describeSchema describes each type of a parsed schema as introspection
// would: the same line as introType.describe.
func describeSchema(s *ast.Schema) map[string]string {
	out := map[string]string{}
	deprecation := func(ds ast.DirectiveList) (bool, *string) {
		d := ds.ForName("deprecated")
		if d == nil {
			return false, nil
		}
		reason := "No longer supported"
		if a := d.Arguments.ForName("reason"); a != nil {
			reason = a.Value.Raw
		}
		return true, &reason
	}
	ref := func(typ *ast.Type) *introRef {
		var conv func(*ast.Type) *introRef
		conv = func(t *ast.Type) *introRef {
			var r *introRef
			if t.Elem != nil {
				r = &introRef{Kind: "LIST", OfType: conv(t.Elem)}
			} else {
				name := t.NamedType
				r = &introRef{Kind: "NAMED", Name: &name}
			}
			if t.NonNull {
				return &introRef{Kind: "NON_NULL", OfType: r}
			}
			return r
		}
		return conv(typ)
	}
	value := func(name, desc string, typ *ast.Type, def *ast.Value) introValue {
		v := introValue{Name: name, Description: desc, Type: ref(typ)}
		if def != nil {
			d := def.String()
			v.DefaultValue = &d
		}
		return v
	}
	for name, typ := range s.Types {
		if typ.BuiltIn {
			continue
		}
		it := introType{Kind: string(typ.Kind), Name: name, Description: typ.Description}
		for _, i := range typ.Interfaces {
			it.Interfaces = append(it.Interfaces, struct{ Name string }{i})
		}
		if typ.Kind == ast.Interface || typ.Kind == ast.Union {
			for _, p := range s.GetPossibleTypes(typ) {
				it.PossibleTypes = append(it.PossibleTypes, struct{ Name string }{p.Name})
			}
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if typ.Kind == ast.InputObject {
				it.InputFields = append(it.InputFields, value(f.Name, f.Description, f.Type, f.DefaultValue))
				continue
			}
			dep, reason := deprecation(f.Directives)
			field := struct {
				Name, Description string
				IsDeprecated      bool
				DeprecationReason *string
				Args              []introValue
				Type              *introRef
			}{Name: f.Name, Description: f.Description, IsDeprecated: dep, DeprecationReason: reason, Type: ref(f.Type)}
			for _, a := range f.Arguments {
				field.Args = append(field.Args, value(a.Name, a.Description, a.Type, a.DefaultValue))
			}
			it.Fields = append(it.Fields, field)
		}
		for _, v := range typ.EnumValues {
			dep, reason := deprecation(v.Directives)
			it.EnumValues = append(it.EnumValues, struct {
				Name, Description string
				IsDeprecated      bool
				DeprecationReason *string
			}{v.Name, v.Description, dep, reason})
		}
		out[name] = it.describe()
	}
	return out
}

// TestEveryConnectionIsWeighedByFirst walks the schema: every field that
// returns a connection takes first, and every field that takes first weighs its
// children once per item of it (10 when first is null), whatever the domain.
func TestEveryConnectionIsWeighedByFirst(t *testing.T) {
	s := loadSchema(t)
	es := graph.NewResolver(graph.Deps{}).ExecutableSchema()
	ctx := context.Background()
	weighed := 0
	for _, typ := range s.Types {
		if typ.BuiltIn || typ.Kind != ast.Object {
			continue
		}
		for _, f := range typ.Fields {
			takesFirst := f.Arguments.ForName("first") != nil
			if strings.HasSuffix(f.Type.Name(), "Connection") && !takesFirst {
				t.Errorf("%s.%s returns a connection but takes no first: it would be weighed as one item", typ.Name, f.Name)
			}
			if !takesFirst {
				continue
			}
			weighed++
			for _, tc := range []struct {
				first any
				want  int
			}{{int64(1), 1 + 1*7}, {int64(25), 1 + 25*7}, {nil, 1 + 10*7}, {int64(0), 1 + 1*7}, {json.Number("3"), 1 + 3*7}} {
				got, ok := es.Complexity(ctx, typ.Name, f.Name, 7, map[string]any{"first": tc.first})
				if !ok || got != tc.want {
					t.Errorf("%s.%s(first: %v) with children of 7 weighs %d (%v), want %d", typ.Name, f.Name, tc.first, got, ok, tc.want)
				}
			}
			// first has no default: left out, the field still weighs 10
			// items; last weighs as first does.
			for _, tc := range []struct {
				args map[string]any
				want int
			}{{map[string]any{}, 1 + 10*7}, {map[string]any{"last": int64(50), "before": "c"}, 1 + 50*7}, {map[string]any{"before": "c"}, 1 + 10*7}} {
				got, ok := es.Complexity(ctx, typ.Name, f.Name, 7, tc.args)
				if !ok || got != tc.want {
					t.Errorf("%s.%s(%v) with children of 7 weighs %d (%v), want %d", typ.Name, f.Name, tc.args, got, ok, tc.want)
				}
			}
		}
	}
	if weighed < 9 {
		t.Errorf("%d fields take first; the schema has at least 9 connections", weighed)
	}
}
