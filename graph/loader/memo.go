package loader

import (
	"context"
	"sync"
)

// Memo holds, per operation, items that came inside other answers and that no
// call fetches on their own: rooms as a list carries them (without the fields
// only a room's profile has). It is seeded and peeked, never loaded.
type Memo[K comparable, V any] struct{ _ byte } // not zero-sized: each Memo is its own key

// NewMemo declares a Memo.
func NewMemo[K comparable, V any]() *Memo[K, V] { return &Memo[K, V]{} }

type memoInstance[K comparable, V any] struct {
	mu    sync.Mutex
	items map[K]V
}

func (m *Memo[K, V]) instance(ctx context.Context) *memoInstance[K, V] {
	return instanceOf(ctx, m, func(*operation) *memoInstance[K, V] {
		return &memoInstance[K, V]{items: make(map[K]V)}
	})
}

// Seed records v as key's item for the rest of the operation, unless it has
// one already.
func (m *Memo[K, V]) Seed(ctx context.Context, key K, v V) {
	inst := m.instance(ctx)
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if _, ok := inst.items[key]; !ok {
		inst.items[key] = v
	}
}

// ForgetAll drops every item: after a write, a list's copy of what it changed
// is not served again.
func (m *Memo[K, V]) ForgetAll(ctx context.Context) {
	inst := m.instance(ctx)
	inst.mu.Lock()
	defer inst.mu.Unlock()
	clear(inst.items)
}

// Peek returns key's item if the operation has seen it.
func (m *Memo[K, V]) Peek(ctx context.Context, key K) (V, bool) {
	inst := m.instance(ctx)
	inst.mu.Lock()
	defer inst.mu.Unlock()
	v, ok := inst.items[key]
	return v, ok
}
