package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// testEnv is the service, built by service.New and served through its real HTTP
// handler, in front of the fake upstream.
type testEnv struct {
	fake     *fake.Server
	upstream *httptest.Server
	endpoint string
	clock    *fake.Clock
	logs     *servicetest.Buffer
}

type envOptions struct {
	noSecret bool
	apiBase  string // overrides the fake's URL for API calls
	latency  time.Duration
	// config changes the configuration the service runs with (the defaults,
	// pointed at the fake).
	config func(*service.Config)
	// deps are the service's dependencies and test seams (the logger, the
	// clock and the retry sleep are the environment's own).
	deps service.Deps
	// before sets up the fake before the service starts (and fetches its
	// first token).
	before func(*fake.Server)
	// quiet discards logs (benchmarks: the buffer would grow without end).
	quiet bool
}

func jsonNumber(s string) json.Number { return json.Number(s) }

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	clk := fake.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	f := fake.New(fake.Options{Now: clk.Now, Latency: o.latency, Rooms: 200})
	if o.before != nil {
		o.before(f)
	}
	up := httptest.NewServer(f)
	t.Cleanup(up.Close)
	logs := &servicetest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.quiet {
		logger = slog.New(slog.DiscardHandler)
	}

	cfg := service.Defaults()
	cfg.APIBaseURL, cfg.AuthBaseURL = up.URL, up.URL
	cfg.ClientID, cfg.ClientSecret = fake.DemoClientID, fake.DemoClientSecret
	if o.noSecret {
		cfg.ClientSecret = ""
	}
	if o.apiBase != "" {
		cfg.APIBaseURL = o.apiBase
	}
	if o.config != nil {
		o.config(&cfg)
	}
	d := o.deps
	d.Logger, d.Now = logger, clk.Now
	d.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	svc, err := service.New(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	_ = svc.Warm(context.Background()) // a failing token endpoint is some tests' subject
	srv := httptest.NewServer(svc.Handler)
	t.Cleanup(srv.Close)
	return &testEnv{fake: f, upstream: up, endpoint: srv.URL + "/query", clock: clk, logs: logs}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Status int
	Header http.Header
	Raw    string
	Data   map[string]any
	Errors []gqlError
}

// code returns the extensions.code of the error at path (written like "rooms.1").
func (r gqlResponse) code(path string) string {
	for _, e := range r.Errors {
		if pathString(e.Path) == path {
			c, _ := e.Extensions["code"].(string)
			return c
		}
	}
	return ""
}

func pathString(p []any) string {
	parts := make([]string, len(p))
	for i, v := range p {
		b, _ := json.Marshal(v)
		parts[i] = strings.Trim(string(b), `"`)
	}
	return strings.Join(parts, ".")
}

// post sends a GraphQL POST with optional headers as "Name: value" pairs.
func (e *testEnv) post(t testing.TB, query string, vars map[string]any, headers ...string) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) gqlResponse {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := gqlResponse{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	var body struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	out.Data, out.Errors = body.Data, body.Errors
	return out
}

// at digs into decoded JSON by keys and indexes: at(data, "rooms", 2, "id").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
