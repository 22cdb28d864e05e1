package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// TestGraphiQLFromLocalAssetsCannotBeFramed: served from this service (no CDN),
// the page forbids framing too.
func TestGraphiQLFromLocalAssetsCannotBeFramed(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"react/umd/react.production.min.js", "react-dom/umd/react-dom.production.min.js", "graphiql/graphiql.min.js", "graphiql/graphiql.min.css"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("/* stand-in */"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	public, _ := httpapi.Routes(httpapi.Options{Logger: slog.New(slog.DiscardHandler), GraphQL: ok, GraphiQL: true, GraphiQLAssets: dir}, false)
	w := httptest.NewRecorder()
	public.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	csp := w.Header().Get("Content-Security-Policy")
	if w.Code != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unpkg") || w.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("GraphiQL from local assets: %d, CSP %q, X-Frame-Options %q", w.Code, csp, w.Header().Get("X-Frame-Options"))
	}
	if strings.Contains(w.Body.String(), "integrity=") {
		t.Error("local assets carry CDN integrity hashes")
	}
}
