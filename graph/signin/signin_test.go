package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// TestSignInFlow: sign in, query as the user with the cookie, read the
// session, sign out (the refresh token revoked, the provider's logout URL
// given), and be anonymous again. No token is ever in an answer. With the
// sessions in memory, and in each layout of Redis.
func TestSignInFlow(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testSignInFlow(t, "") })
	servicetest.EachRedis(t, testSignInFlow)
}

func testSignInFlow(t *testing.T, redisURL string) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = redisURL }})
	b := newBrowser(t, env)
	if got := b.signIn("aisha", "/rooms?first=5"); got != "/rooms?first=5" {
		t.Errorf("the callback sent the browser to %q, want the returnTo", got)
	}
	resp, _ := b.do(http.MethodGet, env.Base+"/auth/session", nil)
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.Contains(h, "reflect_session") {
			t.Errorf("/auth/session set a cookie: %s", h)
		}
	}
	if b.cookie() == "" {
		t.Fatal("no session cookie after signing in")
	}
	env.Fake.ResetStats()
	r := b.query(viewerQuery)
	if viewerName(r) != "aisha" {
		t.Fatalf("viewer with the cookie: %s", r.Raw)
	}
	if st := env.Fake.Stats(); st.APICalls == 0 || st.WithCookies != 0 {
		t.Errorf("%d of %d upstream calls carried the browser's Cookie header, want none", st.WithCookies, st.APICalls)
	}
	sess := b.session()
	if sess["signedIn"] != true || servicetest.At(sess, "user", "username") != "aisha" || sess["expiresAt"] == nil {
		t.Errorf("/auth/session = %v", sess)
	}
	scopes, _ := sess["scopes"].([]any)
	if len(scopes) == 0 || scopes[0] == nil {
		t.Errorf("/auth/session scopes = %v", sess["scopes"])
	}
	for _, body := range []string{r.Raw, jsonOf(t, sess)} {
		if strings.Contains(body, "eyJ") || strings.Contains(body, b.cookie()) {
			t.Errorf("an answer carries a token or the session id: %s", body)
		}
	}

	env.Fake.ResetStats()
	resp, body := b.do(http.MethodPost, env.Base+"/auth/logout", nil, "X-CSRF: 1")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"signedOut":true`) {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	if got := env.Fake.Stats().Revocations; got != 1 {
		t.Errorf("%d revocations at the provider, want 1", got)
	}
	logout := servicetest.At(decode(t, body), "logoutUrl")
	lu, _ := url.Parse(logout.(string))
	if lu.Path != "/oauth2/sessions/logout" || lu.Query().Get("id_token_hint") == "" || lu.Query().Get("post_logout_redirect_uri") != env.Base+"/" {
		t.Errorf("logoutUrl = %v", logout)
	}
	if b.cookie() != "" {
		t.Error("the session cookie survived signing out")
	}
	if r := b.query(viewerQuery); servicetest.At(r.Data, "viewer") != nil || len(r.Errors) > 0 {
		t.Errorf("viewer after signing out: %s", r.Raw)
	}
	if sess := b.session(); sess["signedIn"] != false {
		t.Errorf("/auth/session after signing out = %v", sess)
	}
}

// TestFailedSignInsMakeNoSession: a reused or unknown state, a code exchanged
// with another sign-in's verifier, a callback in another browser, a cancelled
// sign-in, and every spoiled ID token: no session, and nothing echoed.
func TestFailedSignInsMakeNoSession(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	refused := func(t *testing.T, b *browser, callback *url.URL) {
		t.Helper()
		resp, body := b.do(http.MethodGet, callback.String(), nil, "Accept: application/json")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, errcode.SignInFailed) {
			t.Errorf("callback: %d %s, want 400 %s", resp.StatusCode, body, errcode.SignInFailed)
		}
		if code := callback.Query().Get("code"); code != "" && strings.Contains(body, code) {
			t.Errorf("the answer echoes the code: %s", body)
		}
		for _, h := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(h, "reflect_session=") && !strings.Contains(h, "Max-Age=0") {
				t.Errorf("a failed sign-in set a session cookie: %s", h)
			}
		}
		if b.cookie() != "" || b.session()["signedIn"] != false {
			t.Error("a failed sign-in made a session")
		}
	}

	t.Run("state reused", func(t *testing.T) {
		b := newBrowser(t, env)
		callback := b.authorize("/", "aisha")
		if resp, _ := b.do(http.MethodGet, callback.String(), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the first callback: %d", resp.StatusCode)
		}
		b2 := newBrowser(t, env) // the same callback again, by whoever saw it
		refused(t, b2, callback)
	})
	t.Run("wrong state", func(t *testing.T) {
		b := newBrowser(t, env)
		callback := b.authorize("/", "aisha")
		q := callback.Query()
		q.Set("state", "not-the-state")
		callback.RawQuery = q.Encode()
		refused(t, b, callback)
	})
	t.Run("wrong verifier", func(t *testing.T) {
		// Two sign-ins in one browser: the first's code with the second's
		// state is exchanged with the second's verifier, which does not
		// match the first's challenge.
		b := newBrowser(t, env)
		first, second := b.authorize("/", "aisha"), b.authorize("/", "bilal")
		env.Fake.ResetStats()
		q := first.Query()
		q.Set("state", second.Query().Get("state"))
		first.RawQuery = q.Encode()
		refused(t, b, first)
		if env.Fake.Stats().CodeExchanges != 1 {
			t.Errorf("%d code exchanges, want 1 (refused by the provider)", env.Fake.Stats().CodeExchanges)
		}
	})
	t.Run("another browser", func(t *testing.T) {
		callback := newBrowser(t, env).authorize("/", "aisha")
		refused(t, newBrowser(t, env), callback) // a victim lured to the attacker's callback
	})
	t.Run("access_denied", func(t *testing.T) {
		b := newBrowser(t, env)
		callback := b.authorize("/", "")
		if callback.Query().Get("error") != "access_denied" {
			t.Fatalf("cancel: %v", callback)
		}
		refused(t, b, callback)
	})
	for name, f := range map[string]fake.IDTokenFault{
		"tampered nonce": {Nonce: "another"},
		"audience":       {Audience: "another-client"},
		"issuer":         {Issuer: "https://evil.example"},
		"expired":        {Expired: true},
		"foreign key":    {ForeignKey: true},
	} {
		t.Run("ID token: "+name, func(t *testing.T) {
			env.Fake.SetIDTokenFault(f)
			defer env.Fake.SetIDTokenFault(fake.IDTokenFault{})
			b := newBrowser(t, env)
			refused(t, b, b.authorize("/", "aisha"))
		})
	}
}

// TestReturnToStaysOnTheService: anything but a path on this service becomes /.
func TestReturnToStaysOnTheService(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for returnTo, want := range map[string]string{
		"/rooms/1?tab=posts":      "/rooms/1?tab=posts",
		"https://evil.example/":   "/",
		"//evil.example/x":        "/",
		"/\\evil.example":         "/",
		"\\\\evil.example":        "/",
		"/%5Cevil.example":        "/%5Cevil.example", // a path on this service, percent-encoded
		"javascript:alert(1)":     "/",
		"/ok\r\nSet-Cookie: x=1":  "/",
		"http:evil.example":       "/",
		"":                        "/",
		"/\t/evil.example":        "/",
		"https:\\\\evil.example/": "/",
	} {
		if got := newBrowser(t, env).signIn("aisha", returnTo); got != want {
			t.Errorf("returnTo %q: sent to %q, want %q", returnTo, got, want)
		}
	}
}

// TestCookieRequestsMustNotBeForgeable: a cookie request that a browser would
// send cross-site without a preflight is refused, and nothing runs; from an
// origin that is not allowed, too. A token in a header wins over the cookie.
func TestCookieRequestsMustNotBeForgeable(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	cookie := "Cookie: reflect_session=" + b.cookie()
	env.Fake.ResetStats()
	for name, req := range map[string]*http.Request{
		"a form post": newRequest(t, http.MethodPost, env.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
			"Content-Type: text/plain", cookie),
		"a GET without X-CSRF": newRequest(t, http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(viewerQuery), "", cookie),
		"another origin": newRequest(t, http.MethodPost, env.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
			"Content-Type: application/json", "X-CSRF: 1", "Origin: https://evil.example", cookie),
	} {
		r := servicetest.Do(t, req)
		if r.Status != http.StatusForbidden || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.CSRFCheckFailed || r.Data != nil {
			t.Errorf("%s: %d %s, want 403 %s", name, r.Status, r.Raw, errcode.CSRFCheckFailed)
		}
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("forged requests made %d upstream calls", n)
	}
	if resp, _ := b.do(http.MethodPost, env.Base+"/auth/logout", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without X-CSRF: %d, want 403", resp.StatusCode)
	}
	ok := servicetest.Do(t, newRequest(t, http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(viewerQuery), "", "X-CSRF: 1", cookie))
	if viewerName(ok) != "aisha" {
		t.Errorf("a GET with X-CSRF: %s", ok.Raw)
	}
	if r := b.query(viewerQuery, "Authorization: Bearer demo-bilal"); viewerName(r) != "bilal" {
		t.Errorf("a Bearer token and a cookie: %s, want the header's user", r.Raw)
	}
}

// TestAnEndedSessionIsSignedOut: when the provider stops refreshing a session
// (invalid_grant), it ends: UNAUTHENTICATED, the cookie cleared, and
// /auth/session says signed out.
func TestAnEndedSessionIsSignedOut(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	b.signIn("fatima", "/")
	env.Fake.RevokeSignIns()
	r := b.query(viewerQuery)
	if r.Status != http.StatusOK && r.Status != http.StatusUnauthorized || len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != errcode.Unauthenticated {
		t.Errorf("a request of a revoked session: %d %s, want UNAUTHENTICATED", r.Status, r.Raw)
	}
	if sess := b.session(); sess["signedIn"] != false {
		t.Errorf("/auth/session of a revoked session = %v", sess)
	}
}

// TestSignInNeedsASecret: without a client secret there is no sign-in, and
// /auth/login says so; /auth/session says signed out.
func TestSignInNeedsASecret(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{NoSecret: true})
	b := newBrowser(t, env)
	resp, body := b.do(http.MethodGet, env.Base+"/auth/login?returnTo=/", nil)
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(body, errcode.SignInNotConfigured) {
		t.Errorf("/auth/login without a secret: %d %s", resp.StatusCode, body)
	}
	if sess := b.session(); sess["signedIn"] != false {
		t.Errorf("/auth/session = %v", sess)
	}
}

// TestSignInSecretsStayOutOfLogs: after a sign-in, a refresh, a refused
// sign-in and a sign-out, the service's logs (at debug) hold no code, state,
// session id, access, refresh or ID token.
func TestSignInSecretsStayOutOfLogs(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	callback := b.authorize("/", "aisha")
	b.do(http.MethodGet, callback.String(), nil)
	id := b.cookie()
	env.Fake.ExpireUserTokens()
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Fatalf("after the token expired: %s", r.Raw)
	}
	b.do(http.MethodGet, callback.String(), nil) // refused: the state is spent
	b.do(http.MethodPost, env.Base+"/auth/logout", nil, "X-CSRF: 1")
	logs := env.Logs.String()
	for name, secret := range map[string]string{
		"the code": callback.Query().Get("code"), "the state": callback.Query().Get("state"), "the session id": id,
		"an access token": "fake-at-", "a refresh token": "fake-rt-", "an ID token": "eyJ",
	} {
		if secret == "" || strings.Contains(logs, secret) {
			t.Errorf("the logs carry %s (%q)", name, secret)
		}
	}
	if !strings.Contains(logs, "signin: signed in") {
		t.Errorf("the logs do not show the sign-in at all:\n%s", logs)
	}
}
