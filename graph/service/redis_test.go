package service_test

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

// TestAFrozenRedisIsAMiss freezes a real redis-server (SIGSTOP) under a service
// that keeps its persisted queries and room cache there: requests are still
// served (from the upstream; a persisted hash is a miss), /readyz says not
// ready, and once Redis is back the service uses it again. The client's timeout
// is a guard against the stall this test exists for (10 s per request before),
// not a measurement.
func TestAFrozenRedisIsAMiss(t *testing.T) {
	r := servicetest.StartRedisServer(t)
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.RedisURL, c.RoomCacheTTL = r.URL, time.Minute
	}})
	const q = `query Cached { room(id: "3") { id name } }`
	if resp := env.APQ(t, http.MethodPost, q, true); servicetest.At(resp.Data, "room", "id") != "3" {
		t.Fatalf("registration: %s", resp.Raw)
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 3 * time.Second}
	get := func(path string) int {
		resp, err := client.Get(strings.TrimSuffix(env.Endpoint, "/query") + path)
		if err != nil {
			t.Fatalf("GET %s with Redis frozen: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 3 {
		// The cache: a miss, then the upstream.
		resp, err := client.Post(env.Endpoint, "application/json", strings.NewReader(`{"query":"{ room(id: \"4\") { id } }"}`))
		if err != nil {
			t.Fatalf("request %d with Redis frozen: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"id":"4"`) {
			t.Fatalf("request %d with Redis frozen: %s", i, b)
		}
		if resp := env.APQ(t, http.MethodGet, q, false); len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.PersistedNotFound {
			t.Errorf("a persisted hash with Redis frozen: %s, want PERSISTED_QUERY_NOT_FOUND", resp.Raw)
		}
	}
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis frozen = %d, want 503", got)
	}
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
}
