package graph_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// everyQueries are the golden operations of testdata/every, one file per
// domain: together with everyField they select every field of every type.
func everyQueries(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "every", "*.graphql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden operations in testdata/every: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".graphql")] = string(b)
	}
	return out
}

// TestEveryTypeGolden runs each domain's golden operation as an anonymous
// caller and as Fatima, on a fresh emulator each, and compares the whole answer
// (data and errors) with testdata/every/<domain>_<viewer>.json (go test ./graph
// -update rewrites them).
func TestEveryTypeGolden(t *testing.T) {
	for name, q := range everyQueries(t) {
		for _, v := range []struct{ name, header string }{{"anonymous", ""}, {"fatima", "Authorization: Bearer demo-fatima"}} {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				env := servicetest.New(t, servicetest.Options{})
				var headers []string
				if v.header != "" {
					headers = append(headers, v.header)
				}
				resp := env.Post(t, q, nil, headers...)
				if resp.Status != 200 {
					t.Fatalf("status %d: %s", resp.Status, resp.Raw)
				}
				var body any
				if err := json.Unmarshal([]byte(resp.Raw), &body); err != nil {
					t.Fatal(err)
				}
				matchGolden(t, filepath.Join("testdata", "every", name+"_"+v.name+".json"), body)
			})
		}
	}
}

// TestTheGoldensCoverEveryField walks the schema: every field of every object
// type (the roots included) is selected by a golden operation, so a new field
// or type without a golden answer fails here.
func TestTheGoldensCoverEveryField(t *testing.T) {
	s := loadSchema(t)
	docs := []string{everyField}
	for _, q := range everyQueries(t) {
		docs = append(docs, q)
	}
	selected := map[string]bool{}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if sel.ObjectDefinition != nil {
					selected[sel.ObjectDefinition.Name+"."+sel.Name] = true
				}
				walk(sel.SelectionSet)
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				walk(sel.Definition.SelectionSet)
			}
		}
	}
	for _, q := range docs {
		doc, errs := gqlparser.LoadQueryWithRules(s, q, nil)
		if errs != nil {
			t.Fatalf("a golden operation is invalid: %v", errs)
		}
		for _, op := range doc.Operations {
			walk(op.SelectionSet)
		}
	}
	var missing []string
	for _, typ := range s.Types {
		if typ.BuiltIn || typ.Kind != ast.Object || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			if !strings.HasPrefix(f.Name, "__") && !selected[typ.Name+"."+f.Name] {
				missing = append(missing, typ.Name+"."+f.Name)
			}
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("no golden operation selects %s: add them to testdata/every/<domain>.graphql", strings.Join(missing, ", "))
	}
}
