package service_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// TestAFrozenClusterNodeIsLeftAloneByItself: on a Redis Cluster each node has
// a gate of its own. With one primary frozen (SIGSTOP), calls for its slots
// fail at once after the first few timeouts, the other primaries' keys are
// served as usual, and /readyz (which pings every primary) says not ready.
func TestAFrozenClusterNodeIsLeftAloneByItself(t *testing.T) {
	cl := servicetest.StartRedisClusterServers(t)
	c, err := service.NewRedis(cl.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cc := c.(*redis.ClusterClient)
	ctx := context.Background()
	// A key on the node to freeze, and one on another.
	frozen := strings.TrimPrefix(cl.Nodes[0].URL, "redis://")
	var on, off string
	for i := 0; on == "" || off == ""; i++ {
		k := fmt.Sprintf("k%d", i)
		node, err := cc.MasterForKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if node.Options().Addr == frozen {
			on = k
		} else {
			off = k
		}
	}
	for _, k := range []string{on, off} {
		if err := c.Set(ctx, k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = cl.URL }})
	if err := cl.Nodes[0].Freeze(); err != nil {
		t.Fatal(err)
	}
	defer cl.Nodes[0].Thaw()
	for range service.RedisFailures {
		if err := c.Get(ctx, on).Err(); err == nil {
			t.Fatal("a read from the frozen node succeeded")
		}
	}
	if err := c.Get(ctx, on).Err(); !errors.Is(err, service.ErrRedisPaused) {
		t.Errorf("a read from the frozen node after its failures: %v, want %v", err, service.ErrRedisPaused)
	}
	if v, err := c.Get(ctx, off).Result(); err != nil || v != "v" {
		t.Errorf("a read from another node while one is frozen: %q %v", v, err)
	}
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(env.Base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with a cluster node frozen = %d, want 503", resp.StatusCode)
	}
}

// TestAFrozenRedisIsAMissForThePublicCache: with the Redis of the signed-out
// copies frozen, a lookup is a miss within the cache's timeout (not a hung
// request) and a write's new generation gives up the same way; once it thaws,
// the cache serves again.
func TestAFrozenRedisIsAMissForThePublicCache(t *testing.T) {
	r := servicetest.StartRedisServer(t)
	c, err := service.NewRedis(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cache := loader.NewRedisGenCache[string](c, "test:public:", time.Minute, 100*time.Millisecond, nil)
	ctx := context.Background()
	_, gen, _ := cache.Get(ctx, "feed:1")
	cache.Set(ctx, "feed:1", "page 1", gen)
	if v, _, ok := cache.Get(ctx, "feed:1"); !ok || v != "page 1" {
		t.Fatal("the cache did not keep a page")
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := cache.Get(ctx, "feed:1"); ok {
		t.Error("a frozen Redis answered")
	}
	cache.Bump(ctx) // gives up after its timeout (Redis may still apply it when it wakes)
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
	_, gen, _ = cache.Get(ctx, "feed:1")
	cache.Set(ctx, "feed:1", "page 2", gen)
	if v, _, ok := cache.Get(ctx, "feed:1"); !ok || v != "page 2" {
		t.Errorf("after the thaw the cache does not serve: %q, %v", v, ok)
	}
}
