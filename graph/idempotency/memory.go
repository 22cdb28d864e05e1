package idempotency

import (
	"bytes"
	"container/list"
	"context"
	"sync"
	"time"
)

// The bounds of the in-memory store: the answers it keeps, and their bodies'
// bytes. Past either, the least recently used answer goes first, before its
// TTL: its key may then run again.
const (
	DefaultMemoryAnswers = 10_000
	DefaultMemoryBytes   = 64 << 20
)

// MemoryStore is a Store in this process's memory, for one replica: an LRU of
// at most maxAnswers answers of at most maxBytes of bodies in all. Claims of
// requests under way are not counted and never evicted (there are as many as
// requests running).
type MemoryStore struct {
	now        func() time.Time
	maxAnswers int
	maxBytes   int

	mu      sync.Mutex
	entries map[string]*memoryEntry
	lru     list.List // of *memoryEntry with answers, the most recently used first
	bytes   int
}

type memoryEntry struct {
	key     string
	claim   Claim   // while in flight: whose it is
	answer  *Answer // nil while in flight
	expires time.Time
	elem    *list.Element // in lru, once answered
}

// NewMemoryStore is a MemoryStore reading the clock now (nil: time.Now).
func NewMemoryStore(now func() time.Time, maxAnswers, maxBytes int) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, maxAnswers: maxAnswers, maxBytes: maxBytes, entries: map[string]*memoryEntry{}}
}

// Claim implements Store.
func (m *MemoryStore) Claim(_ context.Context, key string, c Claim, lease time.Duration) (*Held, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.entries[key]; ok {
		if now.Before(e.expires) {
			if e.answer == nil {
				return &Held{Fingerprint: e.claim.Fingerprint}, nil
			}
			m.lru.MoveToFront(e.elem)
			a := *e.answer
			return &Held{Fingerprint: e.claim.Fingerprint, Answer: &a}, nil
		}
		m.deleteLocked(e)
	}
	m.entries[key] = &memoryEntry{key: key, claim: c, expires: now.Add(lease)}
	return nil, nil
}

// Keep implements Store.
func (m *MemoryStore) Keep(_ context.Context, key string, c Claim, a Answer, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || e.answer != nil || e.claim != c || !m.now().Before(e.expires) {
		return ErrLost
	}
	a.Body = bytes.Clone(a.Body) // its own bytes, counted as they are
	e.answer, e.expires = &a, m.now().Add(ttl)
	e.elem = m.lru.PushFront(e)
	m.bytes += len(a.Body)
	for m.lru.Len() > m.maxAnswers || m.bytes > m.maxBytes {
		m.deleteLocked(m.lru.Back().Value.(*memoryEntry))
	}
	return nil
}

// Release implements Store.
func (m *MemoryStore) Release(_ context.Context, key string, c Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && e.answer == nil && e.claim == c {
		m.deleteLocked(e)
	}
	return nil
}

func (m *MemoryStore) deleteLocked(e *memoryEntry) {
	delete(m.entries, e.key)
	if e.elem != nil {
		m.lru.Remove(e.elem)
		m.bytes -= len(e.answer.Body)
	}
}
