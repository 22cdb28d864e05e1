package fake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// api drives one emulator over real HTTP, as the client does.
type api struct {
	t    *testing.T
	f    *Server
	base string
	hc   *http.Client
}

func newAPI(t *testing.T) *api {
	t.Helper()
	f := New(Options{})
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return &api{t: t, f: f, base: ts.URL, hc: ts.Client()}
}

// answer is a decoded answer: numbers stay json.Number. body is nil for an
// error whose body is not JSON (a fault's).
type answer struct {
	status int
	body   map[string]any
	raw    string
}

// do sends method path with token as x-auth-token, and body if not "".
func (a *api) do(method, path, token, body string) answer {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("x-client-id", DemoClientID)
	if token != "" {
		req.Header.Set("x-auth-token", token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	ans := answer{status: resp.StatusCode, raw: string(raw)}
	dec := json.NewDecoder(strings.NewReader(ans.raw))
	dec.UseNumber()
	if err := dec.Decode(&ans.body); err != nil && ans.status < 300 {
		a.t.Fatalf("%s %s: %v in %q", method, path, err, raw)
	}
	return ans
}

func (a *api) get(path, token string) answer {
	a.t.Helper()
	return a.do(http.MethodGet, path, token, "")
}

// ok gets path and fails the test unless it answers 200.
func (a *api) ok(path, token string) map[string]any {
	a.t.Helper()
	ans := a.get(path, token)
	if ans.status != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, ans.status, ans.raw)
	}
	return ans.body
}

// anonymous returns a client-credentials token: an anonymous caller's.
func (a *api) anonymous() string {
	a.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, a.base+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DemoClientID, DemoClientSecret)
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		a.t.Fatalf("token: %v (status %d)", err, resp.StatusCode)
	}
	return tok.AccessToken
}

// pages walks every page of a list at limit, and returns its items.
func (a *api) pages(path, token string, limit int) []map[string]any {
	a.t.Helper()
	key := "data"
	if strings.Contains(path, "/comments") {
		key = "comments"
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var items []map[string]any
	for page := 1; ; page++ {
		body := a.ok(fmt.Sprintf("%s%spage=%d&limit=%d", path, sep, page, limit), token)
		list := items0(a.t, body, key)
		if got, want := num(body["currentPage"]), page; got != want {
			a.t.Errorf("%s: currentPage %d, want %d", path, got, want)
		}
		if len(list) == 0 {
			if total := num(body["total"]); len(items) != total {
				a.t.Errorf("%s: walked %d items, total says %d", path, len(items), total)
			}
			return items
		}
		items = append(items, list...)
	}
}

func items0(t *testing.T, body map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := body[key].([]any)
	if !ok {
		t.Fatalf("no %q list in %v", key, body)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

func num(v any) int {
	n, ok := v.(json.Number)
	if !ok {
		return -1
	}
	i, err := n.Int64()
	if err != nil {
		return -1
	}
	return int(i)
}

func str(v any) string { return fmt.Sprint(v) }

// ids lists the "id" of each item.
func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = str(it["id"])
	}
	return out
}

func TestAuthHeaders(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		name, clientID, token string
		want                  int
	}{
		{"user token", DemoClientID, "demo-aisha", 200},
		{"no client id", "", "demo-aisha", 401},
		{"wrong client id", "other", "demo-aisha", 401},
		{"no token", DemoClientID, "", 401},
		{"unknown token", DemoClientID, "nope", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, a.base+"/quran-reflect/v1/rooms/1/members", nil)
			if tc.clientID != "" {
				req.Header.Set("x-client-id", tc.clientID)
			}
			if tc.token != "" {
				req.Header.Set("x-auth-token", tc.token)
			}
			resp, err := a.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.StatusCode; got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/quran-reflect/v1/nothing"},
		{"GET", "/quran-reflect/v1/rooms/1/members/extra"},
		{"DELETE", "/quran-reflect/v1/rooms/1"},
		{"GET", "/quran-reflect/v1/rooms/1/join"},
		{"POST", "/quran-reflect/v1/posts/4001"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			ans := a.do(tc.method, tc.path, "demo-aisha", "")
			if ans.status != 404 || ans.body["message"] != "Route not found" || ans.body["success"] != false {
				t.Errorf("%d %s, want 404 Route not found", ans.status, ans.raw)
			}
		})
	}
}
