package fake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// testRedirect is the redirect URI the test client registers.
const testRedirect = "http://app.example/auth/callback"

// rp is a relying party signing in through one emulator, as the service will:
// golang.org/x/oauth2 for the flow and go-oidc for the ID token.
type rp struct {
	*api
	ctx      context.Context // carries the HTTP client for oauth2 and go-oidc
	browser  *http.Client    // does not follow redirects
	provider *oidc.Provider
	cfg      oauth2.Config
}

func newRP(t *testing.T, opts Options) *rp {
	t.Helper()
	opts.RedirectURIs = append(opts.RedirectURIs, testRedirect)
	f := New(opts)
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	hc := ts.Client()
	ctx := oidc.ClientContext(context.WithValue(t.Context(), oauth2.HTTPClient, hc), hc)
	provider, err := oidc.NewProvider(ctx, ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	ep := provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	browser := *hc
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &rp{
		api: &api{t: t, f: f, base: ts.URL, hc: hc}, ctx: ctx, browser: &browser, provider: provider,
		cfg: oauth2.Config{ClientID: DemoClientID, ClientSecret: DemoClientSecret, Endpoint: ep,
			RedirectURL: testRedirect, Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "user", "room"}},
	}
}

// attempt is one sign-in under way: what the client keeps between the redirect
// to the provider and the callback.
type attempt struct {
	state, nonce, verifier string
}

func newAttempt() attempt {
	return attempt{state: randomID("state-"), nonce: randomID("nonce-"), verifier: oauth2.GenerateVerifier()}
}

func (p *rp) authURL(at attempt) string {
	return p.cfg.AuthCodeURL(at.state, oauth2.S256ChallengeOption(at.verifier), oauth2.SetAuthURLParam("nonce", at.nonce))
}

// browse sends the browser to u and returns the answer's status, body and
// Location.
func (p *rp) browse(method, u string, form url.Values) (status int, body, location string) {
	p.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = p.browser.PostForm(u, form)
	} else {
		resp, err = p.browser.Get(u)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// page opens the sign-in page of at and returns its request id.
func (p *rp) page(at attempt) string {
	p.t.Helper()
	status, body, _ := p.browse(http.MethodGet, p.authURL(at), nil)
	m := requestField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		p.t.Fatalf("sign-in page: %d %s", status, body)
	}
	return m[1]
}

// click posts the sign-in page's form as if button name=value were clicked,
// and returns the query of the redirect.
func (p *rp) click(request, name, value string) url.Values {
	p.t.Helper()
	status, body, loc := p.browse(http.MethodPost, p.base+"/oauth2/auth/approve",
		url.Values{"request": {request}, name: {value}})
	if status != http.StatusFound || !strings.HasPrefix(loc, testRedirect+"?") {
		p.t.Fatalf("approve: %d %q %s", status, loc, body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		p.t.Fatal(err)
	}
	return u.Query()
}

// code signs username in and returns the code the callback gets.
func (p *rp) code(at attempt, username string) string {
	p.t.Helper()
	q := p.click(p.page(at), "username", username)
	if q.Get("state") != at.state || q.Get("code") == "" {
		p.t.Fatalf("callback %v, want a code and state %s", q, at.state)
	}
	return q.Get("code")
}

// signIn signs username in and exchanges the code.
func (p *rp) signIn(username string) (attempt, *oauth2.Token) {
	p.t.Helper()
	at := newAttempt()
	tok, err := p.cfg.Exchange(p.ctx, p.code(at, username), oauth2.VerifierOption(at.verifier))
	if err != nil {
		p.t.Fatal(err)
	}
	return at, tok
}

// verify checks the ID token of tok as the service will, nonce included.
func (p *rp) verify(tok *oauth2.Token, nonce string) (*oidc.IDToken, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, errors.New("no id_token")
	}
	id, err := p.provider.Verifier(&oidc.Config{ClientID: DemoClientID}).Verify(p.ctx, raw)
	if err != nil {
		return nil, err
	}
	if id.Nonce != nonce {
		return nil, errors.New("nonce " + id.Nonce + ", want " + nonce)
	}
	return id, nil
}

