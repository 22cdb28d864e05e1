// Package signin makes the service the backend of a web app's Quran Foundation
// login: the browser signs in here (authorization code with PKCE, as a
// confidential client), the tokens stay server-side in a session, refreshed
// one at a time per session across replicas, and the browser holds only an
// httpOnly cookie naming the session. Cookie requests must prove they are not
// cross-site forgeries. Mobile apps keep sending their own Bearer tokens.
package signin

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
)

// Config is what sign-in needs.
type Config struct {
	AuthBaseURL  string // the provider, e.g. https://prelive-oauth2.quran.foundation
	ClientID     string
	ClientSecret string // a confidential client's; without it sign-in is not configured
	PublicURL    *url.URL
	Scopes       []string
	SessionTTL   time.Duration
	// SignOutRedirect is where the provider sends the browser after signing
	// out (registered with the provider).
	SignOutRedirect string
	// Origins may send cookie requests besides PublicURL's own (the CORS
	// list; "*" never counts).
	Origins    []string
	HTTPClient *http.Client
	Store      Store
	Logger     *slog.Logger
	Now        func() time.Time
	// Observer counts sign-in steps, refreshes and session store errors (nil:
	// none).
	Observer Observer
	// ClientAddr names a request's client address (behind trusted proxies,
	// the right-most untrusted X-Forwarded-For hop): sign-ins started are
	// budgeted per address.
	ClientAddr func(*http.Request) string

	// ReturnOrigins are the origins (exact, as browsers write them) whose
	// URLs a sign-in's returnTo may be, besides paths on this service.
	ReturnOrigins []string
}

// Observer is told of what sign-in does, for metrics. Results are short fixed
// words, never anything a caller sent.
type Observer interface {
	// SignInStep: step is login, callback or logout; result ok or why not.
	SignInStep(step, result string)
	// SessionRefresh: result is ok, ended, failed, backoff or unrenewable.
	SessionRefresh(result string)
	// SessionStoreError: op is read, write, lease or delete.
	SessionStoreError(op string)
}

type noObserver struct{}

func (noObserver) SignInStep(string, string) {}
func (noObserver) SessionRefresh(string)     {}
func (noObserver) SessionStoreError(string)  {}

// observedStore counts a Store's failures by operation.
type observedStore struct {
	Store
	obs Observer
}

func (o observedStore) note(op string, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		o.obs.SessionStoreError(op)
	}
	return err
}

func (o observedStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, ok, err := o.Store.Get(ctx, key)
	return v, ok, o.note("read", err)
}

func (o observedStore) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return o.note("write", o.Store.Set(ctx, key, val, ttl))
}

func (o observedStore) Replace(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	ok, err := o.Store.Replace(ctx, key, val, ttl)
	return ok, o.note("write", err)
}

func (o observedStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	first, err := o.Store.Claim(ctx, key, ttl)
	return first, o.note("write", err)
}

func (o observedStore) Delete(ctx context.Context, key string) error {
	return o.note("delete", o.Store.Delete(ctx, key))
}

func (o observedStore) Lease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) bool, func(), bool, error) {
	renew, release, ok, err := o.Store.Lease(ctx, key, ttl)
	return renew, release, ok, o.note("lease", err)
}

// loginLimit is the budget of sign-ins started per client address: each
// costs nothing to hold (it is in the browser's cookie), but sends a browser
// to the provider, whose own limits are not ours to spend.
func loginLimit() guard.CallerLimit { return guard.CallerLimit{PerSecond: 0.5, Burst: 30} }

// Service is sign-in: its HTTP endpoints under /auth/ and the cookie
// authentication of GraphQL requests.
type Service struct {
	cfg      Config
	sessions *Sessions
	secure   bool // PUBLIC_URL is https: Secure, __Host- cookies
	origin   string

	mu         sync.Mutex
	prov       *provider // from discovery, once it answered
	failed     error     // the last discovery's failure, remembered briefly
	failedAt   time.Time
	discovery  singleflight.Group
	logins     *guard.CallerLimits // sign-ins started per client address
	clientAddr func(*http.Request) string
	// pendingAEAD seals the sign-ins under way, which the browsers hold.
	pendingAEAD cipher.AEAD
}

type provider struct {
	verifier  *oidc.IDTokenVerifier
	oauth     *oauth2.Config
	revokeURL string
	logoutURL string
}

