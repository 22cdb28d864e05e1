package fake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The OpenID Connect provider, as the documentation describes Ory Hydra at
// {auth}, served on the emulator's own base URL: discovery and keys, a sign-in
// page for the demo users (signin_page.go), the token endpoint's
// authorization_code and refresh_token grants (oidc_grants.go), revocation and
// logout. Every token issued from one sign-in belongs to one grant, which
// reusing its code or a spent refresh token, or revoking one of its tokens,
// revokes whole.

// How long a sign-in page's request, and the code it leads to, may be used.
const (
	authRequestLifetime = 10 * time.Minute
	codeLifetime        = 60 * time.Second
)

// scopesSupported are the scopes discovery lists: the documented ones.
var scopesSupported = []string{
	"openid", "offline_access", "user", "room", "post", "comment",
	"room.read", "room.search", "room.members.read", "room.posts.read", "user.rooms.read",
}

// oidcState is the provider's part of a Server, guarded by Server.mu.
type oidcState struct {
	redirects       map[string]bool // registered redirect URIs
	logoutRedirects map[string]bool // registered post-logout redirect URIs
	users           []signinUser    // offered on the sign-in page; never changes
	requests        map[string]*authRequest
	codes           map[string]*authCode
	access          map[string]*userToken
	refresh         map[string]*refreshToken
	idFault         IDTokenFault
	refreshHold     *hold

	codeExchanges, refreshes, refreshReuses, revocations int
}

// signinUser is a demo user the sign-in page offers.
type signinUser struct {
	ID, Username, Name string
}

// authRequest is a sign-in page being shown, by its one-time request id.
type authRequest struct {
	clientID, redirectURI, state, nonce, challenge, scope string
	expires                                               time.Time
}

// grant is one sign-in: the user and what was granted, shared by its code and by
// every token issued from it.
type grant struct {
	clientID, userID, username, name string
	nonce, scope                     string
	authTime                         time.Time
	revoked                          bool
}

type authCode struct {
	grant                  *grant
	redirectURI, challenge string
	expires                time.Time
	used                   bool
}

type userToken struct {
	grant   *grant
	expires time.Time
}

type refreshToken struct {
	grant *grant
	spent bool
}

func newOIDCState(opts Options, demo map[string]string) oidcState {
	st := oidcState{
		redirects:       make(map[string]bool),
		logoutRedirects: make(map[string]bool),
		requests:        make(map[string]*authRequest),
		codes:           make(map[string]*authCode),
		access:          make(map[string]*userToken),
		refresh:         make(map[string]*refreshToken),
	}
	for _, uri := range opts.RedirectURIs {
		st.redirects[uri] = true
	}
	for _, uri := range opts.PostLogoutRedirectURIs {
		st.logoutRedirects[uri] = true
	}
	ids := make(map[string]bool, len(demo))
	for _, id := range demo {
		ids[id] = true
	}
	for _, u := range demoUsers() {
		if ids[u.id] {
			st.users = append(st.users, signinUser{ID: u.id, Username: u.username, Name: strings.TrimSpace(u.firstName + " " + u.lastName)})
		}
	}
	return st
}

// user finds a sign-in page's user by username.
func (st *oidcState) user(username string) (signinUser, bool) {
	for _, u := range st.users {
		if u.Username == username {
			return u, true
		}
	}
	return signinUser{}, false
}

func (s *Server) handleOIDC() {
	s.mux.HandleFunc("GET /.well-known/openid-configuration", s.handleDiscovery)
	s.mux.HandleFunc("GET /.well-known/jwks.json", handleJWKS)
	s.mux.HandleFunc("GET /oauth2/auth", s.handleAuthorize)
	s.mux.HandleFunc("POST /oauth2/auth/approve", s.handleApprove)
	s.mux.HandleFunc("POST /oauth2/revoke", s.handleRevoke)
	s.mux.HandleFunc("GET /oauth2/sessions/logout", s.handleLogout)
}

// RegisterRedirect registers uri as one of the client's redirect URIs: the
// authorization endpoint redirects only to a registered one, matched exactly.
func (s *Server) RegisterRedirect(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidc.redirects[uri] = true
}

// RegisterPostLogoutRedirect registers uri as a place the logout endpoint may
// send the browser back to.
func (s *Server) RegisterPostLogoutRedirect(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidc.logoutRedirects[uri] = true
}

// issuer is the base URL as the request reached it, without a trailing slash.
func issuer(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := issuer(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/oauth2/auth",
		"token_endpoint":                        iss + "/oauth2/token",
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"end_session_endpoint":                  iss + "/oauth2/sessions/logout",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      scopesSupported,
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"preferred_username", "name"},
	})
}

// signingKey is an RSA key and its key id.
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
}

// providerKey is the key ID tokens are signed with, one per process: tests
// make many Servers, and a 2048-bit key takes a while to make.
var providerKey = sync.OnceValues(func() (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	jwk := jose.JSONWebKey{Key: &priv.PublicKey}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &signingKey{priv: priv, kid: base64.RawURLEncoding.EncodeToString(tp)}, nil
})

// foreignKey signs the ID tokens of IDTokenFault.ForeignKey: another key that
// claims providerKey's key id, and is in no JWKS.
var foreignKey = sync.OnceValues(func() (*signingKey, error) {
	k, err := providerKey()
	if err != nil {
		return nil, err
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &signingKey{priv: priv, kid: k.kid}, nil
})

func handleJWKS(w http.ResponseWriter, _ *http.Request) {
	k, err := providerKey()
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// userTokenLocked looks token up among the signed-in users' access tokens: found
// is false if it is none of them, ok false if it has expired or been revoked.
func (s *Server) userTokenLocked(token string) (uid string, ok, found bool) {
	t, found := s.oidc.access[token]
	if !found {
		return "", false, false
	}
	return t.grant.userID, !t.grant.revoked && s.opts.Now().Before(t.expires), true
}

// handleRevoke revokes a refresh token's grant: the refresh token, those issued
// before and after it, and their access tokens. An access token revokes its
// grant too, and a client-credentials token itself. Unknown tokens are not an
// error (RFC 7009).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.oidc.revocations++
	s.mu.Unlock()
	id, secret, ok := r.BasicAuth()
	if !ok || id != s.opts.ClientID || secret != s.opts.ClientSecret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The token to revoke is missing.")
		return
	}
	token := r.PostForm.Get("token")
	s.mu.Lock()
	if rt, ok := s.oidc.refresh[token]; ok && rt.grant.clientID == id {
		rt.grant.revoked = true
	}
	if at, ok := s.oidc.access[token]; ok && at.grant.clientID == id {
		at.grant.revoked = true
	}
	delete(s.issued, token)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// handleLogout ends the provider's session: it sends the browser back to a
// registered post_logout_redirect_uri, with the state, or shows that it is
// signed out. Tokens stay valid until revoked, as with Hydra.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uri := q.Get("post_logout_redirect_uri")
	s.mu.Lock()
	registered := s.oidc.logoutRedirects[uri]
	s.mu.Unlock()
	if uri != "" && registered {
		v := url.Values{}
		if state := q.Get("state"); state != "" {
			v.Set("state", state)
		}
		redirect(w, withQuery(uri, v))
		return
	}
	writePage(w, http.StatusOK, "You are signed out",
		"You are signed out of the Quran Foundation (demo). You can close this page.")
}

// randomID returns prefix and 32 random hex digits.
func randomID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// hasScope tells whether the space-separated scope includes want.
func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}
