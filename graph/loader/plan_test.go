package loader

import (
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

func TestRootKeys(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { room(id: ID!): R rooms(ids: [ID!]!): [R]! }
		type Mutation { room(id: ID!): R } type R { id: ID! }`})
	lookups := []guard.Lookup{{Field: "room", Arg: "id", Noun: "rooms"}, {Field: "rooms", Arg: "ids", List: true, Noun: "rooms"}}
	// canonical refuses "x" and drops leading zeros, so "007" is room 7.
	canonical := func(raw string) (string, bool) { return strings.TrimLeft(raw, "0"), raw != "x" }
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  []string
	}{
		{
			name: "once each, in order, invalid skipped, variables read",
			query: `query($ids: [ID!]!, $one: ID!) {
				a: room(id: "3") { id } rooms(ids: $ids) { id } b: room(id: $one) { id }
				c: room(id: "x") { id } d: room(id: "3") { id } ...More
				skipped: room(id: "12") @skip(if: true) { id }
			} fragment More on Query { e: room(id: "11") { id } }`,
			vars: map[string]any{"ids": []any{"5", "x", "3", "007"}, "one": "9"},
			want: []string{"3", "5", "7", "9", "11"},
		},
		{name: "a single id for a list argument", query: `{ rooms(ids: "4") { id } }`, want: []string{"4"}},
		{name: "no lookups", query: `{ __typename }`},
		{name: "a mutation primes nothing", query: `mutation { room(id: "3") { id } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
			if len(errs) > 0 {
				t.Fatalf("the test's query is invalid: %v", errs)
			}
			vars, err := validator.VariableValues(schema, doc.Operations[0], tt.vars)
			if err != nil {
				t.Fatalf("the test's variables are invalid: %v", err)
			}
			opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
			if got := RootKeys(RootFields(opCtx), lookups, canonical); !slices.Equal(got, tt.want) {
				t.Errorf("RootKeys = %q, want %q", got, tt.want)
			}
		})
	}
}