// New returns sign-in for cfg. The provider's discovery document is read on
// first use, not here, so that the service starts while the provider is down.
func New(cfg Config) *Service {
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.Store != nil {
		cfg.Store = observedStore{cfg.Store, cfg.Observer}
	}
	s := &Service{cfg: cfg, secure: cfg.PublicURL.Scheme == "https",
		origin: cfg.PublicURL.Scheme + "://" + cfg.PublicURL.Host,
		logins: guard.NewCallerLimits(loginLimit(), cfg.Now), clientAddr: cfg.ClientAddr}
	block, _ := aes.NewCipher(pendingKey(cfg.ClientSecret)) // 32 bytes: never an error
	s.pendingAEAD, _ = cipher.NewGCM(block)
	if s.clientAddr == nil {
		s.clientAddr = func(r *http.Request) string { return r.RemoteAddr }
	}
	s.sessions = &Sessions{store: cfg.Store, obs: cfg.Observer, now: cfg.Now, httpContext: s.httpContext, oauth: func(ctx context.Context) (*oauth2.Config, error) {
		p, err := s.provider(ctx)
		if err != nil {
			return nil, err
		}
		return p.oauth, nil
	}}
	return s
}

// Configured reports whether sign-in can run: it needs a client secret.
func (s *Service) Configured() bool { return s.cfg.ClientSecret != "" }

func (s *Service) httpContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.cfg.HTTPClient) // also oauth2.HTTPClient
}

// provider is the provider as its discovery document describes it, read once
// it answers: one reading at a time for every request (each waits at most its
// own deadline), a failure remembered for two seconds.
func (s *Service) provider(ctx context.Context) (*provider, error) {
	s.mu.Lock()
	p, failed := s.prov, s.failed
	if failed != nil && s.cfg.Now().Sub(s.failedAt) > 2*time.Second {
		failed = nil
	}
	s.mu.Unlock()
	switch {
	case p != nil:
		return p, nil
	case failed != nil:
		return nil, failed
	}
	return shared(ctx, &s.discovery, "", func() (*provider, error) {
		p, err := s.discover(context.WithoutCancel(ctx))
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.failed, s.failedAt = err, s.cfg.Now()
			return nil, err
		}
		s.prov = p
		return p, nil
	})
}

// discover reads the discovery document. The issuer is the one the document
// names (the provider's docs write it with and without a trailing slash), and
// ID tokens must carry exactly it.
func (s *Service) discover(ctx context.Context) (*provider, error) {
	ctx = s.httpContext(ctx)
	discovery := strings.TrimSuffix(s.cfg.AuthBaseURL, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, discovery, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("signin: discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("signin: discovery: HTTP %d", resp.StatusCode)
	}
	var doc struct {
		oidc.ProviderConfig
		Revocation string `json:"revocation_endpoint"`
		EndSession string `json:"end_session_endpoint"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("signin: discovery: %w", err)
	}
	if doc.IssuerURL == "" || doc.AuthURL == "" || doc.TokenURL == "" || doc.JWKSURL == "" {
		return nil, errors.New("signin: discovery: the document lacks an issuer or an endpoint")
	}
	base := strings.TrimSuffix(s.cfg.AuthBaseURL, "/")
	if doc.Revocation == "" {
		doc.Revocation = base + "/oauth2/revoke"
	}
	if doc.EndSession == "" {
		doc.EndSession = base + "/oauth2/sessions/logout"
	}
	p := doc.ProviderConfig.NewProvider(context.WithoutCancel(ctx))
	return &provider{
		verifier: p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID, Now: s.cfg.Now}),
		oauth: &oauth2.Config{
			ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret,
			Endpoint:    oauth2.Endpoint{AuthURL: doc.AuthURL, TokenURL: doc.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
			RedirectURL: s.cfg.PublicURL.JoinPath("/auth/callback").String(),
			Scopes:      s.cfg.Scopes,
		},
		revokeURL: doc.Revocation,
		logoutURL: doc.EndSession,
	}, nil
}

// Cookie names: __Host- (Secure, Path=/, no Domain: only this origin may set
// or read it) when the service is served over https; plain names on
// http://localhost for development.
func (s *Service) cookieName(base string) string {
	if s.secure {
		return "__Host-" + base
	}
	return base
}

const sessionCookie = "reflect_session"

func (s *Service) setCookie(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: s.cookieName(base), Value: value, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		c.MaxAge, c.Value = -1, ""
	}
	http.SetCookie(w, c)
}

func (s *Service) cookie(r *http.Request, base string) string {
	c, err := r.Cookie(s.cookieName(base))
	if err != nil {
		return ""
	}
	return c.Value
}

// CrossSiteSafe reports whether a cookie request shows it is not a cross-site
// forgery: a browser preflights it before sending it from another site
// (Content-Type: application/json on a POST, or X-CSRF: 1, or
// Apollo-Require-Preflight), and, when it says where it comes from, it comes
// from this service's origin or an allowed one.
func (s *Service) CrossSiteSafe(r *http.Request) bool {
	preflighted := r.Header.Get("X-CSRF") == "1" || r.Header.Get("Apollo-Require-Preflight") != ""
	if !preflighted && r.Method == http.MethodPost {
		ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		preflighted = strings.EqualFold(strings.TrimSpace(ct), "application/json")
	}
	if !preflighted {
		return false
	}
	origin := r.Header.Get("Origin")
	return origin == "" || origin == s.origin || slices.Contains(s.cfg.Origins, origin) && origin != "*"
}
