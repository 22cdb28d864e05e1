package upstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ServiceTokensConfig configures the service's own client-credentials token.
type ServiceTokensConfig struct {
	AuthBaseURL  string // the token endpoint is AuthBaseURL + "/oauth2/token"
	ClientID     string
	ClientSecret string
	Scopes       []string
	// HTTPClient talks to the token endpoint only; give it its own timeout.
	HTTPClient *http.Client
	// FetchTimeout bounds one token request; it must be positive.
	FetchTimeout time.Duration
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time
	// Observer hears about each fetch (nil: nobody).
	Observer Observer
	// Tracer makes a client span per token request (nil: none). A fetch serves
	// many requests, so its span starts a trace of its own.
	Tracer trace.Tracer
}

// ServiceTokens caches the service's client-credentials token and renews it well
// before it expires: after 80% of its lifetime a renewal starts in the background
// while callers keep the current token, so no request waits for a renewal unless
// the token has actually run out. Concurrent callers share one fetch.
//
// x/oauth2's own cache renews only 10 s before expiry and makes every caller wait
// on that fetch, which is why this type exists; the fetch itself is x/oauth2's.
type ServiceTokens struct {
	cfg      clientcredentials.Config
	ctx      context.Context // long-lived: carries HTTPClient for x/oauth2
	timeout  time.Duration
	now      func() time.Time
	observer Observer
	tracer   trace.Tracer

	mu       sync.Mutex
	token    string
	renewAt  time.Time
	expireAt time.Time
	inflight *tokenFetch
	// After a failed fetch, callers get the same error until failedUntil
	// instead of each starting a fetch: an outage of the token endpoint must not
	// become one token request per GraphQL request.
	failedUntil time.Time
	failure     error
}

// retryTokenAfter is how long a failed token fetch is remembered.
const retryTokenAfter = 2 * time.Second

type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// NewServiceTokens returns a token cache. Renewals run on ctx's values, never on
// the request that noticed them; ctx's cancellation is ignored, so that requests
// still draining after a shutdown signal can get a token. It panics when
// cfg.FetchTimeout is not positive.
func NewServiceTokens(ctx context.Context, cfg ServiceTokensConfig) *ServiceTokens {
	if cfg.FetchTimeout <= 0 {
		// A zero would time out every fetch at once: there is no token without one.
		panic("upstream: ServiceTokensConfig.FetchTimeout must be positive")
	}
	ctx = context.WithoutCancel(ctx)
	if cfg.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, cfg.HTTPClient)
	}
	s := &ServiceTokens{
		cfg: clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     strings.TrimRight(cfg.AuthBaseURL, "/") + "/oauth2/token",
			Scopes:       cfg.Scopes,
			AuthStyle:    oauth2.AuthStyleInHeader,
		},
		ctx:      ctx,
		timeout:  cfg.FetchTimeout,
		now:      cfg.Now,
		observer: cfg.Observer,
		tracer:   cfg.Tracer,
	}
	if s.observer == nil {
		s.observer = nopObserver{}
	}
	if s.tracer == nil {
		s.tracer = noop.NewTracerProvider().Tracer("")
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Token returns a valid access token, fetching one only when none is cached or the
// cached one has expired. It gives up when ctx is done, leaving the fetch to finish
// for later callers.
func (s *ServiceTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	now := s.now()
	usable := s.token != "" && now.Before(s.expireAt)
	if usable && now.Before(s.renewAt) {
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	f := s.inflight
	if f == nil && !now.Before(s.failedUntil) {
		f = s.startFetchLocked()
	}
	if usable {
		// Due for renewal, still good: serve it while a renewal runs, or
		// while a failed renewal is being remembered.
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	if f == nil {
		err := s.failure // no token, and the last fetch failed a moment ago
		s.mu.Unlock()
		return "", err
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate drops token from the cache if it is the current one, so that the
// next caller fetches a new one. The client calls it when the upstream refuses
// the service's token; concurrent calls for the same token cost one fetch.
func (s *ServiceTokens) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token != "" && s.token == token {
		s.token = ""
	}
}

// Ready reports whether a valid token is cached; if not, it says why and, unless
// a fetch is running or a failure is being remembered, starts one in the
// background. It never waits: readiness probes call it.
func (s *ServiceTokens) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.expireAt) {
		return nil
	}
	if s.inflight == nil && !now.Before(s.failedUntil) {
		s.startFetchLocked()
	}
	if s.failure != nil {
		return s.failure
	}
	return errors.New("upstream: service token: not fetched yet")
}

func (s *ServiceTokens) startFetchLocked() *tokenFetch {
	f := &tokenFetch{done: make(chan struct{})}
	s.inflight = f
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
		defer cancel()
		ctx, span := s.tracer.Start(ctx, "POST /oauth2/token", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("http.request.method", http.MethodPost), attribute.String("url.template", "/oauth2/token")))
		started := s.now()
		wall := time.Now()
		tok, err := s.cfg.Token(ctx)
		s.observer.TokenFetch(err, time.Since(wall))
		if err != nil {
			span.SetStatus(codes.Error, "token request failed")
		}
		span.End()
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			f.err = tokenError(err)
			s.failure, s.failedUntil = f.err, s.now().Add(retryTokenAfter)
		} else {
			f.token = tok.AccessToken
			s.token = tok.AccessToken
			s.failure, s.failedUntil = nil, time.Time{}
			s.renewAt, s.expireAt = renewalTimes(started, expiry(started, tok))
		}
		s.inflight = nil
		close(f.done)
	}()
	return f
}

// expiry is when tok expires on s.now's clock, counting its lifetime from when it
// was requested (so network time only makes it expire earlier).
func expiry(requested time.Time, tok *oauth2.Token) time.Time {
	switch {
	case tok.ExpiresIn > 0:
		return requested.Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero():
		return requested.Add(time.Until(tok.Expiry))
	}
	return time.Time{}
}

// renewalTimes starts renewing after 80% of the lifetime and stops using the token
// a little before it expires, to allow for clock skew and the time a call takes.
// A token with no expiry is renewed hourly.
func renewalTimes(issued, expiry time.Time) (renewAt, expireAt time.Time) {
	if expiry.IsZero() {
		expiry = issued.Add(time.Hour)
	}
	life := expiry.Sub(issued)
	if life <= 0 {
		return issued, issued
	}
	margin := min(life/10, 30*time.Second)
	return issued.Add(life * 8 / 10), expiry.Add(-margin)
}

func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		// RetrieveError's own message carries the response body; keep only the code.
		te := &TokenError{Code: truncate(re.ErrorCode, 64)}
		if re.Response != nil {
			te.Status = re.Response.StatusCode
		}
		return te
	}
	return &TokenError{Err: err}
}
