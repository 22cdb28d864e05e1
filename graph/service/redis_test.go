package service_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/graph/signin"
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

// TestSessionCleanupPassesThePausedGate: once a frozen Redis has opened the
// gate, session reads fail at once, but a session's deletion still reaches
// Redis: a refreshed session that could not be saved is deleted, not left
// holding a spent refresh token.
func TestSessionCleanupPassesThePausedGate(t *testing.T) {
	r := servicetest.StartRedisServer(t)
	c, err := service.NewRedis(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	store := signin.NewRedisStore(c, service.Ungated)
	ctx := context.Background()
	if err := store.Set(ctx, "session:s1", []byte("spent"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	for range service.RedisFailures { // each times out: the gate opens
		_, _, _ = store.Get(ctx, "session:s1")
	}
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Get(ctx, "session:s1"); !errors.Is(err, service.ErrRedisPaused) {
		t.Fatalf("a read after the gate opened: %v, want %v", err, service.ErrRedisPaused)
	}
	if err := store.Delete(ctx, "session:s1"); err != nil {
		t.Fatalf("deleting the session while the gate is open: %v", err)
	}
	if n, err := c.Exists(service.Ungated(ctx), "session:s1").Result(); err != nil || n != 0 {
		t.Errorf("the session is still in Redis (%d, %v)", n, err)
	}
}

// TestAFrozenRedisCannotHoldAWrite: a write that drops a viewer's shared pages
// scans Redis step by step, each step within the cache's timeout: with Redis
// frozen it returns (the keys left expire with their TTL) instead of holding
// the mutation. The test's own timeout is what fails if it does not.
func TestAFrozenRedisCannotHoldAWrite(t *testing.T) {
	r := servicetest.StartRedisServer(t)
	c, err := service.NewRedis(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cache := loader.NewRedisCache[string](c, "test:", time.Minute, 100*time.Millisecond, nil)
	ctx := context.Background()
	cache.Set(ctx, "alice:1", "page 1")
	if _, ok := cache.Get(ctx, "alice:1"); !ok {
		t.Fatal("the cache did not keep a page")
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	cache.DeletePrefix(ctx, "alice:")
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
}
