package graph

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/redis/go-redis/v9"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// RoomCache keeps rooms for a short while, keyed by viewer and id.
type RoomCache interface {
	Get(ctx context.Context, key string) (*upstream.Room, bool)
	Set(ctx context.Context, key string, room *upstream.Room)
}

// SharingOptions turns on the sharing of room lookups across requests. Both
// parts are off by default.
type SharingOptions struct {
	// Coalesce makes concurrent lookups of one room by one viewer, from
	// different requests, share one upstream call.
	Coalesce bool
	// Cache keeps successful lookups for a short time (nil: no cache). Errors
	// and 404s are never kept.
	Cache RoomCache
	// OnShare, if set, is called each time a lookup joins another's call or is
	// served from the cache (for metrics and tests).
	OnShare func(how string)
}

// SharedRooms is a RoomFetcher that shares lookups across requests without ever
// mixing viewers: every key is the viewer (a hash of the token, never the token)
// plus the room id, so a viewer only ever shares with itself.
type SharedRooms struct {
	next RoomFetcher
	opts SharingOptions

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is one upstream call shared by its waiters. It is cancelled when the
// last waiter gives up, and not before: a caller that leaves does not cancel
// the others' call.
type flight struct {
	done    chan struct{}
	room    *upstream.Room
	err     error
	waiters int
	cancel  context.CancelFunc
}

// ShareRooms wraps next.
func ShareRooms(next RoomFetcher, opts SharingOptions) *SharedRooms {
	if opts.OnShare == nil {
		opts.OnShare = func(string) {}
	}
	return &SharedRooms{next: next, opts: opts, flights: make(map[string]*flight)}
}

// cacheViewer names a viewer in cache keys: the same token hash the per-caller
// limit uses, or "anonymous" (every anonymous caller sees the service token's
// view).
func cacheViewer(token string) string {
	if token == "" {
		return "anonymous"
	}
	return tokenKey(token)
}

// Room implements RoomFetcher.
func (s *SharedRooms) Room(ctx context.Context, id, token string) (*upstream.Room, error) {
	key := cacheViewer(token) + ":" + id
	if s.opts.Cache != nil {
		if r, ok := s.opts.Cache.Get(ctx, key); ok {
			s.opts.OnShare("cache")
			return r, nil
		}
	}
	if !s.opts.Coalesce {
		r, err := s.next.Room(ctx, id, token)
		if err == nil && s.opts.Cache != nil {
			s.opts.Cache.Set(ctx, key, r)
		}
		return r, err
	}

	s.mu.Lock()
	f, joined := s.flights[key]
	if joined {
		f.waiters++
	} else {
		// The shared call keeps the first caller's values (its trace) but not
		// its cancellation: it ends when its last waiter leaves, and the
		// upstream client bounds it with its own budget.
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
		s.flights[key] = f
		go func() {
			defer cancel()
			f.room, f.err = s.next.Room(cctx, id, token)
			s.mu.Lock()
			if s.flights[key] == f {
				delete(s.flights, key)
			}
			s.mu.Unlock()
			close(f.done) // waiters go first; the cache write (maybe to Redis) after
			if f.err == nil && s.opts.Cache != nil {
				s.opts.Cache.Set(cctx, key, f.room)
			}
		}()
	}
	s.mu.Unlock()
	if joined {
		s.opts.OnShare("coalesced")
	}

	select {
	case <-f.done:
		return f.room, f.err
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
		return nil, &upstream.RoomError{ID: id, Err: ctx.Err()}
	}
}

// MemoryRoomCache is a bounded in-memory RoomCache with a TTL.
type MemoryRoomCache struct {
	lru *expirable.LRU[string, *upstream.Room]
}

// NewMemoryRoomCache keeps up to size rooms for ttl each.
func NewMemoryRoomCache(size int, ttl time.Duration) *MemoryRoomCache {
	return &MemoryRoomCache{lru: expirable.NewLRU[string, *upstream.Room](max(size, 1), nil, ttl)}
}

// Get implements RoomCache.
func (m *MemoryRoomCache) Get(_ context.Context, key string) (*upstream.Room, bool) {
	return m.lru.Get(key)
}

// Set implements RoomCache.
func (m *MemoryRoomCache) Set(_ context.Context, key string, r *upstream.Room) { m.lru.Add(key, r) }

// RedisRoomCache is a RoomCache in Redis, shared by replicas. A room that
// carries a privateToken (the owner's view) is never written: the secret would
// sit in Redis in the clear. Such rooms are fetched each time.
type RedisRoomCache struct {
	client  *redis.Client
	prefix  string
	ttl     time.Duration
	timeout time.Duration
}

// NewRedisRoomCache keeps rooms for ttl each in the Redis of client. namespace
// (the upstream's host) keeps two environments sharing one Redis apart.
func NewRedisRoomCache(client *redis.Client, namespace string, ttl, timeout time.Duration) *RedisRoomCache {
	// v1: the JSON shape of upstream.Room; bump it when that changes, so that a
	// rolling deploy never reads the other version's entries.
	prefix := "reflect-graphql:room:v1:" + namespace + ":"
	return &RedisRoomCache{client: client, prefix: prefix, ttl: ttl, timeout: timeout}
}

// Get implements RoomCache; any Redis trouble is a miss.
func (r *RedisRoomCache) Get(ctx context.Context, key string) (*upstream.Room, bool) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	b, err := r.client.Get(ctx, r.prefix+key).Bytes()
	if err != nil {
		return nil, false
	}
	var room upstream.Room
	if json.Unmarshal(b, &room) != nil {
		return nil, false
	}
	return &room, true
}

// Set implements RoomCache.
func (r *RedisRoomCache) Set(ctx context.Context, key string, room *upstream.Room) {
	if room.PrivateToken != nil {
		return
	}
	b, err := json.Marshal(room)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_ = r.client.Set(ctx, r.prefix+key, b, r.ttl).Err()
}
