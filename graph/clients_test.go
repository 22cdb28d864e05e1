package graph_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	gqlparser "github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/persisted"
	"github.com/quranfoundation/reflect-graphql/graph/service"
)

func sha(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

// apq sends an Apollo persisted-query request: the hash, with or without the
// document, over POST or GET.
func (e *testEnv) apq(t *testing.T, method, query string, withQuery bool, headers ...string) gqlResponse {
	t.Helper()
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha(query)}}
	var req *http.Request
	if method == http.MethodGet {
		v := url.Values{}
		extJSON, _ := json.Marshal(ext)
		v.Set("extensions", string(extJSON))
		if withQuery {
			v.Set("query", query)
		}
		req, _ = http.NewRequest(http.MethodGet, e.endpoint+"?"+v.Encode(), nil)
	} else {
		body := map[string]any{"extensions": ext}
		if withQuery {
			body["query"] = query
		}
		b, _ := json.Marshal(body)
		req, _ = http.NewRequest(http.MethodPost, e.endpoint, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func TestAutomaticPersistedQueries(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			env := newEnv(t, envOptions{})
			q := `query APQ` + method + ` { room(id: "4") { id name } }`
			if r := env.apq(t, method, q, false); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
				t.Fatalf("hash only, first time: %s", r.Raw)
			}
			if r := env.apq(t, method, q, true); at(r.Data, "room", "id") != "4" {
				t.Fatalf("hash with the document: %s", r.Raw)
			}
			if r := env.apq(t, method, q, false); at(r.Data, "room", "id") != "4" {
				t.Fatalf("hash only, registered: %s", r.Raw)
			}
		})
	}
}

func TestPersistedQueryRefusals(t *testing.T) {
	env := newEnv(t, envOptions{})
	q := `{ room(id: "4") { id } }`
	bad := []struct{ name, body, code string }{
		{"hash does not match", `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + sha(q) + `"}}}`, errcode.BadRequest},
		{"not hex", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"xyz"}}}`, errcode.BadRequest},
		{"version 2", `{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"` + sha(q) + `"}}}`, errcode.BadRequest},
		{"not an object", `{"extensions":{"persistedQuery":"yes"}}`, errcode.BadRequest},
	}
	for _, b := range bad {
		req, _ := http.NewRequest(http.MethodPost, env.endpoint, strings.NewReader(b.body))
		req.Header.Set("Content-Type", "application/json")
		r := do(t, req)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != b.code {
			t.Errorf("%s: %s, want %s", b.name, r.Raw, b.code)
		}
	}
	// A document the guard refuses is never stored.
	deep := `{ a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } }`
	env.apq(t, http.MethodPost, deep, true)
	if r := env.apq(t, http.MethodPost, deep, false); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
		t.Errorf("a refused document was stored: %s", r.Raw)
	}
}

func TestPersistedRegistrationsCostTheCallersBudget(t *testing.T) {
	env := newEnv(t, envOptions{config: func(c *service.Config) { c.CallerLimit = guard.CallerLimit{PerSecond: 0.001, Burst: 3} }})
	limited := 0
	for i := range 5 {
		r := env.apq(t, http.MethodPost, fmt.Sprintf("query Junk%d { __typename }", i), true)
		if len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == errcode.RateLimited {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("%d of 5 registrations refused, want 2 (a burst of 3)", limited)
	}
}

func TestTrustedDocuments(t *testing.T) {
	trusted := `query Trusted { room(id: "5") { id name } }`
	dir := t.TempDir()
	for name, content := range map[string]string{
		"apollo.json": `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"` + sha(trusted) + `","name":"Trusted","type":"query","body":` + jsonString(trusted) + `}]}`,
		"plain.json":  `{"` + sha(trusted) + `":` + jsonString(trusted) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := persisted.LoadManifest(path); err != nil {
				t.Fatal(err)
			}
			env := newEnv(t, envOptions{config: func(c *service.Config) { c.PersistedDocuments, c.TrustedOnly = path, true }})
			if r := env.apq(t, http.MethodGet, trusted, false); at(r.Data, "room", "id") != "5" {
				t.Errorf("trusted hash: %s", r.Raw)
			}
			if r := env.post(t, `{ room(id: "5") { id } }`, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotInList {
				t.Errorf("an ad-hoc query: %s", r.Raw)
			}
			if r := env.apq(t, http.MethodPost, `{ __typename }`, true); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotInList {
				t.Errorf("an APQ registration: %s", r.Raw)
			}
		})
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"`+sha("{ x }")+`":"{ y }"}`), 0o600)
	if _, err := persisted.LoadManifest(bad); err == nil {
		t.Error("a manifest whose hash does not match its document was accepted")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRedisSharedByTwoServers: a document registered through one server is
// served by hash through another, both on one real redis-server.
func TestRedisSharedByTwoServers(t *testing.T) {
	redisURL := startRedis(t)
	a := newEnv(t, envOptions{config: func(c *service.Config) { c.RedisURL = redisURL }})
	b := newEnv(t, envOptions{config: func(c *service.Config) { c.RedisURL = redisURL }})
	q := `query Shared { room(id: "6") { id } }`
	if r := b.apq(t, http.MethodGet, q, false); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
		t.Fatalf("b before registration: %s", r.Raw)
	}
	if r := a.apq(t, http.MethodPost, q, true); at(r.Data, "room", "id") != "6" {
		t.Fatalf("registration on a: %s", r.Raw)
	}
	if r := b.apq(t, http.MethodGet, q, false); at(r.Data, "room", "id") != "6" {
		t.Fatalf("b by hash: %s", r.Raw)
	}
}

