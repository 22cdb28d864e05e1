package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// handlerWith is the service's public handler, in-process, with room lookups
// answered by fetch instead of an upstream.
func handlerWith(t testing.TB, fetch loader.Fetch[string, *upstream.Room]) http.Handler {
	t.Helper()
	svc, err := service.New(context.Background(), service.Defaults(), service.Deps{
		Logger:   slog.New(slog.DiscardHandler),
		WrapRoom: func(loader.Fetch[string, *upstream.Room]) loader.Fetch[string, *upstream.Room] { return fetch },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svc.Handler
}

// FuzzHandler: whatever the query, the handler answers JSON whose every error
// has a code, and never a 500.
func FuzzHandler(f *testing.F) {
	for line := range strings.Lines(string(must(os.ReadFile("guard/testdata/seeds.graphql")))) {
		if !strings.HasPrefix(line, "#") {
			f.Add(strings.TrimSuffix(line, "\n"))
		}
	}
	h := handlerWith(f, func(context.Context, string, upstream.UserToken) (*upstream.Room, error) {
		return &upstream.Room{ID: "1", Name: "n", OwnerID: "u"}, nil
	})
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
