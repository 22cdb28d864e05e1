package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// tokenServer is a token endpoint that issues tok-1, tok-2, ... valid for an hour,
// and can hold its answers until released.
type tokenServer struct {
	*httptest.Server
	requests atomic.Int32
	gate     chan struct{} // nil: answer at once
	status   int           // non-zero: fail with this status
	lastForm string
	lastUser string
	lastPass string
	mu       sync.Mutex
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		if ts.gate != nil {
			<-ts.gate
		}
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.lastForm = r.PostForm.Encode()
		ts.lastUser, ts.lastPass, _ = r.BasicAuth()
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if ts.status != 0 {
			w.WriteHeader(ts.status)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"the secret s3cr3t is wrong"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600,"scope":"room.read"}`, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func newTestTokens(ts *tokenServer, clk *fake.Clock) *ServiceTokens {
	return NewServiceTokens(context.Background(), ServiceTokensConfig{
		AuthBaseURL:  ts.URL,
		ClientID:     "the-client",
		ClientSecret: "s3cr3t",
		Scopes:       []string{"room.read", "room.search"},
		HTTPClient:   ts.Client(),
		FetchTimeout: time.Minute,
		Now:          clk.Now,
	})
}

// waitIdle waits for a background renewal to finish.
func (s *ServiceTokens) waitIdle() {
	s.mu.Lock()
	f := s.inflight
	s.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

func TestServiceTokensOneFetchForConcurrentCallers(t *testing.T) {
	ts := newTokenServer(t)
	ts.gate = make(chan struct{})
	clk := fake.NewClock(time.Unix(1_700_000_000, 0))
	s := newTestTokens(ts, clk)

	const callers = 50
	var wg sync.WaitGroup
	got := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { got[i], errs[i] = s.Token(context.Background()) })
	}
	close(ts.gate)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || got[i] != "tok-1" {
			t.Fatalf("caller %d: %q, %v; want tok-1", i, got[i], errs[i])
		}
	}
	if g := ts.requests.Load(); g != 1 {
		t.Errorf("token requests = %d, want 1", g)
	}
	if g, w := ts.lastForm, "grant_type=client_credentials&scope=room.read+room.search"; g != w {
		t.Errorf("form = %q, want %q", g, w)
	}
	if ts.lastUser != "the-client" || ts.lastPass != "s3cr3t" {
		t.Errorf("Basic auth = %q/%q, want the client id and secret", ts.lastUser, ts.lastPass)
	}
	// Cached: later calls cost nothing.
	for range 10 {
		if tok, _ := s.Token(context.Background()); tok != "tok-1" {
			t.Fatalf("token = %q, want tok-1 from the cache", tok)
		}
	}
	if g := ts.requests.Load(); g != 1 {
		t.Errorf("token requests after cached calls = %d, want 1", g)
	}
}

func TestServiceTokensRenewBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t)
	clk := fake.NewClock(time.Unix(1_700_000_000, 0))
	s := newTestTokens(ts, clk)
	if tok, err := s.Token(context.Background()); tok != "tok-1" || err != nil {
		t.Fatalf("first token = %q, %v", tok, err)
	}

	clk.Add(47 * time.Minute) // under 80% of the hour: no renewal
	if tok, _ := s.Token(context.Background()); tok != "tok-1" {
		t.Fatalf("token at 47m = %q, want tok-1", tok)
	}
	if g := ts.requests.Load(); g != 1 {
		t.Fatalf("token requests at 47m = %d, want 1", g)
	}

	clk.Add(2 * time.Minute) // 49m: due for renewal, still valid
	if tok, _ := s.Token(context.Background()); tok != "tok-1" {
		t.Fatalf("token at 49m = %q, want tok-1 while the renewal runs", tok)
	}
	s.waitIdle()
	if tok, _ := s.Token(context.Background()); tok != "tok-2" {
		t.Fatalf("token after renewal = %q, want tok-2", tok)
	}
	if g := ts.requests.Load(); g != 2 {
		t.Errorf("token requests = %d, want 2", g)
	}
}

func TestServiceTokensExpiredTokenIsNeverServed(t *testing.T) {
	ts := newTokenServer(t)
	clk := fake.NewClock(time.Unix(1_700_000_000, 0))
	s := newTestTokens(ts, clk)
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	if tok, err := s.Token(context.Background()); tok != "tok-2" || err != nil {
		t.Fatalf("token after expiry = %q, %v; want tok-2", tok, err)
	}
}

func TestServiceTokensFailureKeepsSecretsOut(t *testing.T) {
	ts := newTokenServer(t)
	ts.status = http.StatusUnauthorized
	clk := fake.NewClock(time.Unix(1_700_000_000, 0))
	s := newTestTokens(ts, clk)
	_, err := s.Token(context.Background())
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *TokenError", err)
	}
	if te.Code != "invalid_client" || te.Status != 401 {
		t.Errorf("TokenError = %+v, want invalid_client and 401", te)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q carries the secret or the response body", err)
	}
	// For a moment the failure is remembered: callers do not each start a fetch.
	ts.status = 0
	for range 5 {
		if _, err := s.Token(context.Background()); !errors.As(err, &te) {
			t.Fatalf("during the pause: err = %v, want the remembered failure", err)
		}
	}
	if g := ts.requests.Load(); g != 1 {
		t.Errorf("token requests during the pause = %d, want 1", g)
	}
	// Then the next caller tries again.
	clk.Add(retryTokenAfter)
	if tok, err := s.Token(context.Background()); tok != "tok-2" || err != nil {
		t.Errorf("after recovery: %q, %v; want tok-2", tok, err)
	}
}

// TestServiceTokensFailedRenewalIsRemembered: between renewal and expiry, a
// failing token endpoint is asked once per pause, not once per call.
func TestServiceTokensFailedRenewalIsRemembered(t *testing.T) {
	ts := newTokenServer(t)
	clk := fake.NewClock(time.Unix(1_700_000_000, 0))
	s := newTestTokens(ts, clk)
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Add(50 * time.Minute)
	ts.status = http.StatusInternalServerError
	for range 20 {
		tok, err := s.Token(context.Background())
		if tok != "tok-1" || err != nil {
			t.Fatalf("token = %q, %v; want the still-valid tok-1", tok, err)
		}
		s.waitIdle()
	}
	if g := ts.requests.Load(); g != 2 {
		t.Errorf("token requests = %d, want 2 (the first, and one failed renewal)", g)
	}
}

func TestServiceTokensCallerGivesUpAloneOnCancel(t *testing.T) {
	ts := newTokenServer(t)
	ts.gate = make(chan struct{})
	s := newTestTokens(ts, fake.NewClock(time.Unix(1_700_000_000, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	close(ts.gate) // the fetch carries on for later callers
	if tok, err := s.Token(context.Background()); tok != "tok-1" || err != nil {
		t.Errorf("later caller: %q, %v; want tok-1 from the same fetch", tok, err)
	}
	if g := ts.requests.Load(); g != 1 {
		t.Errorf("token requests = %d, want 1", g)
	}
}

func TestRenewalTimes(t *testing.T) {
	t0 := time.Unix(0, 0)
	renew, expire := renewalTimes(t0, t0.Add(time.Hour))
	if renew != t0.Add(48*time.Minute) || expire != t0.Add(time.Hour-30*time.Second) {
		t.Errorf("1h token: renew %v, stop %v", renew.Sub(t0), expire.Sub(t0))
	}
	renew, expire = renewalTimes(t0, t0.Add(10*time.Second))
	if renew != t0.Add(8*time.Second) || expire != t0.Add(9*time.Second) {
		t.Errorf("10s token: renew %v, stop %v", renew.Sub(t0), expire.Sub(t0))
	}
}

func TestServiceTokensFetchHasASpan(t *testing.T) {
	ts := newTokenServer(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s := NewServiceTokens(context.Background(), ServiceTokensConfig{
		AuthBaseURL: ts.URL, ClientID: "the-client", ClientSecret: "s3cr3t", HTTPClient: ts.Client(), FetchTimeout: time.Minute, Tracer: tp.Tracer("t"),
	})
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.waitIdle()
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "POST /oauth2/token" {
		t.Fatalf("spans = %v, want one for the token request", spans)
	}
	for _, a := range spans[0].Attributes {
		if strings.Contains(a.Value.String(), "s3cr3t") || strings.Contains(a.Value.String(), "tok-") {
			t.Errorf("the span carries a secret in %s", a.Key)
		}
	}
}

func TestNewServiceTokensNeedsAFetchTimeout(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "FetchTimeout must be positive") {
			t.Errorf("panic = %q, want one about FetchTimeout", msg)
		}
	}()
	NewServiceTokens(context.Background(), ServiceTokensConfig{AuthBaseURL: "http://127.0.0.1:1"})
}
