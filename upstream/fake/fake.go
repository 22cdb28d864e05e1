// Package fake is an in-process emulator of the Quran Reflect API (rooms, their
// members and posts, users and their follows, posts and their comments, and the
// writes that join, leave and follow; the reflection loop's feed with its tabs
// and filters, related posts, re-reflections and the user's own posts, the
// writes on posts and comments, and the searches of users and tags: see
// feed.go, post_writes.go, comments.go, search.go) and its OAuth2/OpenID
// Connect provider (client credentials, and signing in the demo users by
// authorization code with PKCE, refresh-token rotation and revocation: see
// oidc.go), built from the provider's documentation: both auth headers
// required, the gateway's error envelopes (422 for a bad parameter, 400 for a
// bad body), mutual followers only for signed-in users, privateToken only for a
// room's owner, user-only calls refused to a client-credentials token, the
// viewer's own flags (isLiked, isSaved, isByFollowedUser) left out for one, and
// the documented oddities of the JSON (user dates without a zone, omitted
// defaults, unknown extra fields). It also serves the Content API's reads the
// service makes (the whole Quran's Uthmani text and translation 131, chapters,
// translation resources, verses by range) with real text for a few verses and
// marked placeholders for the rest, behind the scope rule that keeps a token for
// `content` and the Quran Reflect tokens apart: see content.go.
//
// The service's demo mode serves it, and the project's tests run against it. Tests
// also use its counters (Stats, per route), its fault knobs (Fault, Tamper,
// HoldRooms, SetRouteFault, SetIDTokenFault, HoldRefreshes), BeforeRoute, ScopesUsed, and
// the state helpers of state.go (Liked, SetLiked, PostCounts, ...), which the
// demo never touches. It is never used when real credentials are configured.
// Each Server has its own copy of the demo data, which its writes change.
package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value serves the demo client.
type Options struct {
	ClientID      string        // default DemoClientID
	ClientSecret  string        // default DemoClientSecret
	TokenLifetime time.Duration // expires_in of issued tokens; default one hour
	Latency       time.Duration // added to every API answer (demos and measurements)
	Rooms         int           // seed rooms 1 to Rooms (default, and at least, 20); those past 20 have no posts
	Now           func() time.Time

	// UserTokenLifetime is the lifetime of the access tokens of signed-in users
	// (and the exp of their ID tokens); default one hour.
	UserTokenLifetime time.Duration
	// RedirectURIs are the client's registered redirect URIs, matched exactly;
	// RegisterRedirect adds more.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where the logout endpoint may send the browser
	// back to; RegisterPostLogoutRedirect adds more.
	PostLogoutRedirectURIs []string

	// PostCreatedAsData makes POST /v1/posts answer pre-live's {data, success}
	// rather than production's {post, success}.
	PostCreatedAsData bool
	// TagsAsPage makes GET /v1/tags answer the usual page envelope {total,
	// currentPage, limit, pages, data} rather than the bare array the spec names.
	TagsAsPage bool
}

// The demo client's credentials, accepted by a zero-Options Server.
const (
	DemoClientID     = "demo-client"
	DemoClientSecret = "demo-secret"
)

// Server is the emulator. It is an http.Handler; the zero value is not usable.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	routes []route
	demo   map[string]string

	// dbMu guards the demo data, which the writes change. It is apart from mu so
	// that concurrent reads do not wait for one another.
	dbMu sync.RWMutex
	db   *store

	latency atomic.Int64 // added to every API answer; Options.Latency, or SetLatency's

	mu            sync.Mutex
	withCookies   int                        // API calls that carried a Cookie header
	issued        map[string]ccToken         // client-credentials token -> its expiry and scope
	scopesUsed    map[string]map[string]bool // by route: the scopes of the tokens that called it (ScopesUsed)
	tokenRequests int
	tokenFault    int
	// tokenRetryAfter is the Retry-After sent with tokenFault ("": none).
	tokenRetryAfter string
	tokenHold       chan struct{}
	cancelled       int
	cancelledCh     chan struct{}
	apiCalls        int
	calls           map[string]int // by route
	roomCalls       int
	callsByID       map[string]int
	traceparents    map[string]string
	inFlight        int
	maxInFlight     int
	roomsInFlight   int // room lookups by id, which HoldRooms counts
	faults          map[string]Fault
	routeFaults     map[string]Fault
	tamper          map[string]func(map[string]any)
	before          map[string][]func() // by route: BeforeRoute's, each for one call
	hold            *hold
	oidc            oidcState
}

// New returns an emulator seeded with the demo data.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DemoClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DemoClientSecret
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.UserTokenLifetime <= 0 {
		opts.UserTokenLifetime = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:         opts,
		mux:          http.NewServeMux(),
		db:           seed(max(opts.Rooms, 20)),
		demo:         DemoTokens(),
		issued:       make(map[string]ccToken),
		scopesUsed:   make(map[string]map[string]bool),
		calls:        make(map[string]int),
		callsByID:    make(map[string]int),
		traceparents: make(map[string]string),
		faults:       make(map[string]Fault),
		routeFaults:  make(map[string]Fault),
		tamper:       make(map[string]func(map[string]any)),
		// Buffered so that a handler never blocks on it; tests drain it.
		cancelledCh: make(chan struct{}, 4096),
	}
	s.latency.Store(int64(opts.Latency))
	s.oidc = newOIDCState(opts, s.demo)
	s.routes = s.routeTable()
	s.mux.HandleFunc("POST /oauth2/token", s.handleToken)
	s.handleOIDC()
	s.mux.HandleFunc("/", s.serveAPI)
	return s
}

// ServeHTTP serves the OAuth2/OpenID Connect endpoints and the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	fault, retryAfter, hold := s.tokenFault, s.tokenRetryAfter, s.tokenHold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if fault != 0 {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		writeOAuthError(w, fault, "server_error", "The token endpoint is failing on purpose.")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != s.opts.ClientID || secret != s.opts.ClientSecret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a valid form.")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "authorization_code":
		s.exchangeCode(w, r)
		return
	case "refresh_token":
		s.refreshGrant(w, r)
		return
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"Only client_credentials, authorization_code and refresh_token are supported here.")
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := "fake-cc-" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.issued[token] = ccToken{expires: s.opts.Now().Add(s.opts.TokenLifetime), scope: normalScope(r.PostForm.Get("scope"))}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "bearer",
		"expires_in":   int(s.opts.TokenLifetime / time.Second),
		"scope":        r.PostForm.Get("scope"),
	})
}

// ccToken is one client-credentials token the token endpoint issued: when it
// expires and the scope it was granted (the scope asked for, as the upstream
// grants a client every scope it is approved for; this client is approved for
// all).
type ccToken struct {
	expires time.Time
	scope   string // space-separated, normalised by normalScope; "" when none was asked for
}

// viewer returns the user id behind token: "" for a client-credentials token.
func (s *Server) viewer(token string) (string, bool) {
	if uid, ok := s.demo[token]; ok {
		return uid, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if uid, ok, found := s.userTokenLocked(token); found {
		return uid, ok
	}
	t, ok := s.issued[token]
	if !ok || !s.opts.Now().Before(t.expires) {
		return "", false
	}
	return "", true
}

func writeEnvelope(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "type": typ, "success": false})
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
