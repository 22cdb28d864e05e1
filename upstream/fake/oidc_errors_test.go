package fake

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestWrongVerifier(t *testing.T) {
	p := newRP(t, Options{})
	at := newAttempt()
	code := p.code(at, "aisha")
	_, err := p.cfg.Exchange(p.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantInvalidGrant(t, err)
	_, err = p.cfg.Exchange(p.ctx, code) // no verifier at all
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_request" {
		t.Errorf("no verifier: %v, want invalid_request", err)
	}
	p.cfg.RedirectURL = testRedirect + "/other"
	_, err = p.cfg.Exchange(p.ctx, code, oauth2.VerifierOption(at.verifier))
	wantInvalidGrant(t, err)
}

func TestCodeReuse(t *testing.T) {
	p := newRP(t, Options{})
	at := newAttempt()
	code := p.code(at, "aisha")
	first, err := p.cfg.Exchange(p.ctx, code, oauth2.VerifierOption(at.verifier))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.cfg.Exchange(p.ctx, code, oauth2.VerifierOption(at.verifier))
	wantInvalidGrant(t, err)
	if status, _ := p.profile(first.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("access token from a reused code: %d, want 401", status)
	}
	_, err = p.refresh(first.RefreshToken)
	wantInvalidGrant(t, err)
	if st := p.f.Stats(); st.CodeExchanges != 2 {
		t.Errorf("CodeExchanges %d, want 2", st.CodeExchanges)
	}
}

