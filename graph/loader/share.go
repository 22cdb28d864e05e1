package loader

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Cache keeps items for a short while, keyed by viewer and key.
type Cache[V any] interface {
	Get(ctx context.Context, key string) (V, bool)
	Set(ctx context.Context, key string, v V)
	Delete(ctx context.Context, key string)
	// DeletePrefix deletes every key that starts with prefix (one viewer's).
	DeletePrefix(ctx context.Context, prefix string)
}

// SharingOptions turns on the sharing of lookups across requests. Both parts
// are off by default.
type SharingOptions[V any] struct {
	// Coalesce makes concurrent lookups of one key by one viewer, from
	// different requests, share one upstream call.
	Coalesce bool
	// Cache keeps successful lookups for a short time (nil: no cache). Errors
	// and 404s are never kept.
	Cache Cache[V]
	// Public is the sharing of lookups made without a user token: every such
	// caller sees the service token's view, so they share one another's calls
	// and copies. When it shares anything, it replaces Coalesce and Cache for
	// those callers.
	Public PublicOptions[V]
	// OnShare, if set, is called each time a lookup joins another's call or is
	// served from the cache (for metrics and tests).
	OnShare func(how string)
}

// PublicOptions is the sharing of the lookups every caller without a token
// shares.
type PublicOptions[V any] struct {
	// Coalesce makes concurrent lookups of one key share one upstream call.
	Coalesce bool
	// Cache keeps successful lookups (nil: no cache). A write by anyone drops
	// the copies it makes stale (Forget, ForgetAll).
	Cache GenCache[V]
}

func (p PublicOptions[V]) on() bool { return p.Coalesce || p.Cache != nil }

// Shared shares lookups across requests without ever mixing viewers: every key
// is the viewer (a hash of the token, never the token) plus the item's key, so a
// viewer only ever shares with itself; callers without a token are one viewer,
// the service's token (see PublicOptions). A key that is not a string (a list's
// query) is written with every field (see sharedKey).
type Shared[K comparable, V any] struct {
	endpoint string
	next     Fetch[K, V]
	opts     SharingOptions[V]

	mu      sync.Mutex
	flights map[string]*flight[V]
	// epoch counts Forget calls: a fetch that started before the last one may
	// carry the state from before a write, so it is not written to the cache.
	// Writes are rare; one counter, not one per key, keeps this bounded.
	epoch uint64
}

// flight is one upstream call shared by its waiters. It is cancelled when the
// last waiter gives up, and not before: a caller that leaves does not cancel the
// others' call.
type flight[V any] struct {
	done    chan struct{}
	val     V
	err     error
	waiters int
	cancel  context.CancelFunc
}

// Share wraps next, a fetch of ep, with the sharing opts asks for.
func Share[K comparable, V any](ep upstream.Endpoint, next Fetch[K, V], opts SharingOptions[V]) *Shared[K, V] {
	if opts.OnShare == nil {
		opts.OnShare = func(string) {}
	}
	return &Shared[K, V]{endpoint: ep.Name, next: next, opts: opts, flights: make(map[string]*flight[V])}
}

// sharedKey is key's part of a shared key: itself for a string, else every
// field of it, unexported ones included, as Go syntax (%#v quotes strings):
// two keys the loader tells apart never share an entry. (JSON would leave out
// the unexported fields, such as a feed query's encoded filter, and give
// every verse's feed one key.)
func sharedKey[K comparable](key K) string {
	if s, ok := any(key).(string); ok {
		return s
	}
	return fmt.Sprintf("%#v", key)
}

func viewerPrefix(token upstream.UserToken) string {
	return viewer.Viewer{Token: token}.CacheKey() + ":"
}

// Forget drops what the cache holds of key for the holder of token: after a
// write, that viewer's next request reads the new state.
func (s *Shared[K, V]) Forget(ctx context.Context, key K, token upstream.UserToken) {
	k := viewerPrefix(token) + sharedKey(key)
	s.mu.Lock()
	s.epoch++
	delete(s.flights, k) // a later lookup must not join a call made before the write
	s.mu.Unlock()
	if s.opts.Cache != nil {
		s.opts.Cache.Delete(ctx, k)
	}
}

// publicFlight prefixes the calls shared by callers without a token.
const publicFlight = "public:"

