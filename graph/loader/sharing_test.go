package loader_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// heldFetcher answers each lookup with a room naming the token that asked,
// once released, and counts calls.
type heldFetcher struct {
	calls     atomic.Int32
	started   chan struct{}
	release   chan struct{}
	cancelled atomic.Int32
	gone      chan struct{} // receives once per cancelled call
}

func newHeldFetcher() *heldFetcher {
	return &heldFetcher{started: make(chan struct{}, 100), release: make(chan struct{}), gone: make(chan struct{}, 100)}
}

func (h *heldFetcher) Room(ctx context.Context, id string, token upstream.UserToken) (*upstream.Room, error) {
	h.calls.Add(1)
	h.started <- struct{}{}
	select {
	case <-h.release:
		secret := "secret-of-" + string(token)
		return &upstream.Room{ID: id, Name: "room " + id, PrivateToken: &secret}, nil
	case <-ctx.Done():
		h.cancelled.Add(1)
		h.gone <- struct{}{}
		return nil, ctx.Err()
	}
}

// shares counts OnShare events on a channel.
func shares() (chan string, func(string)) {
	ch := make(chan string, 100)
	return ch, func(how string) { ch <- how }
}

func TestCoalescingSharesOneCallPerViewer(t *testing.T) {
	h := newHeldFetcher()
	joined, onShare := shares()
	s := loader.Share(upstream.EndpointRoom, h.Room, loader.SharingOptions[*upstream.Room]{Coalesce: true, OnShare: onShare}).Fetch
	type got struct {
		room *upstream.Room
		err  error
	}
	results := make(chan got, 10)
	ask := func(token string) {
		go func() {
			r, err := s(context.Background(), "7", upstream.UserToken(token))
			results <- got{r, err}
		}()
	}
	ask("alice")
	<-h.started
	for range 4 {
		ask("alice")
	}
	for range 4 {
		<-joined // the four have joined alice's call
	}
	ask("bob") // another viewer never joins alice's call
	<-h.started
	close(h.release)
	for range 6 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	if got := h.calls.Load(); got != 2 {
		t.Errorf("upstream calls = %d, want 2: one for alice's five lookups, one for bob", got)
	}
}

func TestCoalescedCallerLeavingDoesNotCancelOthers(t *testing.T) {
	h := newHeldFetcher()
	joined, onShare := shares()
	s := loader.Share(upstream.EndpointRoom, h.Room, loader.SharingOptions[*upstream.Room]{Coalesce: true, OnShare: onShare}).Fetch
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := s(ctxA, "7", upstream.UserToken("alice")); errA <- err }()
	<-h.started
	resB := make(chan *upstream.Room, 1)
	go func() { r, _ := s(context.Background(), "7", upstream.UserToken("alice")); resB <- r }()
	<-joined
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller who left got %v, want context.Canceled", err)
	}
	close(h.release)
	if r := <-resB; r == nil || r.ID != "7" {
		t.Errorf("the caller who stayed got %v", r)
	}
	if h.cancelled.Load() != 0 {
		t.Error("the shared call was cancelled although a caller still waited")
	}
}

// TestLateCallerDoesNotJoinACancelledCall: once everyone has left a call, a new
// caller starts afresh instead of inheriting the cancellation.
func TestLateCallerDoesNotJoinACancelledCall(t *testing.T) {
	h := newHeldFetcher()
	s := loader.Share(upstream.EndpointRoom, h.Room, loader.SharingOptions[*upstream.Room]{Coalesce: true}).Fetch
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s(ctx, "7", upstream.UserToken("alice")); done <- err }()
	<-h.started
	cancel()
	<-done // the only waiter left; the call is cancelled but may not have returned yet
	late := make(chan error, 1)
	go func() { _, err := s(context.Background(), "7", upstream.UserToken("alice")); late <- err }()
	<-h.started // the late caller started its own call
	close(h.release)
	if err := <-late; err != nil {
		t.Errorf("the late caller got %v", err)
	}
}

func TestCoalescedCallIsCancelledWhenEveryoneLeaves(t *testing.T) {
	h := newHeldFetcher()
	s := loader.Share(upstream.EndpointRoom, h.Room, loader.SharingOptions[*upstream.Room]{Coalesce: true}).Fetch
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s(ctx, "7", upstream.UserToken("alice")); done <- err }()
	<-h.started
	cancel()
	<-done
	select {
	case <-h.gone:
	case <-time.After(10 * time.Second): // a guard, not a synchronisation
		t.Fatal("the upstream call outlived every caller")
	}
}

