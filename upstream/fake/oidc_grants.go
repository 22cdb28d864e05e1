package fake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The token endpoint's grants for signed-in users. handleToken has checked the
// client's HTTP Basic credentials and parsed the form.

// badGrant is the description of every invalid_grant but reuse, worded as
// Hydra's: the client is not told which check failed.
const badGrant = "The provided authorization grant (e.g., authorization code, resource owner credentials) or " +
	"refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization " +
	"request, or was issued to another client."

// minted is what one grant request issued, for the answer.
type minted struct {
	grant   *grant
	access  string
	refresh string // "" without offline_access
	expires time.Time
	now     time.Time
	nonce   string // the ID token's; "" for none
	fault   IDTokenFault
	problem string // "" on success: the invalid_grant's description
}

// exchangeCode is the authorization_code grant: the code, once, with the
// redirect_uri of its request and the verifier of its PKCE challenge. A code
// used twice revokes the tokens issued from it.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	client, _, _ := r.BasicAuth()
	s.mu.Lock()
	s.oidc.codeExchanges++
	s.mu.Unlock()
	if form.Get("code") == "" || form.Get("redirect_uri") == "" || form.Get("code_verifier") == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "code, redirect_uri and code_verifier are required.")
		return
	}
	out := func() minted {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.opts.Now()
		c, ok := s.oidc.codes[form.Get("code")]
		switch {
		case !ok:
			return minted{problem: badGrant}
		case c.used:
			c.grant.revoked = true
			return minted{problem: "The authorization code has already been used: the tokens issued from it are revoked."}
		case !now.Before(c.expires), c.grant.clientID != client, c.redirectURI != form.Get("redirect_uri"):
			return minted{problem: badGrant}
		case !verifierMatches(form.Get("code_verifier"), c.challenge):
			return minted{problem: "The PKCE code_verifier does not match the code_challenge of the authorization request."}
		}
		c.used = true
		out := s.mintLocked(c.grant, now)
		out.nonce = c.grant.nonce
		return out
	}()
	s.answerGrant(w, r, out)
}

// verifierMatches checks an RFC 7636 verifier against its S256 challenge.
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// refreshGrant is the refresh_token grant with rotation: the refresh token is
// spent and a new one comes with the new access token. A spent one presented
// again revokes its whole grant. The ID token it brings has no nonce (OpenID
// Connect Core 12.2).
func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.oidc.refreshes++
	h := s.oidc.refreshHold
	if h != nil && !h.closed {
		h.closed = true
		close(h.reached)
	}
	s.mu.Unlock()
	if h != nil {
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
	}
	client, _, _ := r.BasicAuth()
	token := r.PostForm.Get("refresh_token")
	if token == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required.")
		return
	}
	out := func() minted {
		s.mu.Lock()
		defer s.mu.Unlock()
		rt, ok := s.oidc.refresh[token]
		switch {
		case !ok, rt.grant.clientID != client:
			return minted{problem: badGrant}
		case rt.spent:
			s.oidc.refreshReuses++
			rt.grant.revoked = true
			return minted{problem: "The refresh token has already been used: every token of its sign-in is revoked."}
		case rt.grant.revoked:
			return minted{problem: badGrant}
		}
		rt.spent = true
		return s.mintLocked(rt.grant, s.opts.Now())
	}()
	s.answerGrant(w, r, out)
}

// mintLocked issues an access token for g, and a refresh token if g has
// offline_access.
func (s *Server) mintLocked(g *grant, now time.Time) minted {
	for k, t := range s.oidc.access {
		if !now.Before(t.expires) {
			delete(s.oidc.access, k)
		}
	}
	out := minted{grant: g, access: randomID("fake-at-"), expires: now.Add(s.opts.UserTokenLifetime), now: now,
		fault: s.oidc.idFault}
	s.oidc.access[out.access] = &userToken{grant: g, expires: out.expires}
	if hasScope(g.scope, "offline_access") {
		out.refresh = randomID("fake-rt-")
		s.oidc.refresh[out.refresh] = &refreshToken{grant: g}
	}
	return out
}

// answerGrant answers a grant request with what it issued, signing the ID token
// if openid was granted, or with its invalid_grant.
func (s *Server) answerGrant(w http.ResponseWriter, r *http.Request, out minted) {
	if out.problem != "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", out.problem)
		return
	}
	body := map[string]any{
		"access_token": out.access,
		"token_type":   "bearer",
		"expires_in":   int(s.opts.UserTokenLifetime / time.Second),
		"scope":        out.grant.scope,
	}
	if out.refresh != "" {
		body["refresh_token"] = out.refresh
	}
	if hasScope(out.grant.scope, "openid") {
		id, err := signIDToken(issuer(r), out)
		if err != nil {
			writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		body["id_token"] = id
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, body)
}

// signIDToken signs the ID token of out, with its IDTokenFault.
func signIDToken(iss string, out minted) (string, error) {
	g, f := out.grant, out.fault
	exp, iat := out.expires, out.now
	if f.Expired {
		exp = out.now.Add(-10 * time.Minute)
		iat = exp.Add(-out.expires.Sub(out.now))
	}
	sum := sha256.Sum256([]byte(out.access))
	claims := map[string]any{
		"iss":                iss,
		"sub":                g.userID,
		"aud":                []string{g.clientID},
		"exp":                exp.Unix(),
		"iat":                iat.Unix(),
		"auth_time":          g.authTime.Unix(),
		"at_hash":            base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]),
		"jti":                randomID(""),
		"preferred_username": g.username,
		"name":               g.name,
	}
	if out.nonce != "" {
		claims["nonce"] = out.nonce
	}
	if f.Nonce != "" {
		claims["nonce"] = f.Nonce
	}
	if f.Audience != "" {
		claims["aud"] = []string{f.Audience}
	}
	if f.Issuer != "" {
		claims["iss"] = f.Issuer
	}
	key := providerKey
	if f.ForeignKey {
		key = foreignKey
	}
	k, err := key()
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}