// ForgetPublic drops every copy callers without a token share, on every
// replica, by starting a new generation: a write by anyone makes them stale.
// A write forgets whole endpoints, not one key, for a key's DEL would lose to
// a call under way on another replica, begun before the write, which would
// then put the old state back under the current generation for every replica
// (the epoch guards this within one process only).
func (s *Shared[K, V]) ForgetPublic(ctx context.Context) {
	if !s.opts.Public.on() {
		return
	}
	s.mu.Lock()
	s.epoch++
	for k := range s.flights {
		if strings.HasPrefix(k, publicFlight) {
			delete(s.flights, k)
		}
	}
	s.mu.Unlock()
	if c := s.opts.Public.Cache; c != nil {
		c.Bump(ctx)
	}
}

// ForgetViewer drops everything the cache holds for the holder of token: after
// a write that changes a list, every page of it.
func (s *Shared[K, V]) ForgetViewer(ctx context.Context, token upstream.UserToken) {
	prefix := viewerPrefix(token)
	s.mu.Lock()
	s.epoch++
	for k := range s.flights {
		if strings.HasPrefix(k, prefix) {
			delete(s.flights, k)
		}
	}
	s.mu.Unlock()
	if s.opts.Cache != nil {
		s.opts.Cache.DeletePrefix(ctx, prefix)
	}
}

// keep caches v under key unless a Forget came since epoch.
func (s *Shared[K, V]) keep(ctx context.Context, key string, v V, epoch uint64) {
	s.mu.Lock()
	current := s.epoch == epoch
	s.mu.Unlock()
	if current {
		s.opts.Cache.Set(ctx, key, v)
	}
}

// Fetch is next, shared.
func (s *Shared[K, V]) Fetch(ctx context.Context, id K, token upstream.UserToken) (V, error) {
	if token == "" && s.opts.Public.on() {
		return s.fetchPublic(ctx, id)
	}
	key := viewerPrefix(token) + sharedKey(id)
	if s.opts.Cache != nil {
		if v, ok := s.opts.Cache.Get(ctx, key); ok {
			s.opts.OnShare("cache")
			return v, nil
		}
	}
	var store func(ctx context.Context, v V, epoch uint64)
	if s.opts.Cache != nil {
		store = func(ctx context.Context, v V, epoch uint64) { s.keep(ctx, key, v, epoch) }
	}
	return s.run(ctx, key, id, token, s.opts.Coalesce, store)
}

// fetchPublic is Fetch for a caller without a token.
func (s *Shared[K, V]) fetchPublic(ctx context.Context, id K) (V, error) {
	k := sharedKey(id)
	var store func(ctx context.Context, v V, epoch uint64)
	if c := s.opts.Public.Cache; c != nil {
		v, gen, ok := c.Get(ctx, k)
		if ok {
			s.opts.OnShare("cache")
			return v, nil
		}
		store = func(ctx context.Context, v V, epoch uint64) {
			s.mu.Lock()
			current := s.epoch == epoch
			s.mu.Unlock()
			if current {
				c.Set(ctx, k, v, gen)
			}
		}
	}
	return s.run(ctx, publicFlight+k, id, "", s.opts.Public.Coalesce, store)
}

// run makes the call of id for the holder of token, joining the call under way
// for key when coalesce asks, and hands a success to store (if not nil) with
// the epoch the call started in.
func (s *Shared[K, V]) run(ctx context.Context, key string, id K, token upstream.UserToken, coalesce bool,
	store func(ctx context.Context, v V, epoch uint64)) (V, error) {
	if !coalesce {
		s.mu.Lock()
		epoch := s.epoch
		s.mu.Unlock()
		v, err := s.next(ctx, id, token)
		if err == nil && store != nil {
			store(ctx, v, epoch)
		}
		return v, err
	}

	s.mu.Lock()
	epoch := s.epoch
	f, joined := s.flights[key]
	if joined {
		f.waiters++
	} else {
		// The shared call keeps the first caller's values (its trace) but not
		// its cancellation: it ends when its last waiter leaves, and the
		// upstream client bounds it with its own budget.
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[V]{done: make(chan struct{}), waiters: 1, cancel: cancel}
		s.flights[key] = f
		go func() {
			defer cancel()
			f.val, f.err = s.next(cctx, id, token)
			s.mu.Lock()
			if s.flights[key] == f {
				delete(s.flights, key)
			}
			s.mu.Unlock()
			close(f.done) // waiters go first; the cache write (maybe to Redis) after
			if f.err == nil && store != nil {
				store(cctx, f.val, epoch)
			}
		}()
	}
	s.mu.Unlock()
	if joined {
		s.opts.OnShare("coalesced")
	}

	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		s.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody is waiting any more: cancel the call, and let the next
			// caller start a fresh one rather than join a cancelled one.
			f.cancel()
			if s.flights[key] == f {
				delete(s.flights, key)
			}
		}
		s.mu.Unlock()
		var zero V
		return zero, &upstream.Error{Endpoint: s.endpoint, Key: sharedKey(id), Err: ctx.Err()}
	}
}

