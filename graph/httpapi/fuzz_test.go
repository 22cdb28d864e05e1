package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// FuzzHandler: whatever the query, the handler answers JSON whose every error
// has a code, and never a 500.
func FuzzHandler(f *testing.F) {
	for line := range strings.Lines(string(servicetest.Must(os.ReadFile("../guard/testdata/seeds.graphql")))) {
		if !strings.HasPrefix(line, "#") {
			f.Add(strings.TrimSuffix(line, "\n"))
		}
	}
	h := servicetest.HandlerWith(f, func(context.Context, string, upstream.UserToken) (*upstream.Room, error) {
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
