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

// TestMemoryClaimsAreBoundedApart: a claim is first once until it expires;
// claims past maxClaims forget the oldest, and never take a session's room.
func TestMemoryClaimsAreBoundedApart(t *testing.T) {
	now := time.Unix(0, 0)
	m := NewMemoryStore(func() time.Time { return now }).(*memoryStore)
	ctx := t.Context()
	if first, _ := m.Claim(ctx, "a", time.Minute); !first {
		t.Error("the first claim of a key is not first")
	}
	if first, _ := m.Claim(ctx, "a", time.Minute); first {
		t.Error("a second claim of a key within its ttl is first")
	}
	for i := range maxClaims + 10 {
		if _, err := m.Claim(ctx, fmt.Sprint(i), time.Hour); err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	if len(m.claims) > maxClaims || len(m.claimOrder) > maxClaims {
		t.Errorf("%d claims held (%d in order), want at most %d", len(m.claims), len(m.claimOrder), maxClaims)
	}
	if first, _ := m.Claim(ctx, fmt.Sprint(maxClaims+9), time.Hour); first {
		t.Error("the newest claim was forgotten")
	}
	if err := m.Set(ctx, "session", []byte("v"), time.Hour); err != nil {
		t.Errorf("a session after a flood of claims: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if first, _ := m.Claim(ctx, fmt.Sprint(maxClaims+9), time.Hour); !first {
		t.Error("a claim after its ttl is not first again")
	}
}
