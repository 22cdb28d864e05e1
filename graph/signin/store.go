package signin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps sign-in state: sessions, and the leases that serialise a
// session's refreshes (sign-ins under way are in the browsers' cookies). In Redis every replica sees the
// same state; in memory, one process does.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Replace sets key only if it is there (ok false: it was not), even in a
	// store that is full: a session's refreshed tokens must be saved once its
	// refresh token is spent, and a session replaced by itself grows nothing.
	Replace(ctx context.Context, key string, val []byte, ttl time.Duration) (ok bool, err error)
	Delete(ctx context.Context, key string) error
	// Claim marks key for ttl and reports whether this call was the first to
	// (a sign-in's state, so that its code is exchanged once). A memory store
	// keeps a bounded number of claims, forgetting the oldest first.
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
	// Lease takes key for ttl if nobody holds it, even in a full store (a
	// lease is a few bytes, and without one no session could be refreshed).
	// While held, renew extends it by ttl (false: it was lost); release gives
	// it up if still held.
	Lease(ctx context.Context, key string, ttl time.Duration) (renew func(context.Context) bool, release func(), ok bool, err error)
}

// NewMemoryStore is a Store in this process's memory; now is the clock.
func NewMemoryStore(now func() time.Time) Store {
	return &memoryStore{now: now, items: map[string]memoryItem{}, claims: map[string]time.Time{}}
}

type memoryItem struct {
	val     []byte
	expires time.Time
}

type memoryStore struct {
	now   func() time.Time
	mu    sync.Mutex
	items map[string]memoryItem
	sets  int // since the last sweep of expired items
	// claims are apart from items, so that claims (one per sign-in
	// completed, which anyone may start) never take a session's room; past
	// maxClaims the oldest is forgotten.
	claims     map[string]time.Time // key: until
	claimOrder []string
}

func (m *memoryStore) getLocked(key string) ([]byte, bool) {
	it, ok := m.items[key]
	if !ok || !m.now().Before(it.expires) {
		delete(m.items, key)
		return nil, false
	}
	return it.val, true
}

func (m *memoryStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.getLocked(key)
	return v, ok, nil
}

// maxMemoryItems bounds the memory store: past it (expired items swept),
// new keys (new sessions) are refused; sessions there keep theirs.
const maxMemoryItems = 100_000

// ErrStoreFull refuses a new key in a full memory store.
var ErrStoreFull = errors.New("signin: the in-memory store is full")

func (m *memoryStore) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, exists := m.items[key]; !exists && len(m.items) >= maxMemoryItems {
		m.sweepLocked()
		if len(m.items) >= maxMemoryItems {
			return ErrStoreFull
		}
	}
	m.items[key] = memoryItem{val: val, expires: m.now().Add(ttl)}
	// Expired items nobody asks for again are swept now and then, so the map
	// holds about the live ones.
	if m.sets++; m.sets > 1024 && m.sets > len(m.items) {
		m.sweepLocked()
	}
	return nil
}

func (m *memoryStore) sweepLocked() {
	m.sets = 0
	now := m.now()
	for k, it := range m.items {
		if !now.Before(it.expires) {
			delete(m.items, k)
		}
	}
}

func (m *memoryStore) Replace(_ context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.getLocked(key); !ok {
		return false, nil
	}
	m.items[key] = memoryItem{val: val, expires: m.now().Add(ttl)}
	return true, nil
}

