// Package servicetest holds what tests of the whole service share: the service,
// built by service.New and served through its real HTTP handler, in front of the
// fake upstream, both on loopback; a client for it that decodes GraphQL answers;
// real Redis for the tests that need one (a redis-server, a cluster, a primary
// behind Sentinel: redislayouts.go); and a log buffer safe for the many
// goroutines that write to it.
package servicetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// Env is the service, built by service.New and served through its real HTTP
// handler, in front of the fake upstream.
type Env struct {
	Fake     *fake.Server
	Upstream *httptest.Server
	Base     string // the service's base URL, its PUBLIC_URL
	Endpoint string // the service's /query
	Clock    *fake.Clock
	Logs     *Buffer
	// Handler is the service's public handler, for requests made in
	// process (a test that must control a request's context).
	Handler http.Handler
}

// Options shape an Env.
type Options struct {
	NoSecret bool          // no client secret: anonymous callers get UNAUTHENTICATED
	APIBase  string        // overrides the fake's URL for API calls
	Latency  time.Duration // the fake's latency per answer
	// Config changes the configuration the service runs with (the defaults,
	// pointed at the fake).
	Config func(*service.Config)
	// Deps are the service's dependencies and test seams (the logger, the
	// clock and the retry sleep are the environment's own).
	Deps service.Deps
	// Before sets up the fake before the service starts (and fetches its
	// first token).
	Before func(*fake.Server)
	// Quiet discards logs (benchmarks: the buffer would grow without end).
	Quiet bool
	// Beside runs the service as another replica beside that Env's: the same
	// fake upstream and clock (give both the same REDIS_URL to share state).
	Beside *Env
}

// JSONNumber is s as the decoder of Do keeps numbers.
func JSONNumber(s string) json.Number { return json.Number(s) }

// New starts the fake upstream and the service in front of it, both on
// loopback, for the test.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	var (
		clk *fake.Clock
		f   *fake.Server
		up  *httptest.Server
	)
	if o.Beside != nil {
		clk, f, up = o.Beside.Clock, o.Beside.Fake, o.Beside.Upstream
	} else {
		clk = fake.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
		f = fake.New(fake.Options{Now: clk.Now, Latency: o.Latency, Rooms: 200})
		up = httptest.NewServer(f)
		t.Cleanup(up.Close)
	}
	if o.Before != nil {
		o.Before(f)
	}
	// The service's address is known before it starts: it is its PUBLIC_URL,
	// and the fake's registered sign-in callback.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	logs := &Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.Quiet {
		logger = slog.New(slog.DiscardHandler)
	}

	cfg := service.Defaults()
	cfg.APIBaseURL, cfg.AuthBaseURL = up.URL, up.URL
	cfg.ClientID, cfg.ClientSecret = fake.DemoClientID, fake.DemoClientSecret
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	// Each request's upstream calls are its own unless a test asks for
	// sharing across requests (the public cache is on by default in a
	// deployment; the tests of it turn it on).
	cfg.PublicShareTTL, cfg.PublicCoalesce = 0, false
	// Nor do they see the copy of the Quran's text load unless they ask.
	cfg.VersePreload = false
	if o.NoSecret {
		cfg.ClientSecret = ""
	}
	if o.APIBase != "" {
		cfg.APIBaseURL = o.APIBase
	}
	if o.Config != nil {
		o.Config(&cfg)
	}
	d := o.Deps
	d.Logger, d.Now = logger, clk.Now
	d.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	cfg.ResolvePublicURL("")
	f.RegisterRedirect(cfg.PublicURL + "/auth/callback")
	f.RegisterPostLogoutRedirect(cfg.SignOutRedirect)
	svc, err := service.New(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	_ = svc.Warm(context.Background()) // a failing token endpoint is some tests' subject
	// The copy of the text loads in the background from the start: tests
	// count calls after it (or make it fail with Before).
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := svc.WarmVerses(wctx); err != nil {
		t.Fatalf("the copy of the Quran's text did not load: %v", err)
	}
	srv.Config.Handler = svc.Handler
	srv.Start()
	return &Env{Fake: f, Upstream: up, Base: srv.URL, Endpoint: srv.URL + "/query", Clock: clk, Logs: logs, Handler: svc.Handler}
}

// Error is a GraphQL error as a client decodes it.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is an HTTP answer and its GraphQL body.
type Response struct {
	Status int
	Header http.Header
	Raw    string
	Data   map[string]any
	Errors []Error
}

