package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// staticTokens is a TokenProvider that always answers the same.
type staticTokens struct {
	token string
	err   error
}

func (s staticTokens) Token(context.Context) (string, error) { return s.token, s.err }

const minimalRoom = `{"id": %s, "name": "n", "description": "d", "roomType": "group", "isActive": true,
 "isVerified": false, "isPublic": true, "isOwner": false, "isAdmin": false, "ownerId": "u-1",
 "postsCount": 3, "membersCount": 4, "avatarUrls": {"thumb": "t", "original": "o"}}`

// newClient serves h and returns a client for it, with a service token,
// changed by each of tune.
func newClient(t *testing.T, h http.HandlerFunc, tune ...func(*upstream.Config)) *upstream.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := upstream.DefaultConfig()
	cfg.APIBaseURL = srv.URL + "/"
	cfg.ClientID = "client-1"
	cfg.ServiceTokens = staticTokens{token: "service-token"}
	cfg.Sleep = noWait
	for _, f := range tune {
		f(&cfg)
	}
	return upstream.New(cfg, srv.Client())
}

// configFor is DefaultConfig for the API at base, with client id "c".
func configFor(base string) upstream.Config {
	cfg := upstream.DefaultConfig()
	cfg.APIBaseURL = base
	cfg.ClientID = "c"
	return cfg
}

// noWait stands in for the backoff timer: retries happen at once.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestRoomSendsBothHeadersAndForwardsTheToken(t *testing.T) {
	tests := []struct {
		name      string
		userToken upstream.UserToken
		wantToken string
	}{
		{"user token forwarded", "user-token", "user-token"},
		{"anonymous uses the service token", "", "service-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got http.Header
			var path string
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				got, path = r.Header.Clone(), r.URL.Path
				io.WriteString(w, strings.Replace(minimalRoom, "%s", "42", 1))
			})
			if _, err := c.Room(context.Background(), "42", tt.userToken); err != nil {
				t.Fatal(err)
			}
			if g, w := path, "/quran-reflect/v1/rooms/42"; g != w {
				t.Errorf("path = %q, want %q", g, w)
			}
			if g, w := got.Get("x-auth-token"), tt.wantToken; g != w {
				t.Errorf("x-auth-token = %q, want %q", g, w)
			}
			if g, w := got.Get("x-client-id"), "client-1"; g != w {
				t.Errorf("x-client-id = %q, want %q", g, w)
			}
			if g := got.Get("Authorization"); g != "" {
				t.Errorf("Authorization = %q, want none (the API documents x-auth-token)", g)
			}
		})
	}
}

func TestRoomWithoutAnyCredentials(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	defer srv.Close()
	c := upstream.New(configFor(srv.URL), srv.Client())
	_, err := c.Room(context.Background(), "1", "")
	if !errors.Is(err, upstream.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
	if called {
		t.Error("the upstream was called without a token")
	}
}

func TestRoomStatusesAreTyped(t *testing.T) {
	now := time.Now()
	tests := []struct {
		status     int
		retryAfter string
		body       string
		wantRetry  time.Duration
		notFound   bool
	}{
		{status: 400, body: `{"message":"bad","type":"invalid_request","success":false}`},
		{status: 401, body: `{"message":"expired","type":"unauthorized","success":false}`},
		{status: 403, body: `{"message":"scope","type":"forbidden","success":false}`},
		{status: 404, body: `{"message":"Room not found","type":"not_found","success":false}`, notFound: true},
		{status: 422, body: `{"message":"x","type":"unprocessable_entity"}`},
		{status: 429, retryAfter: "7", body: `{"type":"rate_limit_exceeded"}`, wantRetry: 7 * time.Second},
		{status: 429, retryAfter: now.Add(90 * time.Second).UTC().Format(http.TimeFormat), wantRetry: 90 * time.Second},
		{status: 429, retryAfter: "soon"},
		{status: 500, body: `{"details":{"message":"boom"},"type":"internal_server_error"}`},
		{status: 502, body: "<html><body>Bad Gateway</body></html>"},
		{status: 503, body: ""},
		{status: 504, body: `{"message":"timeout"`},
		{status: 302, body: ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status == 302 {
					w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.Room(context.Background(), "42", "tok")
			var se *upstream.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *StatusError", err)
			}
			if se.Status != tt.status {
				t.Errorf("Status = %d, want %d", se.Status, tt.status)
			}
			if got := errors.Is(err, upstream.ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, tt.notFound)
			}
			// The HTTP-date form has second precision and is read against the
			// client's own clock, so it may come out up to a few seconds short.
			if d := se.RetryAfter - tt.wantRetry; d < -3*time.Second || d > 0 {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantRetry)
			}
			if !strings.HasPrefix(err.Error(), "upstream: room 42: ") {
				t.Errorf("error %q does not say which room", err)
			}
		})
	}
}

