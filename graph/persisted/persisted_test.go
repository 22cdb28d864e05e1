package persisted_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/persisted"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

func TestAutomaticPersistedQueries(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			env := servicetest.New(t, servicetest.Options{})
			q := `query APQ` + method + ` { room(id: "4") { id name } }`
			if r := env.APQ(t, method, q, false); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
				t.Fatalf("hash only, first time: %s", r.Raw)
			}
			if r := env.APQ(t, method, q, true); servicetest.At(r.Data, "room", "id") != "4" {
				t.Fatalf("hash with the document: %s", r.Raw)
			}
			if r := env.APQ(t, method, q, false); servicetest.At(r.Data, "room", "id") != "4" {
				t.Fatalf("hash only, registered: %s", r.Raw)
			}
		})
	}
}

func TestPersistedQueryRefusals(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	q := `{ room(id: "4") { id } }`
	bad := []struct{ name, body, code string }{
		{"hash does not match", `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + servicetest.SHA(q) + `"}}}`, errcode.BadRequest},
		{"not hex", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"xyz"}}}`, errcode.BadRequest},
		{"version 2", `{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"` + servicetest.SHA(q) + `"}}}`, errcode.BadRequest},
		{"not an object", `{"extensions":{"persistedQuery":"yes"}}`, errcode.BadRequest},
	}
	for _, b := range bad {
		req, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(b.body))
		req.Header.Set("Content-Type", "application/json")
		r := servicetest.Do(t, req)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != b.code {
			t.Errorf("%s: %s, want %s", b.name, r.Raw, b.code)
		}
	}
	// A document the guard refuses is never stored.
	deep := `{ a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } }`
	env.APQ(t, http.MethodPost, deep, true)
	if r := env.APQ(t, http.MethodPost, deep, false); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
		t.Errorf("a refused document was stored: %s", r.Raw)
	}
}

func TestPersistedRegistrationsCostTheCallersBudget(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CallerLimit = guard.CallerLimit{PerSecond: 0.001, Burst: 3} }})
	limited := 0
	for i := range 5 {
		r := env.APQ(t, http.MethodPost, fmt.Sprintf("query Junk%d { __typename }", i), true)
		if len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == errcode.RateLimited {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("%d of 5 registrations refused, want 2 (a burst of 3)", limited)
	}
}

// TestInventedTokensBuyNoRegistrations: each invented token gets a fresh
// per-caller bucket, but registrations are budgeted per address too.
func TestInventedTokensBuyNoRegistrations(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{RefusalLimit: &guard.CallerLimit{PerSecond: 0.001, Burst: 3}}})
	limited := 0
	for i := range 5 {
		r := env.APQ(t, http.MethodPost, fmt.Sprintf("query Junk%d { __typename }", i), true, fmt.Sprintf("Authorization: Bearer invented-%d", i))
		if len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == errcode.RateLimited {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("%d of 5 registrations with invented tokens refused, want 2 (3 per address)", limited)
	}
}

func TestTrustedDocuments(t *testing.T) {
	trusted := `query Trusted { room(id: "5") { id name } }`
	dir := t.TempDir()
	for name, content := range map[string]string{
		"apollo.json": `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"` + servicetest.SHA(trusted) + `","name":"Trusted","type":"query","body":` + jsonString(trusted) + `}]}`,
		"plain.json":  `{"` + servicetest.SHA(trusted) + `":` + jsonString(trusted) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := persisted.LoadManifest(path); err != nil {
				t.Fatal(err)
			}
			env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.PersistedDocuments, c.TrustedOnly = path, true }})
			if r := env.APQ(t, http.MethodGet, trusted, false); servicetest.At(r.Data, "room", "id") != "5" {
				t.Errorf("trusted hash: %s", r.Raw)
			}
			if r := env.Post(t, `{ room(id: "5") { id } }`, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotInList {
				t.Errorf("an ad-hoc query: %s", r.Raw)
			}
			if r := env.APQ(t, http.MethodPost, `{ __typename }`, true); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotInList {
				t.Errorf("an APQ registration: %s", r.Raw)
			}
		})
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"`+servicetest.SHA("{ x }")+`":"{ y }"}`), 0o600)
	if _, err := persisted.LoadManifest(bad); err == nil {
		t.Error("a manifest whose hash does not match its document was accepted")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRedisSharedByTwoServers: a document registered through one server is
// served by hash through another, both on one Redis: a redis-server, a
// cluster, or a primary found through Sentinel.
func TestRedisSharedByTwoServers(t *testing.T) {
	servicetest.EachRedis(t, func(t *testing.T, redisURL string) {
		a := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = redisURL }})
		b := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = redisURL }})
		q := `query Shared { room(id: "6") { id } }`
		if r := b.APQ(t, http.MethodGet, q, false); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
			t.Fatalf("b before registration: %s", r.Raw)
		}
		if r := a.APQ(t, http.MethodPost, q, true); servicetest.At(r.Data, "room", "id") != "6" {
			t.Fatalf("registration on a: %s", r.Raw)
		}
		if r := b.APQ(t, http.MethodGet, q, false); servicetest.At(r.Data, "room", "id") != "6" {
			t.Fatalf("b by hash: %s", r.Raw)
		}
	})
}