func TestRefreshRotation(t *testing.T) {
	p := newRP(t, Options{})
	_, tok := p.signIn("bilal")
	next, err := p.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken ||
		next.Extra("scope") != tok.Extra("scope") {
		t.Fatalf("refresh gave %+v (scope %v) after %+v", next, next.Extra("scope"), tok)
	}
	third, err := p.refresh(next.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{tok.AccessToken, next.AccessToken, third.AccessToken} {
		if status, uid := p.profile(at); status != http.StatusOK || uid != bilal {
			t.Errorf("profile: %d %s", status, uid)
		}
	}
	if st := p.f.Stats(); st.Refreshes != 2 || st.RefreshReuses != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefreshReuseRevokesTheChain(t *testing.T) {
	p := newRP(t, Options{})
	_, tok := p.signIn("aisha")
	_, other := p.signIn("aisha") // another sign-in: not revoked
	next, err := p.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.refresh(tok.RefreshToken)
	wantInvalidGrant(t, err)
	for _, at := range []string{tok.AccessToken, next.AccessToken} {
		if status, _ := p.profile(at); status != http.StatusUnauthorized {
			t.Errorf("access token of a revoked chain: %d, want 401", status)
		}
	}
	_, err = p.refresh(next.RefreshToken)
	wantInvalidGrant(t, err)
	if status, _ := p.profile(other.AccessToken); status != http.StatusOK {
		t.Errorf("another sign-in's token: %d", status)
	}
	if _, err := p.refresh(other.RefreshToken); err != nil {
		t.Errorf("another sign-in's refresh: %v", err)
	}
	if st := p.f.Stats(); st.Refreshes != 4 || st.RefreshReuses != 1 {
		t.Errorf("stats %+v", st)
	}
}

// revoke posts token to the revocation endpoint.
func (p *rp) revoke(token string, auth bool) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.base+"/oauth2/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth {
		req.SetBasicAuth(DemoClientID, DemoClientSecret)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestRevoke(t *testing.T) {
	p := newRP(t, Options{})
	_, tok := p.signIn("fatima")
	next, err := p.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := p.revoke(next.RefreshToken, false); status != http.StatusUnauthorized {
		t.Errorf("without client auth: %d, want 401", status)
	}
	if status, body := p.revoke(next.RefreshToken, true); status != http.StatusOK || body != "" {
		t.Errorf("revoke: %d %q", status, body)
	}
	for _, at := range []string{tok.AccessToken, next.AccessToken} {
		if status, _ := p.profile(at); status != http.StatusUnauthorized {
			t.Errorf("revoked access token: %d, want 401", status)
		}
	}
	_, err = p.refresh(next.RefreshToken)
	wantInvalidGrant(t, err)
	if status, body := p.revoke("never-issued", true); status != http.StatusOK || body != "" {
		t.Errorf("unknown token: %d %q", status, body)
	}
	if st := p.f.Stats(); st.Revocations != 3 || st.RefreshReuses != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	p := newRP(t, Options{RedirectURIs: []string{"http://app.example/cb?app=1"}})
	at := newAttempt()
	base := p.authURL(at)
	with := func(k, v string) string {
		u, _ := url.Parse(base)
		q := u.Query()
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for _, tc := range []struct {
		name, url, wantErr string // wantErr "" for an error page
	}{
		{"unregistered redirect_uri", with("redirect_uri", "http://evil.example/cb"), ""},
		{"redirect_uri not exact", with("redirect_uri", testRedirect+"/"), ""},
		{"no redirect_uri", with("redirect_uri", ""), ""},
		{"unknown client", with("client_id", "someone-else"), ""},
		{"no PKCE", with("code_challenge", ""), "invalid_request"},
		{"plain PKCE", with("code_challenge_method", "plain"), "invalid_request"},
		{"no openid", with("scope", "offline_access room"), "invalid_request"},
		{"implicit", with("response_type", "token"), "unsupported_response_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, loc := p.browse(http.MethodGet, tc.url, nil)
			if tc.wantErr == "" {
				if status != http.StatusBadRequest || loc != "" || !strings.Contains(body, "<h1>Sign-in error</h1>") {
					t.Errorf("%d %q %s, want a 400 page", status, loc, body)
				}
				return
			}
			u, err := url.Parse(loc)
			if status != http.StatusFound || err != nil || !strings.HasPrefix(loc, testRedirect+"?") ||
				u.Query().Get("error") != tc.wantErr || u.Query().Get("state") != at.state {
				t.Errorf("%d %q, want a redirect with error=%s", status, loc, tc.wantErr)
			}
		})
	}

	// A registered redirect_uri with a query of its own keeps it.
	status, body, _ := p.browse(http.MethodGet, with("redirect_uri", "http://app.example/cb?app=1"), nil)
	m := requestField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("sign-in page: %d %s", status, body)
	}
	status, _, loc := p.browse(http.MethodPost, p.base+"/oauth2/auth/approve", url.Values{"request": {m[1]}, "username": {"aisha"}})
	u, _ := url.Parse(loc)
	if status != http.StatusFound || !strings.HasPrefix(loc, "http://app.example/cb?app=1&") ||
		u.Query().Get("code") == "" || u.Query().Get("state") != at.state {
		t.Errorf("%d %q", status, loc)
	}
}

func TestCancel(t *testing.T) {
	p := newRP(t, Options{})
	at := newAttempt()
	req := p.page(at)
	q := p.click(req, "cancel", "cancel")
	if q.Get("error") != "access_denied" || q.Get("state") != at.state || q.Get("code") != "" {
		t.Errorf("callback %v", q)
	}
	status, body, loc := p.browse(http.MethodPost, p.base+"/oauth2/auth/approve", url.Values{"request": {req}, "username": {"aisha"}})
	if status != http.StatusBadRequest || loc != "" {
		t.Errorf("a spent request: %d %q %s", status, loc, body)
	}
	status, _, _ = p.browse(http.MethodPost, p.base+"/oauth2/auth/approve", url.Values{"request": {p.page(at)}, "username": {"nobody"}})
	if status != http.StatusBadRequest {
		t.Errorf("unknown user: %d", status)
	}
}

func TestIDTokenFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault IDTokenFault
	}{
		{"nonce", IDTokenFault{Nonce: "replayed"}},
		{"audience", IDTokenFault{Audience: "another-client"}},
		{"issuer", IDTokenFault{Issuer: "http://elsewhere.example"}},
		{"expired", IDTokenFault{Expired: true}},
		{"foreign key", IDTokenFault{ForeignKey: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newRP(t, Options{})
			p.f.SetIDTokenFault(tc.fault)
			at, tok := p.signIn("aisha")
			_, err := p.verify(tok, at.nonce)
			if err == nil {
				t.Fatal("the spoilt ID token verified")
			}
			t.Log(err)
			var expired *oidc.TokenExpiredError
			if tc.fault.Expired && !errors.As(err, &expired) {
				t.Errorf("got %v, want expired", err)
			}
			p.f.SetIDTokenFault(IDTokenFault{})
			at, tok = p.signIn("aisha")
			if _, err := p.verify(tok, at.nonce); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func TestHoldRefreshes(t *testing.T) {
	p := newRP(t, Options{})
	_, tok := p.signIn("aisha")
	reached, release := p.f.HoldRefreshes()
	defer release()
	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		next, err := p.refresh(tok.RefreshToken)
		done <- result{next, err}
	}()
	<-reached
	select {
	case r := <-done:
		t.Fatalf("the held refresh answered: %+v", r)
	default:
	}
	if st := p.f.Stats(); st.Refreshes != 1 {
		t.Errorf("Refreshes %d, want 1", st.Refreshes)
	}
	release()
	r := <-done
	if r.err != nil || r.tok.RefreshToken == tok.RefreshToken {
		t.Fatalf("released refresh: %+v %v", r.tok, r.err)
	}
	if _, err := p.refresh(r.tok.RefreshToken); err != nil {
		t.Errorf("after release: %v", err)
	}
}

func TestLogout(t *testing.T) {
	const back = "http://app.example/signed-out"
	p := newRP(t, Options{PostLogoutRedirectURIs: []string{back}})
	p.f.RegisterPostLogoutRedirect(back + "?again=1")
	at, tok := p.signIn("aisha")
	hint, _ := tok.Extra("id_token").(string)
	logout := func(uri, state string) (int, string, string) {
		v := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {uri}}
		if state != "" {
			v.Set("state", state)
		}
		return p.browse(http.MethodGet, p.base+"/oauth2/sessions/logout?"+v.Encode(), nil)
	}
	if status, _, loc := logout(back, at.state); status != http.StatusFound || loc != back+"?state="+url.QueryEscape(at.state) {
		t.Errorf("registered: %d %q", status, loc)
	}
	if status, _, loc := logout(back+"?again=1", ""); status != http.StatusFound || loc != back+"?again=1" {
		t.Errorf("registered with a query, no state: %d %q", status, loc)
	}
	if status, body, loc := logout("http://evil.example/", at.state); status != http.StatusOK || loc != "" ||
		!strings.Contains(body, "You are signed out") {
		t.Errorf("unregistered: %d %q %s", status, loc, body)
	}
}