func TestRoomTransportFailures(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		addr, release, err := fake.RefusingAddr()
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		c := upstream.New(configFor("http://"+addr), &http.Client{})
		_, err = c.Room(context.Background(), "1", "tok")
		var ue *upstream.Error
		if !errors.As(err, &ue) || ue.Endpoint != upstream.EndpointRoom.Name || ue.Key != "1" {
			t.Fatalf("err = %v, want an *Error for room 1", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // an already-expired deadline: no waiting on a clock
		_, err := c.Room(ctx, "1", "tok")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestDefaultConfig(t *testing.T) {
	cfg := upstream.DefaultConfig()
	tests := []struct {
		name      string
		got, want any
	}{
		{"AttemptTimeout", cfg.AttemptTimeout, 3 * time.Second},
		{"Budget", cfg.Budget, 8 * time.Second},
		{"MaxRetries", cfg.MaxRetries, 2},
		{"BackoffBase", cfg.BackoffBase, 100 * time.Millisecond},
		{"BackoffMax", cfg.BackoffMax, 2 * time.Second},
		{"MaxConcurrent", cfg.MaxConcurrent, int64(1024)},
		{"BreakerFailures", cfg.BreakerFailures, 10},
		{"BreakerOpenFor", cfg.BreakerOpenFor, 10 * time.Second},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestNewRefusesUnusableTunables(t *testing.T) {
	tests := []struct {
		field string
		tune  func(*upstream.Config)
	}{
		{"AttemptTimeout", func(c *upstream.Config) { c.AttemptTimeout = 0 }},
		{"Budget", func(c *upstream.Config) { c.Budget = -time.Second }},
		{"BackoffBase", func(c *upstream.Config) { c.BackoffBase = 0 }},
		{"BackoffMax", func(c *upstream.Config) { c.BackoffMax = 0 }},
		{"MaxConcurrent", func(c *upstream.Config) { c.MaxConcurrent = 0 }},
		{"BreakerFailures", func(c *upstream.Config) { c.BreakerFailures = 0 }},
		{"BreakerOpenFor", func(c *upstream.Config) { c.BreakerOpenFor = 0 }},
		{"MaxRetries", func(c *upstream.Config) { c.MaxRetries = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			cfg := configFor("http://127.0.0.1:1")
			tt.tune(&cfg)
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "upstream: Config."+tt.field+" must") || !strings.Contains(msg, "DefaultConfig()") {
					t.Errorf("panic = %q, want one naming Config.%s and DefaultConfig()", msg, tt.field)
				}
			}()
			upstream.New(cfg, &http.Client{})
		})
	}
	t.Run("a zero Config", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("New(Config{}) did not panic: a zero must not stand for a default")
			}
		}()
		upstream.New(upstream.Config{}, &http.Client{})
	})
}

