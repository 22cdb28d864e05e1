package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quranfoundation/reflect-graphql/graph/httpapi"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
)

// BenchmarkRoutesAroundGraphQL is what the public port costs a GraphQL
// request before and after the GraphQL handler (here one that writes a fixed
// answer): the access log and metrics, the deadline, the viewer, compression's
// check, panic recovery, and the routing.
func BenchmarkRoutesAroundGraphQL(b *testing.B) {
	answer := []byte(`{"data":{"room":{"id":"1"}}}`)
	gql := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/graphql-response+json")
		_, _ = w.Write(answer)
	})
	public, _ := httpapi.Routes(httpapi.Options{
		Logger:         slog.New(slog.DiscardHandler),
		GraphQL:        gql,
		RequestTimeout: 10 * time.Second,
		Metrics:        telemetry.NewMetrics(prometheus.NewRegistry()),
	}, true)
	b.Run("routes", func(b *testing.B) { benchServe(b, public) })
	b.Run("bare", func(b *testing.B) { benchServe(b, gql) }) // the harness's own cost
}

func benchServe(b *testing.B, h http.Handler) {
	body := `{"query":"{ room(id: \"1\") { id } }"}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer demo-aisha")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
