package signin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// browser is a cookie-keeping client that follows no redirect by itself, so
// that each step of the sign-in dance can be checked.
type browser struct {
	t   *testing.T
	env *servicetest.Env
	c   *http.Client
}

func newBrowser(t *testing.T, env *servicetest.Env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, env: env, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and reads the whole answer.
func (b *browser) do(method, rawURL string, body io.Reader, headers ...string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// authorize follows /auth/login to the provider's page and picks username
// there ("" cancels); it returns the provider's redirect to the callback.
func (b *browser) authorize(returnTo, username string) *url.URL {
	b.t.Helper()
	resp, _ := b.do(http.MethodGet, b.env.Base+"/auth/login?returnTo="+url.QueryEscape(returnTo), nil)
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("/auth/login: %d, want 302", resp.StatusCode)
	}
	page, _ := resp.Location()
	resp, body := b.do(http.MethodGet, page.String(), nil)
	m := requestField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		b.t.Fatalf("the provider's sign-in page: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"request": {m[1]}}
	if username == "" {
		form.Set("cancel", "cancel")
	} else {
		form.Set("username", username)
	}
	approve := page.ResolveReference(&url.URL{Path: "/oauth2/auth/approve"})
	resp, body = b.do(http.MethodPost, approve.String(), strings.NewReader(form.Encode()), "Content-Type: application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("approving: %d %s", resp.StatusCode, body)
	}
	callback, _ := resp.Location()
	return callback
}

// signIn signs in as username and returns where the callback sent the browser.
func (b *browser) signIn(username, returnTo string) string {
	b.t.Helper()
	resp, body := b.do(http.MethodGet, b.authorize(returnTo, username).String(), nil)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("the callback: %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// query runs a GraphQL query the way a web app's fetch does (JSON, X-CSRF).
func (b *browser) query(q string, headers ...string) servicetest.Response {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest(http.MethodPost, b.env.Endpoint, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF", "1")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	for _, c := range b.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	return servicetest.Do(b.t, req)
}

// session is /auth/session's answer.
func (b *browser) session() map[string]any {
	b.t.Helper()
	resp, body := b.do(http.MethodGet, b.env.Base+"/auth/session", nil)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
		b.t.Fatalf("/auth/session: %d %s", resp.StatusCode, body)
	}
	return out
}

// cookie is the browser's session cookie for the service, "" without one.
func (b *browser) cookie() string {
	u, _ := url.Parse(b.env.Base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "reflect_session" {
			return c.Value
		}
	}
	return ""
}

const viewerQuery = `{ viewer { user { username } } }`

func viewerName(r servicetest.Response) any {
	return servicetest.At(r.Data, "viewer", "user", "username")
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return out
}

// newRequest is a request with headers written "Name: value".
func newRequest(t *testing.T, method, rawURL, body string, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return req
}
