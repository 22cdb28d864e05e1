// Package upstream is a small client for the Quran Foundation's Quran Reflect REST
// API: it knows the URLs, the two auth headers, the service's own OAuth2 token, the
// room JSON with its oddities, and how the upstream reports errors. It knows nothing
// of GraphQL.
package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/sync/semaphore"
)

// Body size limits: a room with its mutual followers is a few KB; error bodies are
// read only for a message.
const (
	maxRoomBody  = 4 << 20
	maxErrorBody = 8 << 10
)

// TokenProvider supplies the service's own access token for callers who bring none.
type TokenProvider interface {
	Token(ctx context.Context) (string, error)
}

// tokenInvalidator is a TokenProvider that can drop a token the upstream refused.
type tokenInvalidator interface {
	Invalidate(token string)
}

// Config configures a Client. Zero values take the defaults.
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

	// AttemptTimeout bounds one HTTP attempt (default 3s).
	AttemptTimeout time.Duration
	// Budget bounds one room lookup, retries and waits included (default 8s).
	// Both sit inside the caller's own deadline.
	Budget time.Duration
	// MaxRetries is how many times a lookup is retried after a 429, 502, 503,
	// 504 or transport error (default 2; negative: never).
	MaxRetries int
	// BackoffBase and BackoffMax shape the exponential backoff with full jitter
	// between retries (defaults 100ms and 2s). A Retry-After header wins.
	BackoffBase, BackoffMax time.Duration
	// MaxConcurrent caps upstream calls in flight from this client (default 64).
	// Beyond it callers wait, within their budget.
	MaxConcurrent int64
	// BreakerFailures is how many consecutive 5xx, timeouts or transport errors
	// open the circuit (default 10); BreakerOpenFor is how long it stays open
	// before one trial call is let through (default 10s).
	BreakerFailures int
	BreakerOpenFor  time.Duration
	// Sleep waits between retries; nil waits on a timer. Tests record instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observer hears about every attempt, retry and breaker change (nil: none).
	Observer Observer
	// Tracer makes a client span per attempt (nil: no spans), and Propagator
	// writes the span's W3C traceparent into the upstream request (nil: W3C
	// trace context). Neither ever sees a token.
	Tracer     trace.Tracer
	Propagator propagation.TextMapPropagator
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.AttemptTimeout, 3*time.Second)
	def(&c.Budget, 8*time.Second)
	def(&c.BackoffBase, 100*time.Millisecond)
	def(&c.BackoffMax, 2*time.Second)
	def(&c.BreakerOpenFor, 10*time.Second)
	if c.MaxRetries == 0 {
		c.MaxRetries = 2
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 64
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 10
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Tracer == nil {
		c.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if c.Propagator == nil {
		c.Propagator = propagation.TraceContext{}
	}
	return c
}

// Client calls the Quran Reflect API. It is safe for concurrent use.
type Client struct {
	cfg      Config
	host     string // the API's host, for spans and the breaker
	roomsURL string
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	slots    *semaphore.Weighted
	breaker  *gobreaker.CircuitBreaker[*Room]
}

// New returns a Client that makes its calls with httpClient. Redirects are never
// followed: the x-auth-token header is not one net/http strips when a redirect
// leaves the host, so following one could hand a user's token to another server.
func New(cfg Config, httpClient *http.Client) *Client {
	cfg = cfg.withDefaults()
	hc := *httpClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		cfg:      cfg,
		host:     hostOf(cfg.APIBaseURL),
		roomsURL: strings.TrimRight(cfg.APIBaseURL, "/") + "/quran-reflect/v1/rooms/",
		http:     &hc,
		log:      cfg.Logger,
		now:      time.Now,
		slots:    semaphore.NewWeighted(cfg.MaxConcurrent),
	}
	c.breaker = gobreaker.NewCircuitBreaker[*Room](gobreaker.Settings{
		Name:        "upstream " + hostOf(cfg.APIBaseURL),
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
			cfg.Observer.Breaker(hostOf(cfg.APIBaseURL), to.String())
		},
	})
	cfg.Observer.Breaker(hostOf(cfg.APIBaseURL), gobreaker.StateClosed.String())
	return c
}

// BreakerState reports the circuit breaker's state: "closed", "half-open" or "open".
func (c *Client) BreakerState() string { return c.breaker.State().String() }

// Room fetches the profile of room id as seen by the holder of userToken. An empty
// userToken means an anonymous caller, served with the service's own token.
func (c *Client) Room(ctx context.Context, id, userToken string) (*Room, error) {
	room, err := c.room(ctx, id, userToken)
	if err != nil {
		return nil, &RoomError{ID: id, Err: err}
	}
	return room, nil
}

