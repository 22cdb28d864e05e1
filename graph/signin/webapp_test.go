package signin_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestReturnToAnAllowedOrigin: a web app on its own origin gets its user back
// after signing in: returnTo may be a URL on an origin of SIGNIN_RETURN_ORIGINS
// (by default CORS_ALLOWED_ORIGINS'), written exactly as that origin; every
// look-alike still becomes /.
func TestReturnToAnAllowedOrigin(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.CORSOrigins = []string{"https://app.example.org", "http://localhost:5173"}
	}})
	for returnTo, want := range map[string]string{
		"https://app.example.org/after?tab=2#top": "https://app.example.org/after?tab=2#top",
		"https://app.example.org":                 "https://app.example.org",
		"https://app.example.org?signedIn=1":      "https://app.example.org?signedIn=1",
		"https://app.example.org#/rooms":          "https://app.example.org#/rooms",
		"http://localhost:5173/":                  "http://localhost:5173/",
		"/rooms/1":                                "/rooms/1", // paths on the service as before

		"https://app.example.org.evil.com/":                    "/",
		"https://app.example.org@evil.com/":                    "/", // user info: the host is evil.com
		"https://app.example.org:x@evil.com/":                  "/",
		"https://evil.com@app.example.org/":                    "/",
		"https://evil.com#@app.example.org/":                   "/",
		"https://app.example.org\\@evil.com/":                  "/", // browsers read \ as /
		"https://app.example.org\\.evil.com/":                  "/",
		"https://app.example.org%2eevil.com/":                  "/",
		"https://app.example.org%40evil.com/":                  "/",
		"https://app.example.org\t.evil.com/":                  "/",
		"https://app.example.org\n/":                           "/",
		"https://app.example.org /":                            "/",
		"https://app.example.org./":                            "/", // a trailing dot
		"https://APP.example.org/":                             "/", // origins are matched as browsers write them
		"HTTPS://app.example.org/":                             "/",
		"http://app.example.org/":                              "/", // another scheme
		"https://app.example.org:8443/":                        "/", // another port
		"https://app.example.org:443/":                         "/",
		"https://app.example.org:/":                            "/",
		"http://localhost:51730/":                              "/",
		"http://localhost:5173.evil.com/":                      "/",
		"http://localhost/":                                    "/",
		"//app.example.org/":                                   "/",
		"///app.example.org/":                                  "/",
		"https:app.example.org/":                               "/",
		"https:/app.example.org/":                              "/",
		"app.example.org/":                                     "/",
		"ws://app.example.org/":                                "/",
		"javascript://app.example.org/%0aalert":                "/",
		"https://evil.example/":                                "/",
		"https://app.example.org/" + strings.Repeat("a", 3000): "/", // over 2 KiB
	} {
		env.Clock.Add(2 * time.Second) // one more sign-in in this address's budget
		if got := newBrowser(t, env).signIn("aisha", returnTo); got != want {
			t.Errorf("returnTo %q: sent to %q, want %q", returnTo, got, want)
		}
	}
}

// TestReturnOriginsAreTheirOwnSetting: SIGNIN_RETURN_ORIGINS, when set, is
// the list (CORS_ALLOWED_ORIGINS' origins then are not); "*" in
// CORS_ALLOWED_ORIGINS is never a place to return to.
func TestReturnOriginsAreTheirOwnSetting(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.CORSOrigins = []string{"https://app.example.org"}
		c.SignInReturnOrigins = []string{"https://www.example.org"}
	}})
	for returnTo, want := range map[string]string{
		"https://www.example.org/welcome": "https://www.example.org/welcome",
		"https://app.example.org/":        "/",
	} {
		if got := newBrowser(t, env).signIn("aisha", returnTo); got != want {
			t.Errorf("returnTo %q: sent to %q, want %q", returnTo, got, want)
		}
	}
	star := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CORSOrigins = []string{"*"} }})
	for _, returnTo := range []string{"https://app.example.org/", "*", "https://*/", "http://*"} {
		if got := newBrowser(t, star).signIn("aisha", returnTo); got != "/" {
			t.Errorf("CORS_ALLOWED_ORIGINS=*: returnTo %q sent to %q, want /", returnTo, got)
		}
	}
}

