package graph_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// TestRoomsOnlyFromPlannedRootFields holds the schema to what the loaders'
// planning assumes: every field that yields a Room is a root lookup in
// graph.Lookups(), so every room an operation loads is primed before execution and
// goes out in one batch with no timer. A nested field that yields rooms (a
// post's room, say) makes this fail: give it a batch resolver that primes the
// room loader with its parents' keys (loader.Kind.Prime), then add it here.
func TestRoomsOnlyFromPlannedRootFields(t *testing.T) {
	s := loadSchema(t)
	planned := map[string]bool{}
	for _, l := range graph.Lookups() {
		planned["Query."+l.Field] = true
	}
	for _, typ := range s.Types {
		if typ.BuiltIn || typ.Kind != ast.Object {
			continue
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") || f.Type.Name() != "Room" {
				continue
			}
			if name := typ.Name + "." + f.Name; !planned[name] {
				t.Errorf("%s yields rooms but is not a planned root lookup: its loads would wait for the fallback batch", name)
			}
		}
	}
	for _, l := range graph.Lookups() {
		f := s.Query.Fields.ForName(l.Field)
		if f == nil || f.Arguments.ForName(l.Arg) == nil {
			t.Errorf("graph.Lookups() names Query.%s(%s:), which the schema does not have", l.Field, l.Arg)
			continue
		}
		if isList := f.Arguments.ForName(l.Arg).Type.Elem != nil; isList != l.List {
			t.Errorf("Query.%s(%s:) is a list: %v; graph.Lookups() says %v", l.Field, l.Arg, isList, l.List)
		}
	}
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

func TestSchemaSDL(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp, err := http.Get(strings.TrimSuffix(env.Endpoint, "/query") + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Every schema file, in name order, as written (descriptions included).
	files, _ := filepath.Glob("*.graphqls")
	var want []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, string(b))
	}
	if resp.StatusCode != 200 || string(b) != strings.Join(want, "\n") {
		t.Errorf("GET /schema.graphql = %d, %d bytes; want the schema files %v", resp.StatusCode, len(b), files)
	}
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(b)}); err != nil {
		t.Errorf("the served SDL is not a schema: %v", err)
	}
}
