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
	"sync/atomic"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// script answers the n-th request (from 1) with step(n).
type script struct {
	calls atomic.Int32
	step  func(n int, w http.ResponseWriter, r *http.Request)
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.step(int(s.calls.Add(1)), w, r)
}

func okRoom(w http.ResponseWriter) {
	io.WriteString(w, strings.Replace(minimalRoom, "%s", "42", 1))
}

func status(code int, retryAfter string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
	}
}

// sleeps records the waits between retries instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

// scriptedClient serves h and returns a client for it: DefaultConfig, changed by
// each of tune, with the waits recorded unless a tune sets Sleep.
func scriptedClient(t *testing.T, h http.Handler, tune ...func(*upstream.Config)) (*upstream.Client, *sleeps) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sl := &sleeps{}
	cfg := configFor(srv.URL)
	cfg.Sleep = sl.sleep
	for _, f := range tune {
		f(&cfg)
	}
	return upstream.New(cfg, srv.Client()), sl
}

// noRetries and breakerAfter are the tunes the breaker tests share.
func noRetries(c *upstream.Config) { c.MaxRetries = 0 }

func breakerAfter(n int) func(*upstream.Config) {
	return func(c *upstream.Config) { c.BreakerFailures, c.BreakerOpenFor = n, time.Hour }
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		step      func(int, http.ResponseWriter, *http.Request)
		tune      func(*upstream.Config) // nil: DefaultConfig
		wantCalls int
		wantOK    bool
		wantWaits []time.Duration // nil: don't check exact values
	}{
		{name: "503 then fine", step: func(n int, w http.ResponseWriter, r *http.Request) {
			if n < 3 {
				w.WriteHeader(503)
				return
			}
			okRoom(w)
		}, wantCalls: 3, wantOK: true},
		{name: "502 always", step: status(502, ""), wantCalls: 3},
		{name: "MaxRetries 0 never retries", step: status(503, ""), tune: noRetries, wantCalls: 1, wantWaits: []time.Duration{}},
		{name: "MaxRetries 1 retries once", step: status(503, ""), tune: func(c *upstream.Config) { c.MaxRetries = 1 }, wantCalls: 2},
		{name: "504 always", step: status(504, ""), wantCalls: 3},
		{name: "429 honours Retry-After", step: status(429, "1"), wantCalls: 3, wantWaits: []time.Duration{time.Second, time.Second}},
		{name: "429 whose Retry-After exceeds the budget", step: status(429, "30"), wantCalls: 1, wantWaits: []time.Duration{}},
		{name: "500 is not retried", step: status(500, ""), wantCalls: 1},
		{name: "400 is not retried", step: status(400, ""), wantCalls: 1},
		{name: "401 is not retried", step: status(401, ""), wantCalls: 1},
		{name: "403 is not retried", step: status(403, ""), wantCalls: 1},
		{name: "404 is not retried", step: status(404, ""), wantCalls: 1},
		{name: "422 is not retried", step: status(422, ""), wantCalls: 1},
		{name: "garbage is not retried", step: func(_ int, w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "<html>")
		}, wantCalls: 1},
		{name: "connection reset is retried", step: func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				panic(http.ErrAbortHandler)
			}
			okRoom(w)
		}, wantCalls: 2, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{step: tt.step}
			tune := tt.tune
			if tune == nil {
				tune = func(*upstream.Config) {}
			}
			c, sl := scriptedClient(t, s, tune)
			_, err := c.Room(context.Background(), "42", "user")
			if (err == nil) != tt.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tt.wantOK)
			}
			if got := int(s.calls.Load()); got != tt.wantCalls {
				t.Errorf("attempts = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantWaits != nil && fmt.Sprint(sl.d) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", sl.d, tt.wantWaits)
			}
			for i, d := range sl.d {
				if tt.wantWaits == nil && (d < 0 || d > 100*time.Millisecond<<i) {
					t.Errorf("backoff %d = %v, want within full jitter of %v", i, d, 100*time.Millisecond<<i)
				}
			}
		})
	}
}

func TestSlowUpstreamTimesOutPerAttempt(t *testing.T) {
	s := &script{step: func(_ int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}
	c, _ := scriptedClient(t, s, func(c *upstream.Config) { c.AttemptTimeout = 20 * time.Millisecond })
	_, err := c.Room(context.Background(), "42", "user")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline", err)
	}
	if got := s.calls.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3 (timeouts are retried)", got)
	}
}

func TestBudgetBoundsTheWholeLookup(t *testing.T) {
	s := &script{step: func(_ int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}
	c, _ := scriptedClient(t, s, func(c *upstream.Config) { c.AttemptTimeout, c.Budget = time.Minute, 30*time.Millisecond })
	_, err := c.Room(context.Background(), "42", "user")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the budget's deadline", err)
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1: no retry once the budget is spent", got)
	}
}

