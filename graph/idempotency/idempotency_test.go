package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
)

func TestValidKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"", false},
		{"a", true},
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", true},
		{`"quoted" with spaces ~!`, true},
		{strings.Repeat("x", 255), true},
		{strings.Repeat("x", 256), false},
		{"tab\t", false},
		{"new\nline", false},
		{"caf\u00e9", false},
		{"del\x7f", false},
	} {
		if got := idempotency.ValidKey(tc.key); got != tc.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	vars := func(s string) map[string]any {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber() // as the transport decodes
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	doc := idempotency.DocumentHash("mutation M { x }")
	fp := func(doc, op string, v map[string]any) string {
		t.Helper()
		f, err := idempotency.Fingerprint(doc, op, v)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	base := fp(doc, "M", vars(`{"a": 1, "b": {"y": [1, "2"], "x": null}}`))
	for name, tc := range map[string]struct {
		other string
		same  bool
	}{
		"keys in another order":        {fp(doc, "M", vars(`{"b":{"x":null,"y":[1,"2"]},"a":1}`)), true},
		"another value":                {fp(doc, "M", vars(`{"a": 2, "b": {"y": [1, "2"], "x": null}}`)), false},
		"a number written another way": {fp(doc, "M", vars(`{"a": 1.0, "b": {"y": [1, "2"], "x": null}}`)), false},
		"another operation":            {fp(doc, "N", vars(`{"a": 1, "b": {"y": [1, "2"], "x": null}}`)), false},
		"another document":             {fp(idempotency.DocumentHash("mutation M { y }"), "M", vars(`{"a": 1, "b": {"y": [1, "2"], "x": null}}`)), false},
	} {
		if got := tc.other == base; got != tc.same {
			t.Errorf("%s: same fingerprint %v, want %v", name, got, tc.same)
		}
	}
	if fp(doc, "", nil) != fp(doc, "", map[string]any{}) {
		t.Error("no variables and {} differ")
	}
	// The name's length is in it: a name cannot run into what follows.
	if fp(doc, "a", nil) == fp(doc, "a\nvariables {}", nil) {
		t.Error("an operation name forged the variables")
	}
}

// clock is a clock tests move.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)} }
func answer(body string) idempotency.Answer {
	return idempotency.Answer{Status: 200, ContentType: "application/json", Body: []byte(body)}
}

func TestKeeper(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	k := idempotency.New(idempotency.NewMemoryStore(clk.Now, 100, 1<<20), time.Hour, time.Minute)

	req, kept, err := k.Begin(ctx, "user:a", "k1", "fp1")
	if err != nil || req == nil || kept != nil {
		t.Fatalf("first Begin: %v %v %v", req, kept, err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "k1", "fp1"); !errors.Is(err, idempotency.ErrInFlight) {
		t.Errorf("the same request while the first runs: %v, want ErrInFlight", err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "k1", "fp2"); !errors.Is(err, idempotency.ErrReused) {
		t.Errorf("another request while the first runs: %v, want ErrReused", err)
	}
	if _, _, err := k.Begin(ctx, "user:b", "k1", "fp2"); err != nil {
		t.Errorf("another caller's key: %v", err)
	}
	if err := req.Keep(ctx, answer(`{"data":1}`)); err != nil {
		t.Fatal(err)
	}
	_, kept, err = k.Begin(ctx, "user:a", "k1", "fp1")
	if err != nil || kept == nil || string(kept.Body) != `{"data":1}` || kept.Status != 200 || kept.ContentType != "application/json" {
		t.Errorf("after Keep: %+v %v", kept, err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "k1", "fp2"); !errors.Is(err, idempotency.ErrReused) {
		t.Errorf("another request after the first: %v, want ErrReused", err)
	}
	clk.Add(time.Hour)
	if req, _, err := k.Begin(ctx, "user:a", "k1", "fp2"); err != nil || req == nil {
		t.Errorf("after the TTL: %v %v", req, err)
	}

	// Released: the key is free again.
	req, _, _ = k.Begin(ctx, "user:a", "k2", "fp1")
	if err := req.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if req, _, err := k.Begin(ctx, "user:a", "k2", "fp2"); err != nil || req == nil {
		t.Errorf("after Release: %v %v", req, err)
	}

	// A claim whose lease ended is free, and its request can keep nothing.
	req, _, _ = k.Begin(ctx, "user:a", "k3", "fp1")
	clk.Add(time.Minute)
	late, _, err := k.Begin(ctx, "user:a", "k3", "fp1")
	if err != nil || late == nil {
		t.Fatalf("after the lease: %v %v", late, err)
	}
	if err := req.Keep(ctx, answer("old")); !errors.Is(err, idempotency.ErrLost) {
		t.Errorf("Keep after the lease: %v, want ErrLost", err)
	}
	if err := req.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "k3", "fp1"); !errors.Is(err, idempotency.ErrInFlight) {
		t.Errorf("the old request's Release freed the new claim: %v", err)
	}

	// Too large: kept without its body.
	req, _, _ = k.Begin(ctx, "user:a", "big", "fp1")
	if err := req.Keep(ctx, answer(strings.Repeat("x", idempotency.MaxAnswerBytes+1))); err != nil {
		t.Fatal(err)
	}
	if _, kept, _ := k.Begin(ctx, "user:a", "big", "fp1"); kept == nil || !kept.Omitted || len(kept.Body) != 0 || kept.Status != 200 {
		t.Errorf("a large answer: %+v", kept)
	}
}

// TestMemoryStoreBounds: past its answers or its bytes, the least recently
// used answer goes first; claims under way are never evicted.
func TestMemoryStoreBounds(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	k := idempotency.New(idempotency.NewMemoryStore(clk.Now, 2, 10), time.Hour, time.Minute)
	keep := func(key, body string) {
		t.Helper()
		req, _, err := k.Begin(ctx, "c", key, "fp")
		if err != nil || req == nil {
			t.Fatalf("Begin %s: %v", key, err)
		}
		if err := req.Keep(ctx, answer(body)); err != nil {
			t.Fatal(err)
		}
	}
	kept := func(key string) bool {
		t.Helper()
		req, a, err := k.Begin(ctx, "c", key, "fp")
		if err != nil {
			t.Fatal(err)
		}
		if req != nil {
			_ = req.Release(ctx)
		}
		return a != nil
	}
	running, _, _ := k.Begin(ctx, "c", "running", "fp")
	keep("a", "1")
	keep("b", "2")
	if !kept("a") { // a is now the most recently used
		t.Fatal("a was not kept")
	}
	keep("c", "3")
	if kept("b") || !kept("a") || !kept("c") {
		t.Errorf("by count: b should have gone, a and c stayed")
	}
	keep("d", "123456789") // 1 + 1 + 9 bytes > 10
	if kept("a") || !kept("d") {
		t.Errorf("by bytes: the least recently used should have gone")
	}
	if _, _, err := k.Begin(ctx, "c", "running", "fp"); !errors.Is(err, idempotency.ErrInFlight) {
		t.Errorf("a claim was evicted: %v", err)
	}
	if err := running.Keep(ctx, answer("")); err != nil {
		t.Errorf("the running request could not keep its answer: %v", err)
	}
}
