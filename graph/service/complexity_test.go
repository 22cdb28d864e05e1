package service

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// TestComplexityOnce: an operation without variables is measured once and then
// judged from memory, under the limit or over it; one with variables is
// measured each time, by what they say.
func TestComplexityOnce(t *testing.T) {
	es := graph.NewResolver(graph.Deps{}).ExecutableSchema()
	c := newComplexityOnce(60)
	if err := c.Validate(es); err != nil {
		t.Fatal(err)
	}
	judge := func(query string, vars map[string]any) (complexity int, code string) {
		t.Helper()
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), query, nil)
		if errs != nil {
			t.Fatal(errs)
		}
		return judgeDoc(t, c, &graphql.OperationContext{RawQuery: query, Doc: doc, Variables: vars, Stats: graphql.Stats{}})
	}

	smallQ, largeQ := `{ room(id: "1") { id name } }`, `{ rooms(ids: ["1","2","3","4","5","6","7","8","9","10"]) { id name mutualFollowers { id } } }`
	small, _ := gqlparser.LoadQueryWithRules(es.Schema(), smallQ, nil)
	large, _ := gqlparser.LoadQueryWithRules(es.Schema(), largeQ, nil)
	for range 3 {
		if n, code := judgeDoc(t, c, &graphql.OperationContext{RawQuery: smallQ, Doc: small, Stats: graphql.Stats{}}); code != "" || n != 3 {
			t.Errorf("a small document: complexity %d, code %q; want it measured and admitted", n, code)
		}
		if _, code := judgeDoc(t, c, &graphql.OperationContext{RawQuery: largeQ, Doc: large, Stats: graphql.Stats{}}); code != errcode.TooComplex {
			t.Errorf("a complex document: code %q, want %s every time", code, errcode.TooComplex)
		}
	}
	if got := c.known.Len(); got != 1 {
		t.Errorf("operations remembered = %d, want 1: the admitted one, not the refused one", got)
	}
	// What is remembered is what is used: a planted figure comes back.
	c.known.Add(small.Operations[0], 42)
	if n, _ := judgeDoc(t, c, &graphql.OperationContext{RawQuery: smallQ, Doc: small, Stats: graphql.Stats{}}); n != 42 {
		t.Errorf("complexity of a remembered operation = %d, want the remembered 42", n)
	}
	// A document the query cache would not keep is never remembered.
	padded := smallQ + strings.Repeat(" ", maxCachedQuery)
	doc, _ := gqlparser.LoadQueryWithRules(es.Schema(), padded, nil)
	judgeDoc(t, c, &graphql.OperationContext{RawQuery: padded, Doc: doc, Stats: graphql.Stats{}})
	if _, ok := c.known.Get(doc.Operations[0]); ok {
		t.Error("a document over maxCachedQuery was remembered")
	}

	q := `query($ids: [ID!]!) { rooms(ids: $ids) { id name mutualFollowers { id } } }`
	if _, code := judge(q, map[string]any{"ids": []any{"1"}}); code != "" {
		t.Errorf("one id: code %q, want admitted", code)
	}
	if _, code := judge(q, map[string]any{"ids": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}}); code != errcode.TooComplex {
		t.Errorf("ten ids: code %q, want %s", code, errcode.TooComplex)
	}
	if got := c.known.Len(); got != 1 {
		t.Errorf("operations remembered = %d, want still 1: one with variables is not", got)
	}
}

func judgeDoc(t *testing.T, c complexityOnce, opCtx *graphql.OperationContext) (int, string) {
	t.Helper()
	err := c.MutateOperationContext(t.Context(), opCtx)
	n := 0
	if s, ok := opCtx.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats); ok {
		n = s.Complexity
	}
	if err == nil {
		return n, ""
	}
	code, _ := err.Extensions["code"].(string)
	return n, code
}
