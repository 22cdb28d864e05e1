package upstream

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TokenProvider supplies the service's own access token for callers who bring none.
type TokenProvider interface {
	Token(ctx context.Context) (string, error)
}

// tokenInvalidator is a TokenProvider that can drop a token the upstream refused.
type tokenInvalidator interface {
	Invalidate(token string)
}

// Config configures a Client. Start from DefaultConfig and change what differs:
// New takes every tunable as given and refuses one that makes no sense, so a zero
// never silently stands for "the default" (MaxRetries 0 means no retries).
type Config struct {
	// APIBaseURL is the gateway, such as https://apis-prelive.quran.foundation.
	APIBaseURL string
	// ClientID is sent as x-client-id on every call.
	ClientID string
	// ServiceTokens supplies a token for callers without one; nil refuses them
	// with ErrNoCredentials.
	ServiceTokens TokenProvider
	// Logger receives oddities that do not fail a call. Nil discards them.
	Logger *slog.Logger
	// ViewsByGET records a post's view with a GET, as pre-live serves it,
	// instead of production's POST (the default).
	ViewsByGET bool

	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
	// Budget bounds one call of an endpoint, retries and waits included. Both
	// sit inside the caller's own deadline.
	Budget time.Duration
	// MaxRetries is how many times a call is retried after a 429, 502, 503,
	// 504 or transport error; 0: never.
	MaxRetries int
	// BackoffBase and BackoffMax shape the exponential backoff with full jitter
	// between retries. A Retry-After header wins.
	BackoffBase, BackoffMax time.Duration
	// MaxConcurrent is the ceiling of the adaptive limit on upstream calls in
	// flight from this client (see Limiter), which starts at 64 (or the
	// ceiling, if lower) and never goes below 8 (or the start).
	MaxConcurrent int64
	// BreakerFailures is how many consecutive 5xx, timeouts or transport errors
	// open the circuit; BreakerOpenFor is how long it stays open before one
	// trial call is let through.
	BreakerFailures int
	BreakerOpenFor  time.Duration

	// Sleep waits between retries; nil waits on a timer. Tests record instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observer hears about every attempt, retry and breaker change (nil: none).
	Observer Observer
	// Tracer makes a client span per attempt (nil: no spans); the span's W3C
	// traceparent goes upstream. Neither ever sees a token.
	Tracer trace.Tracer
}

// DefaultConfig returns the tunables the service runs with unless told otherwise.
// The caller fills in the API's URL, the client id and the dependencies.
func DefaultConfig() Config {
	return Config{
		AttemptTimeout:  3 * time.Second,
		Budget:          8 * time.Second,
		MaxRetries:      2,
		BackoffBase:     100 * time.Millisecond,
		BackoffMax:      2 * time.Second,
		MaxConcurrent:   1024,
		BreakerFailures: 10,
		BreakerOpenFor:  10 * time.Second,
	}
}

// mustBeValid panics on a tunable that cannot work: a Config built field by field
// from a zero value would otherwise time out every call at once, or never admit one.
func (c Config) mustBeValid() {
	positive := func(name string, ok bool) {
		if !ok {
			panic("upstream: Config." + name + " must be positive; start from DefaultConfig()")
		}
	}
	positive("AttemptTimeout", c.AttemptTimeout > 0)
	positive("Budget", c.Budget > 0)
	positive("BackoffBase", c.BackoffBase > 0)
	positive("BackoffMax", c.BackoffMax > 0)
	positive("MaxConcurrent", c.MaxConcurrent > 0)
	positive("BreakerFailures", c.BreakerFailures > 0)
	positive("BreakerOpenFor", c.BreakerOpenFor > 0)
	if c.MaxRetries < 0 {
		panic("upstream: Config.MaxRetries must not be negative (0: no retries); start from DefaultConfig()")
	}
}

// Client calls the Quran Reflect API. It is safe for concurrent use.
type Client struct {
	cfg     Config
	host    string // the API's host, for spans and the breaker
	baseURL string // APIBaseURL without a trailing slash: endpoint paths follow it
	// clientID is the x-client-id header's value, made once and shared by
	// every request (net/http never writes to a request's headers).
	clientID []string
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	limiter  *Limiter
	// breaker is shared by every endpoint: it judges the host, and a host that
	// fails for rooms fails for users too. Decoding happens inside an attempt,
	// so the breaker carries no value.
	breaker *gobreaker.CircuitBreaker[struct{}]
	// spans is false when the tracer is the no-op one: an attempt then starts
	// no span, since a no-op span would only add a context to every call (the
	// caller's traceparent, if any, still goes upstream from the context).
	spans bool
}

// newClientLimiter is the limiter of cfg: it starts at 64 calls in flight
// (about what a healthy upstream a few tens of milliseconds away needs for a
// few thousand calls a second) and adapts between 8 and MaxConcurrent.
func newClientLimiter(cfg Config) *Limiter {
	ceiling := int(min(cfg.MaxConcurrent, 1<<20))
	initial := min(64, ceiling)
	return NewLimiter(min(8, initial), initial, ceiling, time.Now, cfg.Observer.Concurrency)
}

// New returns a Client that makes its calls with httpClient, using cfg as given.
// It panics when a tunable of cfg is not positive (or MaxRetries is negative).
// Redirects are never followed: the x-auth-token header is not one net/http
// strips when a redirect leaves the host, so following one could hand a user's
// token to another server.
func New(cfg Config, httpClient *http.Client) *Client {
	cfg.mustBeValid()
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider().Tracer("")
	}
	_, tracingOff := cfg.Tracer.(noop.Tracer)
	hc := *httpClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	host := hostOf(cfg.APIBaseURL)
	c := &Client{
		cfg:      cfg,
		host:     host,
		baseURL:  strings.TrimRight(cfg.APIBaseURL, "/"),
		http:     &hc,
		log:      cfg.Logger,
		now:      time.Now,
		limiter:  newClientLimiter(cfg),
		clientID: []string{cfg.ClientID},
		spans:    !tracingOff,
	}
	c.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "upstream " + host,
		MaxRequests: 1,
		Timeout:     cfg.BreakerOpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= uint32(cfg.BreakerFailures) },
		// Only signs of a sick host count: 5xx, timeouts, transport errors. A
		// 4xx says the host is fine (one user's bad token must not open the
		// circuit for everyone), and a caller that gave up says nothing.
		// 4xx, garbage and the rest are excluded rather than successes, so that
		// a 404 amid an outage does not reset the count of failures.
		IsSuccessful: func(err error) bool { return err == nil },
		IsExcluded:   func(err error) bool { return err != nil && !hostFailure(err) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			c.log.Warn("upstream: circuit breaker "+to.String(), "breaker", name, "from", from.String())
			cfg.Observer.Breaker(host, to.String())
		},
	})
	cfg.Observer.Breaker(host, gobreaker.StateClosed.String())
	return c
}

// Host is the API's host (such as apis.quran.foundation): the name the circuit
// breaker, the spans and the metrics use for it.
func (c *Client) Host() string { return c.host }

// BreakerState reports the circuit breaker's state: "closed", "half-open" or "open".
func (c *Client) BreakerState() string { return c.breaker.State().String() }

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}
