package loader_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// TestAForgetOnOneReplicaOutrunsNoCallOnAnother: two replicas (two
// Shared over one Redis). Replica B starts a signed-out fetch of post 7 and
// reads the old state; a write through replica A then forgets post 7 (one
// key: a DEL; the epoch that guards this on one replica is A's own); B's call
// answers and B keeps its old answer under the current generation: every
// replica would serve the pre-write state for PUBLIC_SHARE_TTL. ForgetPublic
// therefore starts a new generation (an INCR), under which B's answer is stale.
func TestAForgetOnOneReplicaOutrunsNoCallOnAnother(t *testing.T) {
	client := servicetest.RedisClient(t, servicetest.StartRedis(t))
	var mu sync.Mutex
	state := "before"
	read, answer := make(chan struct{}), make(chan struct{})
	var held sync.Once
	replica := func(hold bool) *loader.Shared[string, string] {
		cache := loader.NewRedisGenCache[string](client, "rev23:post:", time.Minute, time.Second, nil)
		return loader.Share(upstream.EndpointPost, func(ctx context.Context, id string, _ upstream.UserToken) (string, error) {
			mu.Lock()
			v := state
			mu.Unlock()
			if hold {
				held.Do(func() { close(read); <-answer })
			}
			return v, nil
		}, loader.SharingOptions[string]{Public: loader.PublicOptions[string]{Cache: cache}}) // not coalesced: B keeps its answer before its Fetch returns
	}
	a, b := replica(false), replica(true)

	done := make(chan string)
	go func() {
		v, _ := b.Fetch(context.Background(), "7", "")
		done <- v
	}()
	<-read // B's call has read the state before the write
	mu.Lock()
	state = "after" // the write, made through A
	mu.Unlock()
	a.ForgetPublic(context.Background())
	close(answer)
	if v := <-done; v != "before" {
		t.Fatalf("B's call answered %q", v)
	}
	if got, _ := a.Fetch(context.Background(), "7", ""); got != "after" {
		t.Errorf("after the write (forgotten through A), a signed-out lookup on A answers %q, want %q: B's call, begun before the write, was kept after it", got, "after")
	}
}
