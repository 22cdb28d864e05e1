package loader

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"
)

// MemoryCache is a bounded in-memory Cache with a TTL.
type MemoryCache[V any] struct {
	lru *expirable.LRU[string, V]
}

// NewMemoryCache keeps up to size items for ttl each.
func NewMemoryCache[V any](size int, ttl time.Duration) *MemoryCache[V] {
	return &MemoryCache[V]{lru: expirable.NewLRU[string, V](max(size, 1), nil, ttl)}
}

// Get implements Cache.
func (m *MemoryCache[V]) Get(_ context.Context, key string) (V, bool) { return m.lru.Get(key) }

// Set implements Cache.
func (m *MemoryCache[V]) Set(_ context.Context, key string, v V) { m.lru.Add(key, v) }

// Delete implements Cache.
func (m *MemoryCache[V]) Delete(_ context.Context, key string) { m.lru.Remove(key) }

// DeletePrefix implements Cache: it walks the keys, which only a write does.
func (m *MemoryCache[V]) DeletePrefix(_ context.Context, prefix string) {
	for _, k := range m.lru.Keys() {
		if strings.HasPrefix(k, prefix) {
			m.lru.Remove(k)
		}
	}
}

// RedisCache is a Cache in Redis, shared by replicas, holding items as JSON.
// Each call touches one key, so it works as well on a Redis Cluster.
type RedisCache[V any] struct {
	client  redis.UniversalClient
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	keep    func(V) bool
}

// NewRedisCache keeps items for ttl each in the Redis of client, under prefix
// (name the endpoint, the version of V's JSON shape and the upstream's host, so
// that two environments or two versions of a rolling deploy never read each
// other's entries). Each Redis call gives up after timeout: a slow Redis is a
// miss, never a slow request. keep, if set, decides which items may be written:
// Redis holds them in the clear.
func NewRedisCache[V any](client redis.UniversalClient, prefix string, ttl, timeout time.Duration, keep func(V) bool) *RedisCache[V] {
	return &RedisCache[V]{client: client, prefix: prefix, ttl: ttl, timeout: timeout, keep: keep}
}

// Get implements Cache; any Redis trouble is a miss.
func (r *RedisCache[V]) Get(ctx context.Context, key string) (V, bool) {
	var v V
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	b, err := r.client.Get(ctx, r.prefix+key).Bytes()
	if err != nil || json.Unmarshal(b, &v) != nil {
		var zero V
		return zero, false
	}
	return v, true
}

// Delete implements Cache.
func (r *RedisCache[V]) Delete(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_ = r.client.Del(ctx, r.prefix+key).Err()
}

// DeletePrefix implements Cache: it scans for the viewer's keys (a write's, so
// rare) and deletes each batch as it is found, each step within the timeout. A
// scan that runs out of time leaves the rest to expire with their TTL: SCAN
// walks the whole keyspace, so in a large Redis a shared list had better be
// keyed so that one DEL drops it (no list is shared yet). On a cluster, SCAN
// walks one node: every primary is scanned, at once, and each key found is
// deleted by itself (keys of one node may lie in different slots, and a DEL
// of several must not span slots), in one pipeline per batch.
func (r *RedisCache[V]) DeletePrefix(ctx context.Context, prefix string) {
	match := globEscape(r.prefix+prefix) + "*"
	scan := func(c redis.Cmdable) error {
		for cursor := uint64(0); ; {
			sctx, cancel := context.WithTimeout(ctx, r.timeout)
			keys, next, err := c.Scan(sctx, cursor, match, 1000).Result()
			if err == nil && len(keys) > 0 {
				_, err = c.Pipelined(sctx, func(p redis.Pipeliner) error {
					for _, k := range keys {
						p.Del(sctx, k)
					}
					return nil
				})
			}
			cancel()
			if err != nil || next == 0 {
				return err
			}
			cursor = next
		}
	}
	if cc, ok := r.client.(*redis.ClusterClient); ok {
		// The primaries as the client knows them (what a failover since
		// hides is left to the keys' TTL); each scan's steps have their own
		// deadlines.
		sctx, cancel := context.WithTimeout(ctx, r.timeout)
		defer cancel()
		_ = cc.ForEachMaster(sctx, func(_ context.Context, node *redis.Client) error { return scan(node) })
		return
	}
	_ = scan(r.client)
}

// Set implements Cache.
func (r *RedisCache[V]) Set(ctx context.Context, key string, v V) {
	if r.keep != nil && !r.keep(v) {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_ = r.client.Set(ctx, r.prefix+key, b, r.ttl).Err()
}

// globEscape quotes what SCAN's MATCH would read as a pattern (an IPv6 host's
// brackets, say).
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\^`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
