package loader

import (
	"context"
	"sync"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Cache keeps items for a short while, keyed by viewer and key.
type Cache[V any] interface {
	Get(ctx context.Context, key string) (V, bool)
	Set(ctx context.Context, key string, v V)
	Delete(ctx context.Context, key string)
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
	// OnShare, if set, is called each time a lookup joins another's call or is
	// served from the cache (for metrics and tests).
	OnShare func(how string)
}

// Shared shares lookups across requests without ever mixing viewers: every key
// is the viewer (a hash of the token, never the token) plus the item's key, so a
// viewer only ever shares with itself.
type Shared[V any] struct {
	endpoint string
	next     Fetch[string, V]
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

// Share wraps next, a fetch of endpoint, with the sharing opts asks for.
func Share[V any](endpoint string, next Fetch[string, V], opts SharingOptions[V]) *Shared[V] {
	if opts.OnShare == nil {
		opts.OnShare = func(string) {}
	}
	return &Shared[V]{endpoint: endpoint, next: next, opts: opts, flights: make(map[string]*flight[V])}
}

// Forget drops what the cache holds of id for the holder of token: after a
// write, that viewer's next request reads the new state.
func (s *Shared[V]) Forget(ctx context.Context, id string, token upstream.UserToken) {
	key := viewer.Viewer{Token: token}.CacheKey() + ":" + id
	s.mu.Lock()
	s.epoch++
	delete(s.flights, key) // a later lookup must not join a call made before the write
	s.mu.Unlock()
	if s.opts.Cache != nil {
		s.opts.Cache.Delete(ctx, key)
	}
}

// keep caches v under key unless a Forget came since epoch.
func (s *Shared[V]) keep(ctx context.Context, key string, v V, epoch uint64) {
	s.mu.Lock()
	current := s.epoch == epoch
	s.mu.Unlock()
	if current {
		s.opts.Cache.Set(ctx, key, v)
	}
}

// Fetch is next, shared.
func (s *Shared[V]) Fetch(ctx context.Context, id string, token upstream.UserToken) (V, error) {
	key := viewer.Viewer{Token: token}.CacheKey() + ":" + id
	if s.opts.Cache != nil {
		if v, ok := s.opts.Cache.Get(ctx, key); ok {
			s.opts.OnShare("cache")
			return v, nil
		}
	}
	s.mu.Lock()
	epoch := s.epoch
	s.mu.Unlock()
	if !s.opts.Coalesce {
		v, err := s.next(ctx, id, token)
		if err == nil && s.opts.Cache != nil {
			s.keep(ctx, key, v, epoch)
		}
		return v, err
	}

	s.mu.Lock()
	epoch = s.epoch
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
			if f.err == nil && s.opts.Cache != nil {
				s.keep(cctx, key, f.val, epoch)
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
		return zero, &upstream.Error{Endpoint: s.endpoint, Key: id, Err: ctx.Err()}
	}
}