func TestHost(t *testing.T) {
	tests := []struct{ base, want string }{
		{"https://apis.quran.foundation", "apis.quran.foundation"},
		{"https://apis-prelive.quran.foundation/", "apis-prelive.quran.foundation"},
		{"http://127.0.0.1:8080/base", "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		if got := upstream.New(configFor(tt.base), &http.Client{}).Host(); got != tt.want {
			t.Errorf("Host() for %s = %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestErrorReadsLikeTheCause(t *testing.T) {
	tests := []struct {
		name string
		err  *upstream.Error
		want string
	}{
		{"status", &upstream.Error{Endpoint: "room", Key: "42", Err: &upstream.StatusError{Status: 404, Type: "not_found"}},
			"upstream: room 42: HTTP 404 not_found"},
		{"sentinel", &upstream.Error{Endpoint: "user", Key: "u-1", Err: upstream.ErrMalformed}, "upstream: user u-1: malformed response"},
		{"no key", &upstream.Error{Endpoint: "joined rooms", Err: upstream.ErrCircuitOpen}, "upstream: joined rooms: circuit breaker open"},
		{"foreign cause", &upstream.Error{Endpoint: "room", Key: "7", Err: context.Canceled}, "upstream: room 7: context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, tt.err.Err) {
				t.Error("errors.Is does not reach the cause")
			}
		})
	}
}

// recorder is an Observer that keeps what it hears.
type recorder struct {
	mu       sync.Mutex
	attempts []string // endpoint and status
	retries  []string
	inFlight int
}

func (r *recorder) Attempt(_ context.Context, endpoint string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, fmt.Sprint(endpoint, " ", status))
}

func (r *recorder) Retry(_ context.Context, endpoint string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, endpoint)
}

func (r *recorder) InFlight(delta int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight += delta
}

func (*recorder) Breaker(string, string)          {}
func (*recorder) TokenFetch(error, time.Duration) {}
func (*recorder) Concurrency(int, int)            {}

// TestAttemptsAreObservedAndTraced: each attempt is a client span named by the
// path template, whose traceparent goes upstream, and an Attempt for the
// endpoint; no span attribute holds the id.
func TestAttemptsAreObservedAndTraced(t *testing.T) {
	var mu sync.Mutex
	var traceparents []string
	s := &script{step: func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparents = append(traceparents, r.Header.Get("traceparent"))
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(503)
			return
		}
		okRoom(w)
	}}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	obs := &recorder{}
	c, _ := scriptedClient(t, s, func(c *upstream.Config) { c.Tracer, c.Observer = tp.Tracer("t"), obs })
	if _, err := c.Room(context.Background(), "42", "user"); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(obs.attempts), "[room 503 room 200]"; got != want {
		t.Errorf("attempts = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(obs.retries), "[room]"; got != want {
		t.Errorf("retries = %s, want %s", got, want)
	}
	if obs.inFlight != 0 {
		t.Errorf("in flight after the call = %d, want 0", obs.inFlight)
	}
	mu.Lock()
	defer mu.Unlock()
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("spans = %d, want one per attempt", len(spans))
	}
	for i, sp := range spans {
		if got, want := sp.Name, "GET /quran-reflect/v1/rooms/{id}"; got != want {
			t.Errorf("span %d name = %q, want %q", i, got, want)
		}
		if sp.SpanKind != trace.SpanKindClient {
			t.Errorf("span %d kind = %v, want client", i, sp.SpanKind)
		}
		attrs := map[string]string{}
		for _, a := range sp.Attributes {
			attrs[string(a.Key)] = a.Value.String()
			// server.address is the stub's, whose random port may hold "42".
			if a.Key != "server.address" && strings.Contains(a.Value.String(), "42") {
				t.Errorf("span %d attribute %s = %q carries the room id", i, a.Key, a.Value.String())
			}
		}
		if attrs["http.request.method"] != "GET" || attrs["url.template"] != "/quran-reflect/v1/rooms/{id}" || attrs["server.address"] != c.Host() {
			t.Errorf("span %d attributes = %v", i, attrs)
		}
		want := "00-" + sp.SpanContext.TraceID().String() + "-" + sp.SpanContext.SpanID().String() + "-01"
		if traceparents[i] != want {
			t.Errorf("attempt %d sent traceparent %q, want its span's %q", i, traceparents[i], want)
		}
	}
	if got := spans[0].Status.Code; got != otelcodes.Error {
		t.Errorf("the 503 attempt's span status = %v, want Error", got)
	}
}
