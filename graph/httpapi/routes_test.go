package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/httpapi"
)

// TestRoutesOfBothPorts: /metrics is on the public port unless there is an
// admin port; profiles are only ever on the admin port.
func TestRoutesOfBothPorts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	opts := httpapi.Options{Logger: slog.New(slog.DiscardHandler), GraphQL: ok, MetricsHandler: ok, PProf: true}
	status := func(h http.Handler, path string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code
	}
	tests := []struct {
		separateAdmin   bool
		path            string
		public, onAdmin int
	}{
		{false, "/metrics", 200, 404},
		{false, "/debug/pprof/", 404, 404},
		{true, "/metrics", 404, 200},
		{true, "/debug/pprof/", 404, 200},
		{true, "/healthz", 200, 404},
		{true, "/readyz", 200, 404},
	}
	for _, tt := range tests {
		public, admin := httpapi.Routes(opts, tt.separateAdmin)
		if got := status(public, tt.path); got != tt.public {
			t.Errorf("admin port %v: public %s = %d, want %d", tt.separateAdmin, tt.path, got, tt.public)
		}
		if got := status(admin, tt.path); got != tt.onAdmin {
			t.Errorf("admin port %v: admin %s = %d, want %d", tt.separateAdmin, tt.path, got, tt.onAdmin)
		}
	}
}