// Sharing is what the service's settings say of sharing one endpoint's
// lookups across requests; the zero Sharing shares nothing. A domain declares
// which of its loaders may share (Kind.ShareBy), and with what JSON version and
// filter; the settings decide whether they do.
type Sharing struct {
	// Coalesce makes concurrent lookups of one key by one viewer share a call.
	Coalesce bool
	// TTL keeps successful lookups that long (0: no cache), in memory (at most
	// Size of them) or, with Redis set, in Redis, shared by replicas.
	TTL   time.Duration
	Size  int
	Redis redis.UniversalClient
	// Host is the upstream's host, part of every Redis key: two environments
	// never read each other's entries.
	Host string
	// Public is the sharing of lookups made without a user token (their
	// viewer is the service's token, the same for all of them), on whatever
	// Coalesce and TTL say of signed-in viewers. Its items are kept in
	// Redis, shared by replicas, when Redis is set.
	Public PublicSharing
	// OnShare, if set, hears each lookup that sharing saved (for metrics).
	OnShare func(endpoint, how string)
}

// PublicSharing is what the settings say of sharing the lookups of callers
// without a token.
type PublicSharing struct {
	Coalesce bool
	// TTL keeps successful lookups that long (0: no cache), at most Size of
	// them in memory.
	TTL  time.Duration
	Size int
}

// redisTimeout bounds each Redis call of a shared cache: a slow Redis is a
// miss, never a slow request.
const redisTimeout = 100 * time.Millisecond

// ShareBy makes k share as s says (see Share). version names the JSON shape of
// V in Redis keys (bump it when V changes, so that two versions of a rolling
// deploy never read each other's entries); keep, if set, says which items may
// be written to Redis, which holds them in the clear. The Redis keys name the
// endpoint (renaming it starts a new cache) and hold the key itself: a list
// whose query is a caller's text (a search) would put that text in Redis.
func (k *Kind[K, V]) ShareBy(s Sharing, version string, keep func(V) bool) *Kind[K, V] {
	given := keep
	keep = func(v V) bool {
		// A page with an item that could not be decoded holds its error,
		// which JSON cannot carry: it is served, not written to Redis.
		if c, ok := any(v).(interface{ Complete() bool }); ok && !c.Complete() {
			return false
		}
		return given == nil || given(v)
	}
	opts := SharingOptions[V]{Coalesce: s.Coalesce}
	if s.OnShare != nil {
		name := k.ep.Name
		opts.OnShare = func(how string) { s.OnShare(name, how) }
	}
	prefix := "reflect-graphql:" + k.ep.Name + ":" + version + ":" + s.Host + ":"
	switch {
	case s.TTL > 0 && s.Redis != nil:
		opts.Cache = NewRedisCache(s.Redis, prefix, s.TTL, redisTimeout, keep)
	case s.TTL > 0:
		opts.Cache = NewMemoryCache[V](s.Size, s.TTL)
	}
	opts.Public.Coalesce = s.Public.Coalesce
	switch {
	case s.Public.TTL > 0 && s.Redis != nil:
		opts.Public.Cache = NewRedisGenCache(s.Redis, prefix+"public:", s.Public.TTL, redisTimeout, keep)
	case s.Public.TTL > 0:
		opts.Public.Cache = NewMemoryGenCache[V](s.Public.Size, s.Public.TTL)
	}
	return k.share(opts)
}