// room runs the attempts of one lookup: retries for 429, 502, 503, 504 and
// transport errors with backoff, and one renewal of the service's own token when
// the upstream refuses it.
func (c *Client) room(ctx context.Context, id, userToken string) (*Room, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Budget)
	defer cancel()
	renewed := false
	for retry := 0; ; {
		token := userToken
		if token == "" {
			if c.cfg.ServiceTokens == nil {
				return nil, ErrNoCredentials
			}
			t, err := c.cfg.ServiceTokens.Token(ctx)
			if err != nil {
				return nil, err
			}
			token = t
		}
		room, err := c.breaker.Execute(func() (*Room, error) { return c.attempt(ctx, id, token) })
		if err == nil {
			return room, nil
		}
		err = unwrapGone(err)
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return nil, ErrCircuitOpen
		}
		var se *StatusError
		if userToken == "" && !renewed && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			if inv, ok := c.cfg.ServiceTokens.(tokenInvalidator); ok {
				// The service's own token was refused (revoked, or the clocks
				// disagree): fetch a new one and try once more.
				inv.Invalidate(token)
				renewed = true
				continue
			}
		}
		if retry >= c.cfg.MaxRetries || !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		wait := c.backoff(retry)
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = se.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, err // the wait does not fit in the budget: report what we have
		}
		if c.cfg.Sleep(ctx, wait) != nil {
			return nil, err
		}
		c.cfg.Observer.Retry(ctx, EndpointRoom)
		retry++
	}
}

// attempt makes one HTTP call, holding one of the process's upstream slots.
func (c *Client) attempt(ctx context.Context, id, token string) (*Room, error) {
	if err := c.slots.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	defer c.slots.Release(1)
	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	actx, span := c.cfg.Tracer.Start(actx, "GET /quran-reflect/v1/rooms/{id}", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", http.MethodGet),
			attribute.String("url.template", "/quran-reflect/v1/rooms/{id}"),
			attribute.String("server.address", c.host),
			// No room id: it may come from a caller's variables.
		))
	defer span.End()
	c.cfg.Observer.InFlight(1)
	start := time.Now()
	room, status, err := c.get(actx, id, token)
	c.cfg.Observer.InFlight(-1)
	c.cfg.Observer.Attempt(ctx, EndpointRoom, status, time.Since(start))
	if status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if err != nil {
		span.SetStatus(codes.Error, errorKind(err))
	}
	if err != nil && ctx.Err() != nil {
		// The caller gave up (or the budget ran out): not the host's fault.
		return nil, &callerGone{err}
	}
	return room, err
}

// get makes the HTTP call; status is 0 when no answer came.
func (c *Client) get(ctx context.Context, id, token string) (*Room, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.roomsURL+url.PathEscape(id), nil)
	if err != nil {
		return nil, 0, err
	}
	c.cfg.Propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	req.Header.Set("x-auth-token", token)
	req.Header.Set("x-client-id", c.cfg.ClientID)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, c.statusError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRoomBody+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
	}
	if len(body) > maxRoomBody {
		return nil, resp.StatusCode, fmt.Errorf("%w: body over %d bytes", ErrMalformed, maxRoomBody)
	}
	room, err := decodeRoom(body, func(msg string, args ...any) {
		c.log.WarnContext(ctx, "upstream: room: "+msg, args...)
	})
	return room, resp.StatusCode, err
}

// errorKind names an attempt's failure for a span's status, without details
// that could carry anything from the upstream body.
func errorKind(err error) string {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return http.StatusText(se.Status)
	case errors.Is(err, ErrMalformed):
		return "malformed response"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "transport error"
}

// backoff is exponential with full jitter: a random wait up to base·2^retry.
func (c *Client) backoff(retry int) time.Duration {
	ceiling := min(c.cfg.BackoffBase<<retry, c.cfg.BackoffMax)
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// retryable: the statuses the provider says to retry, and transport errors.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBusy)
}

// hostFailure: what the circuit breaker counts against the upstream host.
func hostFailure(err error) bool {
	if err == nil || errors.Is(err, ErrMalformed) || errors.Is(err, ErrBusy) || errors.As(err, new(*callerGone)) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	return true // refused, reset, timed out
}

// callerGone wraps the error of an attempt whose caller had already gone.
type callerGone struct{ err error }

func (e *callerGone) Error() string { return e.err.Error() }
func (e *callerGone) Unwrap() error { return e.err }

func unwrapGone(err error) error {
	var g *callerGone
	if errors.As(err, &g) {
		return g.err
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}

// statusError reads the gateway's error envelope, if the body is one, for the log.
// The body itself never leaves this function.
func (c *Client) statusError(resp *http.Response) error {
	e := &StatusError{
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Type = truncate(env.Type, 64)
		e.Message = truncate(env.Message, 200)
	}
	return e
}
