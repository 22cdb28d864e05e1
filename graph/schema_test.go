package graph_test

import (
	"context"
	"encoding/json"
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
		}
	}
	if weighed < 9 {
		t.Errorf("%d fields take first; the schema has at least 9 connections", weighed)
	}
}
