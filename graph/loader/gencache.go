package loader

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
)

// GenCache keeps the copies every caller without a token shares: like a Cache,
// but every entry of it can be dropped at once, from any replica, by starting a
// new generation (one INCR), where Cache.DeletePrefix walks the keyspace. A
// write makes whole lists stale (every page of the feed carries the counts a
// like changes), and at a signed-out audience's scale there are many pages.
type GenCache[V any] interface {
	// Get returns key's item if it was kept in the current generation, and
	// the current generation either way (for Set).
	Get(ctx context.Context, key string) (v V, gen uint64, ok bool)
	// Set keeps v under key as of generation gen, as Get answered it before
	// the fetch: an item fetched while a write started a new generation is
	// stale as soon as it is kept.
	Set(ctx context.Context, key string, v V, gen uint64)
	// Bump starts a new generation: every item kept so far is stale.
	Bump(ctx context.Context)
}

// unknownGen is the generation Get answers when it could not read the current
// one: Set then keeps nothing.
const unknownGen = math.MaxUint64

// genEntry is an item and the generation it was kept in.
type genEntry[V any] struct {
	Gen uint64 `json:"g"`
	V   V      `json:"v"`
}

// MemoryGenCache is a bounded in-memory GenCache with a TTL.
type MemoryGenCache[V any] struct {
	lru *expirable.LRU[string, genEntry[V]]
	gen atomic.Uint64
}

// NewMemoryGenCache keeps up to size items for ttl each.
func NewMemoryGenCache[V any](size int, ttl time.Duration) *MemoryGenCache[V] {
	return &MemoryGenCache[V]{lru: expirable.NewLRU[string, genEntry[V]](max(size, 1), nil, ttl)}
}

// Get implements GenCache.
func (m *MemoryGenCache[V]) Get(_ context.Context, key string) (V, uint64, bool) {
	gen := m.gen.Load()
	e, ok := m.lru.Get(key)
	if !ok || e.Gen != gen {
		var zero V
		return zero, gen, false
	}
	return e.V, gen, true
}

// Set implements GenCache.
func (m *MemoryGenCache[V]) Set(_ context.Context, key string, v V, gen uint64) {
	if gen == m.gen.Load() {
		m.lru.Add(key, genEntry[V]{Gen: gen, V: v})
	}
}

// Bump implements GenCache. The stale entries stay until the LRU or their TTL
// drops them: walking them would cost a write time the entries cost nothing.
func (m *MemoryGenCache[V]) Bump(context.Context) { m.gen.Add(1) }

// RedisGenCache is a GenCache in Redis, shared by replicas: its generation is
// one counter key beside the items, read in the same round trip as an item (a
// pipeline of two GETs, which works as well on a Redis Cluster: the two keys
// may lie in different slots).
type RedisGenCache[V any] struct {
	client  redis.UniversalClient
	prefix  string
	genKey  string
	ttl     time.Duration
	timeout time.Duration
	keep    func(V) bool
}

// NewRedisGenCache keeps items for ttl each under prefix (see NewRedisCache),
// and the generation under prefix+"gen". keep, if set, decides which items
// may be written.
func NewRedisGenCache[V any](client redis.UniversalClient, prefix string, ttl, timeout time.Duration, keep func(V) bool) *RedisGenCache[V] {
	return &RedisGenCache[V]{client: client, prefix: prefix + "item:", genKey: prefix + "gen", ttl: ttl, timeout: timeout, keep: keep}
}

// Get implements GenCache; any Redis trouble is a miss, and a generation Set
// will not keep anything under.
func (r *RedisGenCache[V]) Get(ctx context.Context, key string) (V, uint64, bool) {
	var zero V
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var genCmd, itemCmd *redis.StringCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		genCmd = p.Get(ctx, r.genKey)
		itemCmd = p.Get(ctx, r.prefix+key)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return zero, unknownGen, false
	}
	gen := uint64(0) // no counter yet: no write has bumped it
	if s, err := genCmd.Result(); err == nil {
		if gen, err = strconv.ParseUint(s, 10, 64); err != nil {
			return zero, unknownGen, false
		}
	} else if !errors.Is(err, redis.Nil) {
		return zero, unknownGen, false
	}
	b, err := itemCmd.Bytes()
	if err != nil {
		return zero, gen, false
	}
	var e genEntry[V]
	if json.Unmarshal(b, &e) != nil || e.Gen != gen {
		return zero, gen, false
	}
	return e.V, gen, true
}

// Set implements GenCache.
func (r *RedisGenCache[V]) Set(ctx context.Context, key string, v V, gen uint64) {
	if gen == unknownGen || (r.keep != nil && !r.keep(v)) {
		return
	}
	b, err := json.Marshal(genEntry[V]{Gen: gen, V: v})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_ = r.client.Set(ctx, r.prefix+key, b, r.ttl).Err()
}

// Bump implements GenCache. A Bump that fails leaves the items to their TTL.
func (r *RedisGenCache[V]) Bump(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_ = r.client.Incr(ctx, r.genKey).Err()
}