// refresh uses refresh token rt once.
func (p *rp) refresh(rt string) (*oauth2.Token, error) {
	return p.cfg.TokenSource(p.ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

// profile answers the status of the signed-in user's profile, and the user's id.
func (p *rp) profile(token string) (int, string) {
	p.t.Helper()
	ans := p.get("/quran-reflect/v1/users/profile", token)
	if ans.status != http.StatusOK {
		return ans.status, ""
	}
	return ans.status, str(ans.body["id"])
}

// wantInvalidGrant fails the test unless err is the token endpoint's invalid_grant.
func wantInvalidGrant(t *testing.T, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("got %v, want invalid_grant", err)
	}
}

func TestDiscoveryAndKeys(t *testing.T) {
	p := newRP(t, Options{})
	var doc struct {
		Issuer        string   `json:"issuer"`
		Auth          string   `json:"authorization_endpoint"`
		Token         string   `json:"token_endpoint"`
		JWKS          string   `json:"jwks_uri"`
		Revoke        string   `json:"revocation_endpoint"`
		Logout        string   `json:"end_session_endpoint"`
		Algs          []string `json:"id_token_signing_alg_values_supported"`
		PKCE          []string `json:"code_challenge_methods_supported"`
		ResponseTypes []string `json:"response_types_supported"`
	}
	if err := p.provider.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != p.base || doc.Auth != p.base+"/oauth2/auth" || doc.Token != p.base+"/oauth2/token" ||
		doc.JWKS != p.base+"/.well-known/jwks.json" || doc.Revoke != p.base+"/oauth2/revoke" ||
		doc.Logout != p.base+"/oauth2/sessions/logout" {
		t.Errorf("discovery %+v", doc)
	}
	if strings.Join(doc.Algs, ",") != "RS256" || strings.Join(doc.PKCE, ",") != "S256" || strings.Join(doc.ResponseTypes, ",") != "code" {
		t.Errorf("discovery %+v", doc)
	}
	kid := func(p *rp) string {
		ans := p.get("/.well-known/jwks.json", "")
		keys, _ := ans.body["keys"].([]any)
		if ans.status != http.StatusOK || len(keys) != 1 {
			t.Fatalf("jwks: %d %s", ans.status, ans.raw)
		}
		k := keys[0].(map[string]any)
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == "" || k["d"] != nil {
			t.Errorf("key %v", k)
		}
		return str(k["kid"])
	}
	if a, b := kid(p), kid(newRP(t, Options{})); a != b {
		t.Errorf("kids %s and %s: want one key per process", a, b)
	}
}

func TestSignInFlow(t *testing.T) {
	p := newRP(t, Options{UserTokenLifetime: 5 * time.Minute})
	at := newAttempt()
	status, page, _ := p.browse(http.MethodGet, p.authURL(at), nil)
	if status != http.StatusOK || !strings.Contains(page, "<title>Sign in to the Quran Foundation (demo)</title>") ||
		!strings.Contains(page, `data-action="cancel"`) || strings.Contains(page, "src=") || strings.Contains(page, "href=") {
		t.Fatalf("sign-in page: %d %s", status, page)
	}
	for _, u := range []string{"aisha", "bilal", "fatima"} {
		if !strings.Contains(page, `data-username="`+u+`"`) {
			t.Errorf("no button for %s", u)
		}
	}
	q := p.click(requestField.FindStringSubmatch(page)[1], "username", "aisha")
	if q.Get("state") != at.state {
		t.Fatalf("callback %v", q)
	}
	tok, err := p.cfg.Exchange(p.ctx, q.Get("code"), oauth2.VerifierOption(at.verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Type() != "Bearer" || tok.Extra("scope") != "openid offline_access user room" {
		t.Errorf("token %+v, scope %v", tok, tok.Extra("scope"))
	}
	if left := time.Until(tok.Expiry); left < 4*time.Minute || left > 5*time.Minute {
		t.Errorf("expires in %v, want 5m", left)
	}
	id, err := p.verify(tok, at.nonce)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Username string `json:"preferred_username"`
		Name     string `json:"name"`
		AuthTime int64  `json:"auth_time"`
	}
	if err := id.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	// The client dates the access token's expiry from expires_in when the answer arrives, the id
	// token's from when it was issued: the two may fall either side of a second.
	if id.Subject != aisha || claims.Username != "aisha" || claims.Name != "Aisha Rahman" || claims.AuthTime == 0 ||
		id.Issuer != p.base || id.Expiry.Sub(tok.Expiry).Abs() > time.Second {
		t.Errorf("id token %+v %+v, access token expiry %v", id, claims, tok.Expiry)
	}
	if err := id.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if status, uid := p.profile(tok.AccessToken); status != http.StatusOK || uid != aisha {
		t.Fatalf("profile: %d %s", status, uid)
	}

	p.f.ExpireUserTokens()
	if status, _ := p.profile(tok.AccessToken); status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d, want 401", status)
	}
	if status, _ := p.profile("demo-bilal"); status != http.StatusOK {
		t.Errorf("demo token after ExpireUserTokens: %d", status)
	}
	next, err := p.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if status, uid := p.profile(next.AccessToken); status != http.StatusOK || uid != aisha {
		t.Fatalf("refreshed token: %d %s", status, uid)
	}
	if _, err := p.verify(next, ""); err != nil {
		t.Errorf("refreshed id token: %v", err)
	}
	st := p.f.Stats()
	if st.CodeExchanges != 1 || st.Refreshes != 1 || st.RefreshReuses != 0 || st.Revocations != 0 {
		t.Errorf("stats %+v", st)
	}
	p.f.ResetStats()
	if st := p.f.Stats(); st.CodeExchanges != 0 || st.Refreshes != 0 {
		t.Errorf("after ResetStats %+v", st)
	}
}

func TestNoRefreshTokenWithoutOfflineAccess(t *testing.T) {
	p := newRP(t, Options{})
	p.cfg.Scopes = []string{oidc.ScopeOpenID, "room"}
	at, tok := p.signIn("fatima")
	if tok.RefreshToken != "" || tok.Extra("scope") != "openid room" {
		t.Errorf("token %+v, scope %v", tok, tok.Extra("scope"))
	}
	if id, err := p.verify(tok, at.nonce); err != nil || id.Subject != fatima {
		t.Fatalf("id token %v, %v", id, err)
	}
}

func TestFakeClockLifetimes(t *testing.T) {
	clk := NewClock(time.Now())
	p := newRP(t, Options{Now: clk.Now, UserTokenLifetime: 2 * time.Minute})
	at := newAttempt()
	code := p.code(at, "bilal")
	clk.Add(codeLifetime)
	_, err := p.cfg.Exchange(p.ctx, code, oauth2.VerifierOption(at.verifier))
	wantInvalidGrant(t, err)

	at, tok := p.signIn("bilal")
	if got := tok.Extra("expires_in"); got != 120.0 {
		t.Errorf("expires_in %v, want 120", got)
	}
	raw, _ := tok.Extra("id_token").(string)
	if _, err := p.provider.Verifier(&oidc.Config{ClientID: DemoClientID, Now: clk.Now}).Verify(p.ctx, raw); err != nil {
		t.Fatal(err)
	}
	if status, uid := p.profile(tok.AccessToken); status != http.StatusOK || uid != bilal {
		t.Fatalf("profile: %d %s", status, uid)
	}
	clk.Add(2 * time.Minute)
	if status, _ := p.profile(tok.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("after its lifetime: %d, want 401", status)
	}
}
