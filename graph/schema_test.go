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
