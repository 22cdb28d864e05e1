package service

import (
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
	es := graph.NewResolver(graph.Fetchers{}).ExecutableSchema()
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
		return judgeDoc(t, c, &graphql.OperationContext{Doc: doc, Variables: vars, Stats: graphql.Stats{}})
	}

	small, _ := gqlparser.LoadQueryWithRules(es.Schema(), `{ room(id: "1") { id name } }`, nil)
	large, _ := gqlparser.LoadQueryWithRules(es.Schema(), `{ rooms(ids: ["1","2","3","4","5","6","7","8","9","10"]) { id name mutualFollowers { id } } }`, nil)
	for range 3 {
		if n, code := judgeDoc(t, c, &graphql.OperationContext{Doc: small, Stats: graphql.Stats{}}); code != "" || n != 3 {
			t.Errorf("a small document: complexity %d, code %q; want it measured and admitted", n, code)
		}
		if _, code := judgeDoc(t, c, &graphql.OperationContext{Doc: large, Stats: graphql.Stats{}}); code != errcode.TooComplex {
			t.Errorf("a large document: code %q, want %s every time", code, errcode.TooComplex)
		}
	}
	if got := c.known.Len(); got != 2 {
		t.Errorf("operations remembered = %d, want 2", got)
	}

	q := `query($ids: [ID!]!) { rooms(ids: $ids) { id name mutualFollowers { id } } }`
	if _, code := judge(q, map[string]any{"ids": []any{"1"}}); code != "" {
		t.Errorf("one id: code %q, want admitted", code)
	}
	if _, code := judge(q, map[string]any{"ids": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}}); code != errcode.TooComplex {
		t.Errorf("ten ids: code %q, want %s", code, errcode.TooComplex)
	}
	if got := c.known.Len(); got != 2 {
		t.Errorf("operations remembered = %d, want still 2: one with variables is not", got)
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
