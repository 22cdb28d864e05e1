package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// oneRoom answers every lookup with the same room, without a network.
type oneRoom struct{}

func (oneRoom) Room(_ context.Context, id, _ string) (*upstream.Room, error) {
	return &upstream.Room{ID: id, Name: "n", OwnerID: "u"}, nil
}

func guardSeeds(f *testing.F) {
	for _, q := range []string{
		`{ room(id: "1") { id name mutualFollowers { id } } }`,
		`{ a: room(id: "1") { id } b: rooms(ids: ["1", "x"]) { id } }`,
		`query Q($id: ID!) { room(id: $id) @include(if: true) { ...F } } fragment F on Room { id ...G } fragment G on Room { name }`,
		`fragment A on Room { ...B } fragment B on Room { ...A } { room(id: "1") { ...A } }`,
		`{ __schema { types { fields { type { fields { name } } } } } }`,
		`{ a { b { c { d { e { f { g { h { i { j { k { l } } } } } } } } } } } }`,
		`{ room(id: "1") { ... on Room { ... on Room { id @skip(if: false) } } } }`,
		`{ rooms(ids: [1, 2, 3]) { id } }`,
		`{`, `}`, ``, `query`, `fragment F on Room { id }`,
	} {
		f.Add(q)
	}
}

// FuzzQueryGuard: the guard measures any parsed document without panicking, and
// runs in time linear in the document (a hang here shows as a fuzz timeout).
func FuzzQueryGuard(f *testing.F) {
	guardSeeds(f)
	g := queryGuard{limits: Limits{}.withDefaults()}
	f.Fuzz(func(t *testing.T, q string) {
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 5000)
		if err != nil {
			return
		}
		_ = g.check(doc)
	})
}

// FuzzHandler: whatever the query, the handler answers JSON whose every error
// has a code, and never a 500.
func FuzzHandler(f *testing.F) {
	guardSeeds(f)
	h := NewServer(slog.New(slog.DiscardHandler), oneRoom{}, Options{})
	f.Fuzz(func(t *testing.T, q string) {
		body, _ := json.Marshal(map[string]any{"query": q})
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, q, w.Body)
		}
		var resp struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("not JSON for %q: %s", q, w.Body)
		}
		for _, e := range resp.Errors {
			if _, ok := e.Extensions["code"]; !ok {
				t.Fatalf("an error without a code for %q: %s", q, w.Body)
			}
		}
	})
}