// TestSharingNeverMixesViewers runs four viewers side by side through the real
// handler and the fake, with coalescing and a cache (in memory, then Redis), and
// checks each answer against what that viewer alone sees.
func TestSharingNeverMixesViewers(t *testing.T) {
	stores := map[string]func(t *testing.T) loader.Cache[*upstream.Room]{
		"memory": func(*testing.T) loader.Cache[*upstream.Room] {
			return loader.NewMemoryCache[*upstream.Room](1000, time.Minute)
		},
		"redis": func(t *testing.T) loader.Cache[*upstream.Room] {
			return roomRedisCache(t)
		},
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			cache := store(t)
			env := servicetest.New(t, servicetest.Options{Deps: service.Deps{WrapRoom: func(real loader.Fetch[string, *upstream.Room]) loader.Fetch[string, *upstream.Room] {
				return loader.Share(upstream.EndpointRoom, real, loader.SharingOptions[*upstream.Room]{Coalesce: true, Cache: cache}).Fetch
			}}})
			const q = `{ rooms(ids: ["1", "2", "3", "1234567890123456789"]) { id isOwner privateToken mutualFollowersCount } }`
			viewers := []string{"Authorization: Bearer demo-aisha", "Authorization: Bearer demo-bilal", "Authorization: Bearer demo-fatima", ""}
			// What each viewer sees with no sharing at all.
			plain := servicetest.New(t, servicetest.Options{})
			want := map[string]string{}
			for _, v := range viewers {
				want[v] = plain.Post(t, q, nil, headerList(v)...).Raw
			}
			var wg sync.WaitGroup
			for round := range 20 {
				for _, v := range viewers {
					wg.Go(func() {
						if got := env.Post(t, q, nil, headerList(v)...).Raw; got != want[v] {
							t.Errorf("round %d, viewer %q:\n got %s\nwant %s", round, v, got, want[v])
						}
					})
				}
			}
			wg.Wait()
			st := env.Fake.Stats()
			if st.RoomCalls >= 20*4*4 {
				t.Errorf("%d upstream calls for 320 lookups: nothing was shared", st.RoomCalls)
			}
			t.Logf("%s: 320 room lookups by 4 viewers cost %d upstream calls", name, st.RoomCalls)
		})
	}
}

func headerList(h string) []string {
	if h == "" {
		return nil
	}
	return []string{h}
}

// roomRedisCache is the room cache the service builds on Redis, on a real
// redis-server (or on the Redis at redisURL, when given).
func roomRedisCache(t *testing.T, redisURL ...string) loader.Cache[*upstream.Room] {
	url := servicetest.StartRedis
	if len(redisURL) > 0 {
		url = func(*testing.T) string { return redisURL[0] }
	}
	return loader.NewRedisCache(servicetest.RedisClient(t, url(t)), "test:", time.Minute, time.Second, func(r *upstream.Room) bool { return r.PrivateToken == nil })
}

// TestRedisCacheNeverHoldsPrivateTokens: the owner's view is not written.
func TestRedisCacheNeverHoldsPrivateTokens(t *testing.T) {
	c := roomRedisCache(t)
	secret := "invite-secret"
	ctx := context.Background()
	c.Set(ctx, "owner:1", &upstream.Room{ID: "1", PrivateToken: &secret})
	c.Set(ctx, "member:1", &upstream.Room{ID: "1", Name: "n"})
	if _, ok := c.Get(ctx, "owner:1"); ok {
		t.Error("a room with a privateToken was cached in Redis")
	}
	if r, ok := c.Get(ctx, "member:1"); !ok || r.Name != "n" {
		t.Errorf("a room without one was not: %v %v", r, ok)
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	cache := loader.NewMemoryCache[*upstream.Room](100, time.Minute)
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{WrapRoom: func(real loader.Fetch[string, *upstream.Room]) loader.Fetch[string, *upstream.Room] {
		return loader.Share(upstream.EndpointRoom, real, loader.SharingOptions[*upstream.Room]{Cache: cache}).Fetch
	}}})
	for range 3 {
		env.Post(t, `{ room(id: "999") { id } }`, nil, "Authorization: Bearer demo-aisha")
	}
	if got := env.Fake.Stats().CallsByID["999"]; got != 3 {
		t.Errorf("a 404 was served from the cache: %d calls for 3 lookups", got)
	}
	for range 3 {
		env.Post(t, `{ room(id: "5") { id } }`, nil, "Authorization: Bearer demo-aisha")
	}
	if got := env.Fake.Stats().CallsByID["5"]; got != 1 {
		t.Errorf("room 5: %d calls for 3 lookups, want 1 (cached)", got)
	}
}

// TestRedisCacheDeletesOneViewersKeys: a write that changes a list drops the
// writer's keys from Redis (found with SCAN: on a cluster, on every primary),
// and only theirs.
func TestRedisCacheDeletesOneViewersKeys(t *testing.T) {
	servicetest.EachRedis(t, testRedisCacheDeletesOneViewersKeys)
}

func testRedisCacheDeletesOneViewersKeys(t *testing.T, redisURL string) {
	c := roomRedisCache(t, redisURL)
	ctx := context.Background()
	keep := map[string]bool{"alicia:1": true, "bob:1": true, "[a]:1": true}
	for i := range 20 { // in every node's slots of a cluster
		keep[fmt.Sprintf("alice:%d", i)] = false
	}
	for k := range keep {
		c.Set(ctx, k, &upstream.Room{ID: "1", Name: k})
	}
	c.DeletePrefix(ctx, "alice:")
	for k, want := range keep {
		if _, ok := c.Get(ctx, k); ok != want {
			t.Errorf("%s cached = %v after deleting alice's keys, want %v", k, ok, want)
		}
	}
	// A prefix is a prefix, not a pattern: "[a]" names no "a".
	c.Set(ctx, "a:1", &upstream.Room{ID: "1"})
	c.DeletePrefix(ctx, "[a]:")
	if _, ok := c.Get(ctx, "[a]:1"); ok {
		t.Error(`"[a]:1" survived the deletion of "[a]:"`)
	}
	if _, ok := c.Get(ctx, "a:1"); !ok {
		t.Error(`deleting "[a]:" deleted "a:1": the prefix was read as a pattern`)
	}
}