func TestServiceTokenRefusedIsRenewedOnce(t *testing.T) {
	f := fake.New(fake.Options{})
	up := httptest.NewServer(f)
	defer up.Close()
	tokens := upstream.NewServiceTokens(context.Background(), upstream.ServiceTokensConfig{
		AuthBaseURL: up.URL, ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret, HTTPClient: up.Client(),
		FetchTimeout: time.Minute,
	})
	cfg := configFor(up.URL)
	cfg.ClientID, cfg.ServiceTokens = fake.DemoClientID, tokens
	c := upstream.New(cfg, up.Client())
	f.SetFault("5", fake.Fault{Status: 401, Body: `{"type":"unauthorized"}`, Times: 1})
	if _, err := c.Room(context.Background(), "5", ""); err != nil {
		t.Fatalf("err = %v, want the room after one renewal", err)
	}
	st := f.Stats()
	if st.TokenRequests != 2 || st.CallsByID["5"] != 2 {
		t.Errorf("token requests %d, calls %d; want 2 and 2", st.TokenRequests, st.CallsByID["5"])
	}
	// Refused again after renewal: give up, with 401.
	f.SetFault("6", fake.Fault{Status: 401, Body: `{"type":"unauthorized"}`})
	_, err := c.Room(context.Background(), "6", "")
	var se *upstream.StatusError
	if !errors.As(err, &se) || se.Status != 401 {
		t.Errorf("err = %v, want 401", err)
	}
	if got := f.Stats().CallsByID["6"]; got != 2 {
		t.Errorf("calls for 6 = %d, want 2 (one renewal, no more)", got)
	}
}

func TestCircuitBreaker(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	s := &script{step: func(_ int, w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(503)
			return
		}
		okRoom(w)
	}}
	c, _ := scriptedClient(t, s, noRetries, breakerAfter(3))

	// 4xx and cancelled callers never open it.
	ct := &script{step: status(401, "")}
	c4, _ := scriptedClient(t, ct, noRetries, breakerAfter(3))
	for range 10 {
		c4.Room(context.Background(), "42", "bad-token")
	}
	if got := c4.BreakerState(); got != "closed" {
		t.Errorf("after ten 401s the breaker is %s, want closed", got)
	}

	for range 3 {
		c.Room(context.Background(), "42", "user")
	}
	if got := c.BreakerState(); got != "open" {
		t.Fatalf("after three 503s the breaker is %s, want open", got)
	}
	fail.Store(false)
	before := s.calls.Load()
	_, err := c.Room(context.Background(), "42", "user")
	if !errors.Is(err, upstream.ErrCircuitOpen) {
		t.Errorf("err = %v, want ErrCircuitOpen", err)
	}
	if s.calls.Load() != before {
		t.Error("a call went upstream while the circuit was open")
	}
}

func TestCancelledCallersDoNotOpenTheBreaker(t *testing.T) {
	received := make(chan struct{})
	s := &script{step: func(_ int, w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		<-r.Context().Done()
	}}
	c, _ := scriptedClient(t, s, noRetries, breakerAfter(2))
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.Room(ctx, "42", "user"); done <- err }()
		<-received // the call is at the upstream: now the caller gives up
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
	if got := c.BreakerState(); got != "closed" {
		t.Errorf("after cancelled callers the breaker is %s, want closed", got)
	}
}

func TestConcurrencyCapMakesCallersWaitThenFail(t *testing.T) {
	inFlight := make(chan struct{}, 10)
	release := make(chan struct{})
	s := &script{step: func(_ int, w http.ResponseWriter, r *http.Request) {
		inFlight <- struct{}{}
		<-release
		okRoom(w)
	}}
	c, _ := scriptedClient(t, s, func(c *upstream.Config) { c.MaxConcurrent, c.AttemptTimeout = 2, time.Minute })
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { c.Room(context.Background(), "42", "user") })
	}
	<-inFlight
	<-inFlight
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := c.Room(ctx, "42", "user")
	if !errors.Is(err, upstream.ErrBusy) {
		t.Errorf("third caller: err = %v, want ErrBusy after waiting its budget", err)
	}
	close(release)
	wg.Wait()
	if got := s.calls.Load(); got != 2 {
		t.Errorf("calls = %d, want 2", got)
	}
}

func TestSlowTokenEndpointDoesNotHoldCallersPastTheirBudget(t *testing.T) {
	f := fake.New(fake.Options{})
	up := httptest.NewServer(f)
	defer up.Close()
	release := f.HoldTokens()
	defer release()
	tokens := upstream.NewServiceTokens(context.Background(), upstream.ServiceTokensConfig{
		AuthBaseURL: up.URL, ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret,
		HTTPClient: up.Client(), FetchTimeout: time.Minute,
	})
	cfg := configFor(up.URL)
	cfg.ClientID, cfg.ServiceTokens, cfg.Budget = fake.DemoClientID, tokens, 30*time.Millisecond
	c := upstream.New(cfg, up.Client())
	_, err := c.Room(context.Background(), "1", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the lookup's own deadline", err)
	}
	release()
}