// Code returns the extensions.code of the error at path (written like "rooms.1").
func (r Response) Code(path string) string {
	for _, e := range r.Errors {
		if PathOf(e.Path) == path {
			c, _ := e.Extensions["code"].(string)
			return c
		}
	}
	return ""
}

// PathOf writes an error's path like "rooms.1".
func PathOf(p []any) string {
	parts := make([]string, len(p))
	for i, v := range p {
		b, _ := json.Marshal(v)
		parts[i] = strings.Trim(string(b), `"`)
	}
	return strings.Join(parts, ".")
}

// Post sends a GraphQL POST with optional headers as "Name: value" pairs.
func (e *Env) Post(t testing.TB, query string, vars map[string]any, headers ...string) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.Endpoint, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return Do(t, req)
}

// Do sends req and decodes the answer.
func Do(t testing.TB, req *http.Request) Response {
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
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	var body struct {
		Data   map[string]any `json:"data"`
		Errors []Error        `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	out.Data, out.Errors = body.Data, body.Errors
	return out
}

// At digs into decoded JSON by keys and indexes: At(data, "rooms", 2, "id").
func At(v any, path ...any) any {
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

// SHA is the sha256 hex of a document, as persisted queries name it.
func SHA(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

// APQ sends an Apollo persisted-query request: the hash, with or without the
// document, over POST or GET.
func (e *Env) APQ(t *testing.T, method, query string, withQuery bool, headers ...string) Response {
	t.Helper()
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": SHA(query)}}
	var req *http.Request
	if method == http.MethodGet {
		v := url.Values{}
		extJSON, _ := json.Marshal(ext)
		v.Set("extensions", string(extJSON))
		if withQuery {
			v.Set("query", query)
		}
		req, _ = http.NewRequest(http.MethodGet, e.Endpoint+"?"+v.Encode(), nil)
	} else {
		body := map[string]any{"extensions": ext}
		if withQuery {
			body["query"] = query
		}
		b, _ := json.Marshal(body)
		req, _ = http.NewRequest(http.MethodPost, e.Endpoint, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return Do(t, req)
}

// StartRedis runs a redis-server on a unix socket for the test and returns its
// URL. ./e2e/test installs it when missing and sets REQUIRE_REDIS=1, so CI never
// skips.
func StartRedis(t *testing.T) string {
	t.Helper()
	return StartRedisServer(t).URL
}

// Redis is a redis-server the test runs.
type Redis struct {
	URL     string
	process *os.Process
}

// Freeze stops the server with SIGSTOP, as a hung Redis would: connections
// stay open and nothing answers. Thaw (SIGCONT) wakes it.
func (r Redis) Freeze() error { return r.process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (r Redis) Thaw() error { return r.process.Signal(syscall.SIGCONT) }

// StartRedisServer is StartRedis, with a handle on the process; args are
// more of redis-server's options (such as "--maxmemory", "8mb").
func StartRedisServer(t *testing.T, args ...string) Redis {
	t.Helper()
	dir := redisDir(t)
	sock := filepath.Join(dir, "redis.sock")
	cmd := startRedisProcess(t, dir, "ready to accept connections",
		append([]string{"--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir}, args...)...)
	return Redis{URL: "unix://" + sock, process: cmd.Process}
}

// redisDir is a directory for the test's Redis processes, removed at its end
// (after them: cleanups run last in, first out). Without redis-server the
// test is skipped, or fails with REQUIRE_REDIS set.
func redisDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("REQUIRE_REDIS") != "" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed (./e2e/test installs it)")
	}
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startRedisProcess runs redis-server with args for the test, and returns
// once its output says ready (case aside); it is killed at the test's end.
func startRedisProcess(t *testing.T, dir, ready string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("redis-server", args...)
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGCONT); cmd.Process.Kill(); cmd.Wait() })
	started := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		var seen strings.Builder
		for {
			n, err := stdout.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(strings.ToLower(seen.String()), ready) {
				close(started)
				io.Copy(io.Discard, stdout)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second): // a guard, not a synchronisation
		t.Fatalf("redis-server %s did not start", strings.Join(args, " "))
	}
	return cmd
}

// Must is v, or a panic: for set-up that cannot fail.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// HandlerWith is the service's public handler, in-process, with room lookups
// answered by fetch instead of an upstream.
func HandlerWith(t testing.TB, fetch loader.Fetch[string, *upstream.Room]) http.Handler {
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

// Body is a GraphQL POST body.
func Body(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// IntrospectionQuery has the shape GraphiQL sends: three nested lists (types,
// fields, args) and ofType chains nine levels deep.
const IntrospectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name kind } mutationType { name kind } subscriptionType { name kind }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

// Buffer collects log output from many goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