// redisClient connects to url for the test.
func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// startRedis runs a redis-server on a unix socket for the test. ./e2e/test
// installs it when missing and sets REQUIRE_REDIS=1, so CI never skips.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("REQUIRE_REDIS") != "" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed (./e2e/test installs it)")
	}
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) })
	ready := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		var seen strings.Builder
		for {
			n, err := stdout.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(strings.ToLower(seen.String()), "ready to accept connections") {
				close(ready)
				io.Copy(io.Discard, stdout)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second): // a guard, not a synchronisation
		t.Fatal("redis-server did not start")
	}
	return "unix://" + sock
}

func TestCORS(t *testing.T) {
	env := newEnv(t, envOptions{config: func(c *service.Config) { c.CORSOrigins = []string{"https://app.example.org"} }})
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, env.endpoint, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		// As browsers send it (Fetch spec): lower case, sorted, comma-separated.
		req.Header.Set("Access-Control-Request-Headers", "apollo-require-preflight,authorization,content-type")
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
		ok.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("allowed origin's preflight: %d %v", ok.StatusCode, ok.Header)
	}
	if no := pre("https://evil.example.com"); no.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin was allowed: %v", no.Header)
	}
	// An actual request: the answer varies by Origin as well as by viewer.
	areq, _ := http.NewRequest(http.MethodPost, env.endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	areq.Header.Set("Content-Type", "application/json")
	areq.Header.Set("Origin", "https://app.example.org")
	if vary := strings.Join(do(t, areq).Header.Values("Vary"), ", "); !strings.Contains(vary, "Origin") || !strings.Contains(vary, "Authorization") {
		t.Errorf("Vary = %q, want Origin and Authorization both", vary)
	}
	star := newEnv(t, envOptions{config: func(c *service.Config) { c.CORSOrigins = []string{"*"} }})
	req, _ := http.NewRequest(http.MethodPost, star.endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://any.example.net")
	r := do(t, req)
	if r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("wildcard: %v (credentials must not be allowed with *)", r.Header)
	}
}

func TestCompression(t *testing.T) {
	env := newEnv(t, envOptions{})
	req, _ := http.NewRequest(http.MethodPost, env.endpoint, strings.NewReader(`{"query":"{ rooms(ids: [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"]) { id name description avatarUrls { thumb original } } }"}`))
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
	req, _ = http.NewRequest(http.MethodPost, env.endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
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
	env := newEnv(t, envOptions{config: func(c *service.Config) { c.PublicMaxAge = 30 * time.Second }})
	get := func(q string, headers ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, env.endpoint+"?query="+url.QueryEscape(q), nil)
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
	if got := env.post(t, `{ room(id: "1") { id } }`, nil).Header.Get("Cache-Control"); got != "private, no-store" {
		t.Errorf("POST: Cache-Control = %q", got)
	}
}

func TestSchemaSDL(t *testing.T) {
	env := newEnv(t, envOptions{})
	resp, err := http.Get(strings.TrimSuffix(env.endpoint, "/query") + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Every schema file, in name order, as written (descriptions included).
	files, _ := filepath.Glob("*.graphqls")
	var want []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, string(b))
	}
	if resp.StatusCode != 200 || string(b) != strings.Join(want, "\n") {
		t.Errorf("GET /schema.graphql = %d, %d bytes; want the schema files %v", resp.StatusCode, len(b), files)
	}
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(b)}); err != nil {
		t.Errorf("the served SDL is not a schema: %v", err)
	}
}