// TestCallersNotProvenHaveASmallShare: a caller whose token is not proven
// (anonymous, or a token no upstream call has accepted yet) registers into
// the open share: small documents only, and once it is full a registration
// runs but is not kept, and the documents already there are still served. A
// proven caller's registrations go on into its own share. In memory and in
// Redis.
func TestCallersNotProvenHaveASmallShare(t *testing.T) {
	limits := persisted.Limits{
		Open:   persisted.Limit{Documents: 3, MaxBytes: 200, TTL: 10 * time.Minute},
		Proven: persisted.Limit{Documents: 10, MaxBytes: 16 << 10, TTL: 24 * time.Hour},
	}
	check := func(t *testing.T, redisURL string) {
		env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = redisURL },
			Deps: service.Deps{PersistedLimits: &limits}})
		registered := func(q string, headers ...string) bool {
			t.Helper()
			if r := env.APQ(t, http.MethodPost, q, true, headers...); len(r.Errors) > 0 {
				t.Fatalf("registering %.30q: %s", q, r.Raw)
			}
			return len(env.APQ(t, http.MethodPost, q, false, headers...).Errors) == 0
		}
		large := "# " + strings.Repeat("x", 300) + "\n{ __typename }"
		if registered(large) {
			t.Error("an anonymous caller registered a document over the open share's 200 bytes")
		}
		for i := range 3 {
			if !registered(fmt.Sprintf("query Open%d { __typename }", i)) {
				t.Errorf("anonymous registration %d was not kept", i)
			}
		}
		if registered("query Open3 { __typename }") {
			t.Error("a fourth anonymous registration was kept in a share of three")
		}
		if registered("query Invented { __typename }", "Authorization: Bearer invented") {
			t.Error("a token nobody accepted registered beyond the open share")
		}
		for i := range 3 {
			if r := env.APQ(t, http.MethodGet, fmt.Sprintf("query Open%d { __typename }", i), false); len(r.Errors) > 0 {
				t.Errorf("open document %d after the share filled: %s", i, r.Raw)
			}
		}
		// A token proven by an upstream call registers into its own share.
		proven := "Authorization: Bearer demo-aisha"
		if r := env.Post(t, `{ viewer { user { username } } }`, nil, proven); servicetest.At(r.Data, "viewer", "user", "username") != "aisha" {
			t.Fatalf("proving the token: %s", r.Raw)
		}
		if !registered("query Proven { __typename }", proven) || !registered(large, proven) {
			t.Error("a proven caller's registrations were not kept beside a full open share")
		}
	}
	t.Run("memory", func(t *testing.T) { check(t, "") })
	servicetest.EachRedis(t, check)
}
