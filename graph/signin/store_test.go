package signin

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestMemoryStoreIsBounded: a full memory store refuses new keys but keeps
// replacing the ones it has, and makes room from expired items first.
func TestMemoryStoreIsBounded(t *testing.T) {
	now := time.Unix(0, 0)
	m := NewMemoryStore(func() time.Time { return now })
	ctx := t.Context()
	for i := range maxMemoryItems {
		ttl := time.Hour
		if i == 0 {
			ttl = time.Minute // the one that will have expired
		}
		if err := m.Set(ctx, fmt.Sprint(i), []byte("v"), ttl); err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	if err := m.Set(ctx, "new", []byte("v"), time.Hour); !errors.Is(err, ErrStoreFull) {
		t.Errorf("a new key in a full store: %v, want ErrStoreFull", err)
	}
	if err := m.Set(ctx, "1", []byte("w"), time.Hour); err != nil {
		t.Errorf("replacing a key in a full store: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if err := m.Set(ctx, "new", []byte("v"), time.Hour); err != nil {
		t.Errorf("a new key once an item expired: %v", err)
	}
}
