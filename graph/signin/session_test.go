package signin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestCookiesOverHTTPS: with an https PUBLIC_URL the cookies are __Host-
// cookies (Secure, Path=/, no Domain), httpOnly and SameSite=Lax.
func TestCookiesOverHTTPS(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.PublicURL = "https://api.example.org" }})
	resp, _ := newBrowser(t, env).do(http.MethodGet, env.Base+"/auth/login?returnTo=/", nil)
	set := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-reflect_signin_", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Domain=") {
		t.Errorf("Set-Cookie %q has a Domain", set)
	}
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "redirect_uri=https%3A%2F%2Fapi.example.org%2Fauth%2Fcallback") {
		t.Errorf("the redirect URI is not PUBLIC_URL's: %s", loc)
	}
}

// TestSessionsRefreshAheadAndEnd: an access token about to expire is
// refreshed before it is used (no 401 first), and a session ends after
// SESSION_TTL.
func TestSessionsRefreshAheadAndEnd(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.SessionTTL = 2 * time.Hour }})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	env.Clock.Add(59*time.Minute + 30*time.Second) // the fake's tokens last an hour
	env.Fake.ResetStats()
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Fatalf("near the token's expiry: %s", r.Raw)
	}
	if st := env.Fake.Stats(); st.Refreshes != 1 || st.APICalls != 1 {
		t.Errorf("%d refreshes and %d API calls, want 1 and 1 (refreshed before the call, not after a 401)", st.Refreshes, st.APICalls)
	}
	env.Clock.Add(2 * time.Hour)
	if r := b.query(viewerQuery); servicetest.At(r.Data, "viewer") != nil {
		t.Errorf("after SESSION_TTL: %s, want anonymous", r.Raw)
	}
	if sess := b.session(); sess["signedIn"] != false {
		t.Errorf("/auth/session after SESSION_TTL = %v", sess)
	}
}

// TestASessionWithoutARefreshTokenEnds: signed in without offline_access, a
// session works until its access token expires, then ends: the caller is
// UNAUTHENTICATED once, the cookie is cleared, /auth/session says signed out,
// and no refresh is attempted (there is nothing to refresh with).
func TestASessionWithoutARefreshTokenEnds(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.SignInScopes = slices.DeleteFunc(slices.Clone(c.SignInScopes), func(s string) bool { return s == "offline_access" })
	}})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	env.Clock.Add(59*time.Minute + 30*time.Second) // within the refresh margin, not expired
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Fatalf("before the token expires: %s", r.Raw)
	}
	env.Clock.Add(time.Minute) // expired
	env.Fake.ResetStats()
	r := b.query(viewerQuery)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("after the token expired: %s, want UNAUTHENTICATED (the session has ended)", r.Raw)
	}
	if st := env.Fake.Stats(); st.Refreshes != 0 {
		t.Errorf("%d refreshes, want none: the session has no refresh token", st.Refreshes)
	}
	if sess := b.session(); sess["signedIn"] != false {
		t.Errorf("/auth/session = %v, want signed out", sess)
	}
	if r := b.query(viewerQuery); len(r.Errors) != 0 || servicetest.At(r.Data, "viewer") != nil {
		t.Errorf("the next request: %s, want anonymous (the cookie was cleared)", r.Raw)
	}
}

// TestSigningInAgainEndsThePreviousSession: a browser that signs in again
// (after its session, say, showed the wrong account) ends the session its old
// cookie named and revokes that session's refresh token; the old cookie, replayed,
// is nobody.
func TestSigningInAgainEndsThePreviousSession(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	old := b.cookie()
	env.Fake.ResetStats()
	b.signIn("bilal", "/")
	if b.cookie() == old || viewerName(b.query(viewerQuery)) != "bilal" {
		t.Fatalf("signing in again: cookie unchanged or not Bilal")
	}
	if st := env.Fake.Stats(); st.Revocations != 1 {
		t.Errorf("revocations = %d, want 1: the previous session's refresh token", st.Revocations)
	}
	replay := newBrowser(t, env)
	u, _ := url.Parse(env.Base)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "reflect_session", Value: old, Path: "/"}})
	if r := replay.query(viewerQuery); servicetest.At(r.Data, "viewer") != nil {
		t.Errorf("the previous session's cookie still signs in: %s", r.Raw)
	}
}

// TestTwoTabsSignInAtOnce: two tabs of one browser start signing in, then
// finish one after the other: both complete (each holds its own sealed
// cookie), and the browser ends signed in as the second.
func TestTwoTabsSignInAtOnce(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	first, second := b.authorize("/one", "aisha"), b.authorize("/two", "bilal")
	for _, cb := range []*url.URL{first, second} {
		if resp, body := b.do(http.MethodGet, cb.String(), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the callback of %s: %d %s", cb.Path, resp.StatusCode, body)
		}
	}
	if got := viewerName(b.query(viewerQuery)); got != "bilal" {
		t.Errorf("signed in as %v, want bilal (the last tab to finish)", got)
	}
	if resp, _ := b.do(http.MethodGet, first.String(), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the first callback again: %d, want 400 (a state is single use)", resp.StatusCode)
	}
}