// TestAWebAppIsToldWhyItIsNotSignedIn: a request a web app sends to be signed
// in by cookie (X-CSRF or Apollo-Require-Preflight, or the cookie itself)
// that runs without a session says why, in Reflect-Session (exposed to the
// app's origin by CORS), and /auth/session says it in "reason": no-cookie (as
// for an app on another site, whose browser never sends the cookie), unknown
// (a cookie naming no session), ended (the provider ended it). Other callers'
// answers carry no such header.
func TestAWebAppIsToldWhyItIsNotSignedIn(t *testing.T) {
	const app = "http://app.example.test"
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CORSOrigins = []string{app} }})
	query := func(headers ...string) servicetest.Response {
		t.Helper()
		return servicetest.Do(t, newRequest(t, http.MethodPost, env.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
			append([]string{"Content-Type: application/json"}, headers...)...))
	}
	session := func(headers ...string) (http.Header, map[string]any) {
		t.Helper()
		req := newRequest(t, http.MethodGet, env.Base+"/auth/session", "", headers...)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.Header, decode(t, string(body))
	}
	anonymous := func(what string, r servicetest.Response, why string) {
		t.Helper()
		if r.Status != http.StatusOK || len(r.Errors) > 0 || servicetest.At(r.Data, "viewer") != nil {
			t.Errorf("%s: %d %s, want viewer: null", what, r.Status, r.Raw)
		}
		if got := r.Header.Get("Reflect-Session"); got != why {
			t.Errorf("%s: Reflect-Session %q, want %q", what, got, why)
		}
	}

	// No cookie: what an app on another site than the service gets.
	cross := query("X-CSRF: 1", "Origin: "+app)
	anonymous("X-CSRF without a cookie, from the app's origin", cross, "no-cookie")
	if exposed := cross.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "Reflect-Session") ||
		cross.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("the app's origin may not read Reflect-Session: Access-Control-Expose-Headers %q, -Allow-Credentials %q",
			exposed, cross.Header.Get("Access-Control-Allow-Credentials"))
	}
	anonymous("Apollo-Require-Preflight without a cookie", query("Apollo-Require-Preflight: true"), "no-cookie")
	anonymous("a plain anonymous call", query(), "")
	if r := query("X-CSRF: 1", "Authorization: Bearer demo-bilal"); viewerName(r) != "bilal" || r.Header.Get("Reflect-Session") != "" {
		t.Errorf("a token in a header: %s, Reflect-Session %q; want bilal and no header", r.Raw, r.Header.Get("Reflect-Session"))
	}
	if h, sess := session(); sess["signedIn"] != false || sess["reason"] != "no-cookie" || h.Get("Reflect-Session") != "no-cookie" {
		t.Errorf("/auth/session without a cookie: %v (Reflect-Session %q)", sess, h.Get("Reflect-Session"))
	}

	// A cookie naming no session (signed out by another tab, say).
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	stale := "Cookie: reflect_session=" + b.cookie()
	if r := query("X-CSRF: 1", stale); viewerName(r) != "aisha" || r.Header.Get("Reflect-Session") != "" {
		t.Fatalf("signed in: %s, Reflect-Session %q", r.Raw, r.Header.Get("Reflect-Session"))
	}
	b.do(http.MethodPost, env.Base+"/auth/logout", nil, "X-CSRF: 1")
	anonymous("a cookie naming no session", query("X-CSRF: 1", stale), "unknown")
	if h, sess := session(stale); sess["signedIn"] != false || sess["reason"] != "unknown" || h.Get("Reflect-Session") != "unknown" {
		t.Errorf("/auth/session with a cookie naming no session: %v (Reflect-Session %q)", sess, h.Get("Reflect-Session"))
	}

	// A session the provider ended: found when its token is to be refreshed.
	for _, ask := range []string{"a query", "/auth/session"} {
		b := newBrowser(t, env)
		b.signIn("fatima", "/")
		cookie := "Cookie: reflect_session=" + b.cookie()
		env.Fake.RevokeSignIns()
		env.Clock.Add(time.Hour) // the access token expired: it is refreshed first, and refused
		if ask == "a query" {
			r := query("X-CSRF: 1", cookie)
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != errcode.Unauthenticated || r.Header.Get("Reflect-Session") != "ended" {
				t.Errorf("a query of a session the provider ended: %d %s, Reflect-Session %q; want UNAUTHENTICATED, ended",
					r.Status, r.Raw, r.Header.Get("Reflect-Session"))
			}
			continue
		}
		if h, sess := session(cookie); sess["signedIn"] != false || sess["reason"] != "ended" || h.Get("Reflect-Session") != "ended" {
			t.Errorf("/auth/session of a session the provider ended: %v (Reflect-Session %q)", sess, h.Get("Reflect-Session"))
		}
	}
}

// TestASessionEndedMidRequestSaysSo: a session the provider ended, found when
// the upstream refuses its access token before it expires (revoked there) and
// the refresh is refused too, answers as one found ended before the call:
// UNAUTHENTICATED, Reflect-Session: ended, and the cookie cleared; not a bare
// error, then "unknown" on the next request.
func TestASessionEndedMidRequestSaysSo(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	b.signIn("fatima", "/")
	env.Fake.RevokeSignIns() // the access token is refused, and so is the refresh token
	r := b.query(viewerQuery)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != errcode.Unauthenticated || r.Header.Get("Reflect-Session") != "ended" {
		t.Errorf("a query whose session the provider ended: %s, Reflect-Session %q; want UNAUTHENTICATED, ended", r.Raw, r.Header.Get("Reflect-Session"))
	}
	cleared := false
	for _, c := range r.Header.Values("Set-Cookie") {
		cleared = cleared || strings.HasPrefix(c, "reflect_session=;") && strings.Contains(c, "Max-Age=0")
	}
	if !cleared {
		t.Errorf("the session cookie is not cleared: Set-Cookie %q", r.Header.Values("Set-Cookie"))
	}
}
