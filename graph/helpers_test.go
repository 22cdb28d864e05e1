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
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is the service, through its real HTTP handler, in front of the fake upstream.
type testEnv struct {
	fake     *fake.Server
	upstream *httptest.Server
	endpoint string
	clock    *fake.Clock
	logs     *syncBuffer
}

type envOptions struct {
	noSecret  bool
	fetcher   func(real graph.RoomFetcher) graph.RoomFetcher
	apiBase   string // overrides the fake's URL for room calls
	latency   time.Duration
	graphOpts graph.Options
	// attemptTimeout and breakerFailures tune the upstream client (defaults:
	// the client's own).
	attemptTimeout  time.Duration
	breakerFailures int
	// metrics and tracer, when set, observe the client and the handler.
	metrics *graph.Metrics
	tracer  trace.TracerProvider
	// quiet discards logs (benchmarks: the buffer would grow without end).
	quiet bool
}

func jsonNumber(s string) json.Number { return json.Number(s) }

// observer: a nil *graph.Metrics still counts each request's upstream calls for
// the access log.
func observer(m *graph.Metrics) upstream.Observer { return m }

func tracerOf(tp trace.TracerProvider, name string) trace.Tracer {
	if tp == nil {
		return nil
	}
	return tp.Tracer(name)
}

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	clk := fake.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	f := fake.New(fake.Options{Now: clk.Now, Latency: o.latency, Rooms: 200})
	up := httptest.NewServer(f)
	t.Cleanup(up.Close)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.quiet {
		logger = slog.New(slog.DiscardHandler)
	}

	var tokens upstream.TokenProvider
	if !o.noSecret {
		tokens = upstream.NewServiceTokens(context.Background(), upstream.ServiceTokensConfig{
			AuthBaseURL:  up.URL,
			ClientID:     fake.DemoClientID,
			ClientSecret: fake.DemoClientSecret,
			HTTPClient:   up.Client(),
			Now:          clk.Now,
			Observer:     observer(o.metrics),
		})
	}
	api := up.URL
	if o.apiBase != "" {
		api = o.apiBase
	}
	var rooms graph.RoomFetcher = upstream.New(upstream.Config{
		APIBaseURL:      api,
		ClientID:        fake.DemoClientID,
		ServiceTokens:   tokens,
		Logger:          logger,
		Sleep:           func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		AttemptTimeout:  o.attemptTimeout,
		BreakerFailures: o.breakerFailures,
		Observer:        observer(o.metrics),
		Tracer:          tracerOf(o.tracer, "upstream"),
	}, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}})
	if o.fetcher != nil {
		rooms = o.fetcher(rooms)
	}
	gopts := o.graphOpts
	if o.metrics != nil {
		gopts.Metrics = o.metrics
	}
	if o.tracer != nil {
		gopts.Tracer = o.tracer.Tracer("graphql")
	}
	srv := httptest.NewServer(graph.NewServer(logger, rooms, gopts))
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