func (m *memoryStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

// maxClaims bounds the memory store's claims. Forgetting one only lets its
// sign-in's callback be sent twice, which the provider answers by refusing
// the code (and revoking what it issued for it).
const maxClaims = 100_000

func (m *memoryStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if until, ok := m.claims[key]; ok && now.Before(until) {
		return false, nil
	}
	for len(m.claimOrder) > 0 && (len(m.claims) >= maxClaims || !now.Before(m.claims[m.claimOrder[0]])) {
		delete(m.claims, m.claimOrder[0])
		m.claimOrder = m.claimOrder[1:]
	}
	m.claims[key] = now.Add(ttl)
	m.claimOrder = append(m.claimOrder, key)
	return true, nil
}

func (m *memoryStore) Lease(_ context.Context, key string, ttl time.Duration) (func(context.Context) bool, func(), bool, error) {
	owner := randomHex()
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, held := m.getLocked(key); held {
		return nil, nil, false, nil
	}
	m.items[key] = memoryItem{val: []byte(owner), expires: m.now().Add(ttl)}
	mine := func() bool { v, ok := m.getLocked(key); return ok && string(v) == owner }
	renew := func(context.Context) bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		if !mine() {
			return false
		}
		m.items[key] = memoryItem{val: []byte(owner), expires: m.now().Add(ttl)}
		return true
	}
	release := func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if mine() {
			delete(m.items, key)
		}
	}
	return renew, release, true, nil
}

// NewRedisStore is a Store in Redis (7.0 or later: scripts flagged
// allow-oom, with which a session's refresh is saved and its lease
// taken in a Redis that is full under noeviction): one server, a cluster or
// a Sentinel-managed primary. Each call touches one key, so no key needs a
// hash tag on a cluster. cleanup
// marks the context of the calls that undo state (Delete, a lease's release)
// or must not be lost (Replace, which saves a refreshed session) so that they
// reach Redis even while the client pauses it after failures: a session left
// behind would keep a spent refresh token, a lease left behind would hold up
// the next refresh, and a refreshed session not saved is ended. (Replace only
// follows a read that reached Redis.) nil: the calls go as they are.
func NewRedisStore(c redis.UniversalClient, cleanup func(context.Context) context.Context) Store {
	if cleanup == nil {
		cleanup = func(ctx context.Context) context.Context { return ctx }
	}
	return redisStore{c, cleanup}
}

type redisStore struct {
	c       redis.UniversalClient
	cleanup func(context.Context) context.Context
}

func (r redisStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := r.c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (r redisStore) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return r.c.Set(ctx, key, val, ttl).Err()
}

func (r redisStore) Replace(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	n, err := replaceEvenIfFull.Run(r.cleanup(ctx), r.c, []string{key}, val, ttl.Milliseconds()).Int()
	return n == 1, err
}

func (r redisStore) Delete(ctx context.Context, key string) error {
	return r.c.Del(r.cleanup(ctx), key).Err()
}

func (r redisStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return r.c.SetNX(ctx, key, "1", ttl).Result()
}

// Renewing and releasing check the owner first, in one step: a lease that
// expired and was taken by another replica is not touched. Replacing and
// taking a lease run even in a Redis that is full under noeviction (allow-oom,
// Redis 7): without it, a refresh whose new tokens could not be saved would
// lose the session with its spent refresh token, and no session could be
// refreshed at all while the store is full.
var (
	replaceEvenIfFull = redis.NewScript("#!lua flags=allow-oom\n" +
		`if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1`)
	leaseEvenIfFull = redis.NewScript("#!lua flags=allow-oom\n" +
		`if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 1 end return 0`)
	renewLease   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	releaseLease = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
)

func (r redisStore) Lease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) bool, func(), bool, error) {
	owner := randomHex()
	n, err := leaseEvenIfFull.Run(ctx, r.c, []string{key}, owner, ttl.Milliseconds()).Int()
	if err != nil || n != 1 {
		return nil, nil, false, err
	}
	renew := func(ctx context.Context) bool {
		n, err := renewLease.Run(ctx, r.c, []string{key}, owner, ttl.Milliseconds()).Int()
		return err == nil && n == 1
	}
	release := func() {
		// Its own deadline: the caller's may be spent, and a lease left
		// behind would make the next refresh wait for it to expire.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = releaseLease.Run(r.cleanup(ctx), r.c, []string{key}, owner).Err()
	}
	return renew, release, true, nil
}

// randomHex is 128 random bits, hex-encoded.
func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
