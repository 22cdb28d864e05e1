package httpapi_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

func TestCORS(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CORSOrigins = []string{"https://app.example.org"} }})
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, env.Endpoint, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		// As browsers send it (Fetch spec): lower case, sorted, comma-separated.
		req.Header.Set("Access-Control-Request-Headers", "apollo-require-preflight,authorization,content-type,idempotency-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ok := pre("https://app.example.org")
	if ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example.org" ||
		ok.Header.Get("Access-Control-Max-Age") != "600" ||
		!strings.Contains(strings.ToLower(ok.Header.Get("Access-Control-Allow-Headers")), "authorization") ||
		!strings.Contains(strings.ToLower(ok.Header.Get("Access-Control-Allow-Headers")), "idempotency-key") ||
		ok.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("allowed origin's preflight: %d %v", ok.StatusCode, ok.Header)
	}
	if no := pre("https://evil.example.com"); no.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin was allowed: %v", no.Header)
	}
	// An actual request: the answer varies by Origin as well as by viewer.
	areq, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	areq.Header.Set("Content-Type", "application/json")
	areq.Header.Set("Origin", "https://app.example.org")
	actual := servicetest.Do(t, areq)
	if vary := strings.Join(actual.Header.Values("Vary"), ", "); !strings.Contains(vary, "Origin") || !strings.Contains(vary, "Authorization") {
		t.Errorf("Vary = %q, want Origin and Authorization both", vary)
	}
	if exposed := actual.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "Idempotent-Replayed") {
		t.Errorf("Access-Control-Expose-Headers = %q: the app cannot read Idempotent-Replayed", exposed)
	}
	star := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CORSOrigins = []string{"*"} }})
	req, _ := http.NewRequest(http.MethodPost, star.Endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://any.example.net")
	r := servicetest.Do(t, req)
	if r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("wildcard: %v (credentials must not be allowed with *)", r.Header)
	}
	// /metrics is for scrapers: no origin may read it, not even a listed one,
	// and its preflight is not answered either.
	preflight, _ := http.NewRequest(http.MethodOptions, strings.TrimSuffix(env.Endpoint, "/query")+"/metrics", nil)
	preflight.Header.Set("Origin", "https://app.example.org")
	preflight.Header.Set("Access-Control-Request-Method", "GET")
	if resp, err := http.DefaultClient.Do(preflight); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a preflight to /metrics was allowed: %v", resp.Header)
	}
	for _, origin := range []string{"https://app.example.org", "https://evil.example.com"} {
		req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(env.Endpoint, "/query")+"/metrics", nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("/metrics from %s: %d, Access-Control-Allow-Origin %q; want 200 and none", origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// TestGzipBeforeZstd: a client that accepts both gets gzip (Node.js 20's fetch
// advertises zstd and cannot decode it); zstd only when ranked higher or alone.
func TestGzipBeforeZstd(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for accept, want := range map[string]string{
		"gzip, deflate, br, zstd": "gzip",
		"zstd, gzip":              "gzip",
		"gzip;q=0.5, zstd":        "zstd",
		"zstd":                    "zstd",
		"br":                      "",
	} {
		req, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(`{"query":"{ rooms(ids: [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"]) { id name description avatarUrls { thumb original } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", accept)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); got != want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", accept, got, want)
		}
	}
}

func TestCompression(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	req, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(`{"query":"{ rooms(ids: [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"]) { id name description avatarUrls { thumb original } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !strings.Contains(string(body), "Morning Reflections") {
		t.Errorf("gunzipped body: %s", body)
	}
	// Small answers are not worth it.
	req, _ = http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	small, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	small.Body.Close()
	if small.Header.Get("Content-Encoding") != "" {
		t.Errorf("a tiny answer was compressed")
	}
}

func TestPublicCaching(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.PublicMaxAge = 30 * time.Second }})
	get := func(q string, headers ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(q), nil)
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	cases := []struct {
		name, query, header, want string
	}{
		{"anonymous GET", `{ room(id: "1") { id name } }`, "", "public, max-age=30"},
		{"GET with a token", `{ room(id: "1") { id name } }`, "Authorization: Bearer demo-aisha", "private, no-store"},
		{"anonymous GET with an error", `{ room(id: "999") { id } }`, "", "private, no-store"},
	}
	for _, c := range cases {
		var hs []string
		if c.header != "" {
			hs = append(hs, c.header)
		}
		resp := get(c.query, hs...)
		if got := resp.Header.Get("Cache-Control"); got != c.want {
			t.Errorf("%s: Cache-Control = %q, want %q", c.name, got, c.want)
		}
		if c.want != "private, no-store" {
			if vary := strings.Join(resp.Header.Values("Vary"), ", "); !strings.Contains(vary, "Authorization, X-Auth-Token") || !strings.Contains(vary, "Origin") {
				t.Errorf("%s: Vary = %q", c.name, vary)
			}
			if resp.Header.Get("X-Request-ID") != "" {
				t.Errorf("%s: a cacheable answer carries one caller's X-Request-ID", c.name)
			}
		}
	}
	if got := env.Post(t, `{ room(id: "1") { id } }`, nil).Header.Get("Cache-Control"); got != "private, no-store" {
		t.Errorf("POST: Cache-Control = %q", got)
	}
}
