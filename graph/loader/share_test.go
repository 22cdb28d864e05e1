package loader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// shareRecorder counts the wrapped fetch's calls and the lookups Share served
// without one.
type shareRecorder struct {
	mu     sync.Mutex
	calls  int
	shared []string
}

func (r *shareRecorder) onShare(how string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shared = append(r.shared, how)
}

func (r *shareRecorder) counts() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, slices.Clone(r.shared)
}

// asViewer is what the upstream shows token: a value that says whose it is, so
// that a value served to the wrong viewer shows.
func asViewer(id string, token upstream.UserToken) string {
	return "room " + id + " for " + string(token)
}

// TestShareNeverMixesViewers: the shared cache and the coalescing key on the
// viewer as well as the id; a viewer only ever shares with itself.
func TestShareNeverMixesViewers(t *testing.T) {
	tests := []struct {
		name       string
		tokens     []upstream.UserToken // one lookup of room 7 each, in turn
		wantCalls  int
		wantShared []string
	}{
		{name: "two tokens", tokens: []upstream.UserToken{"tok-a", "tok-b"}, wantCalls: 2},
		{name: "a token and anonymous", tokens: []upstream.UserToken{"tok-a", ""}, wantCalls: 2},
		{name: "one token twice", tokens: []upstream.UserToken{"tok-a", "tok-a"}, wantCalls: 1, wantShared: []string{"cache"}},
		{name: "anonymous twice", tokens: []upstream.UserToken{"", ""}, wantCalls: 1, wantShared: []string{"cache"}},
	}
	for _, tt := range tests {
		t.Run("cache/"+tt.name, func(t *testing.T) {
			rec := &shareRecorder{}
			fetch := Share(upstream.EndpointRoom, func(_ context.Context, id string, token upstream.UserToken) (string, error) {
				rec.mu.Lock()
				rec.calls++
				rec.mu.Unlock()
				return asViewer(id, token), nil
			}, SharingOptions[string]{Cache: NewMemoryCache[string](16, time.Minute), OnShare: rec.onShare}).Fetch
			for _, token := range tt.tokens {
				if got, err := fetch(t.Context(), "7", token); err != nil || got != asViewer("7", token) {
					t.Errorf("fetch as %q = %q, %v; want %q", string(token), got, err, asViewer("7", token))
				}
			}
			calls, shared := rec.counts()
			if calls != tt.wantCalls || !slices.Equal(shared, tt.wantShared) {
				t.Errorf("upstream calls %d, shared %q; want %d, %q", calls, shared, tt.wantCalls, tt.wantShared)
			}
		})

		// Coalescing: each lookup starts while the ones before are still in
		// flight (synctest.Wait sees them all blocked on release).
		t.Run("coalesce/"+tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &shareRecorder{}
				release := make(chan struct{})
				fetch := Share(upstream.EndpointRoom, func(_ context.Context, id string, token upstream.UserToken) (string, error) {
					rec.mu.Lock()
					rec.calls++
					rec.mu.Unlock()
					<-release
					return asViewer(id, token), nil
				}, SharingOptions[string]{Coalesce: true, OnShare: rec.onShare}).Fetch
				var wg sync.WaitGroup
				for _, token := range tt.tokens {
					wg.Go(func() {
						if got, err := fetch(t.Context(), "7", token); err != nil || got != asViewer("7", token) {
							t.Errorf("fetch as %q = %q, %v; want %q", string(token), got, err, asViewer("7", token))
						}
					})
					synctest.Wait()
				}
				close(release)
				wg.Wait()
				want := slices.Repeat([]string{"coalesced"}, len(tt.wantShared))
				if calls, shared := rec.counts(); calls != tt.wantCalls || !slices.Equal(shared, want) {
					t.Errorf("upstream calls %d, shared %q; want %d, %q", calls, shared, tt.wantCalls, want)
				}
			})
		})
	}
}

// TestShareKeepsNoErrors: a failure is not cached, so the next lookup calls
// again; its success is.
func TestShareKeepsNoErrors(t *testing.T) {
	errDown := errors.New("upstream: room 7: HTTP 503")
	rec := &shareRecorder{}
	fetch := Share(upstream.EndpointRoom, func(_ context.Context, id string, token upstream.UserToken) (string, error) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.calls++
		if rec.calls == 1 {
			return "", errDown
		}
		return asViewer(id, token), nil
	}, SharingOptions[string]{Cache: NewMemoryCache[string](16, time.Minute), OnShare: rec.onShare}).Fetch

	if _, err := fetch(t.Context(), "7", "tok"); !errors.Is(err, errDown) {
		t.Fatalf("first fetch = %v, want %v", err, errDown)
	}
	for range 2 {
		if got, err := fetch(t.Context(), "7", "tok"); err != nil || got != asViewer("7", "tok") {
			t.Errorf("fetch = %q, %v; want %q", got, err, asViewer("7", "tok"))
		}
	}
	if calls, shared := rec.counts(); calls != 2 || !slices.Equal(shared, []string{"cache"}) {
		t.Errorf("upstream calls %d, shared %q; want 2, [cache]", calls, shared)
	}
}

// TestForgetOutrunsAnEarlierCall: a call that began before a write (Forget)
// neither serves a later lookup nor writes its old answer to the cache.
func TestForgetOutrunsAnEarlierCall(t *testing.T) {
	for _, coalesce := range []bool{false, true} {
		t.Run(fmt.Sprint("coalesce ", coalesce), func(t *testing.T) {
			var mu sync.Mutex
			state, calls := "before", 0
			release := make(chan struct{})
			started := make(chan struct{}, 2)
			s := Share(upstream.EndpointRoom, func(_ context.Context, id string, _ upstream.UserToken) (string, error) {
				mu.Lock()
				v := state
				calls++
				n := calls
				mu.Unlock()
				started <- struct{}{}
				if n == 1 {
					<-release // the first call answers late, with the state it read
				}
				return v, nil
			}, SharingOptions[string]{Coalesce: coalesce, Cache: NewMemoryCache[string](16, time.Minute)})
			early := make(chan string, 1)
			go func() { v, _ := s.Fetch(t.Context(), "7", "tok"); early <- v }()
			<-started
			mu.Lock()
			state = "after" // the write
			mu.Unlock()
			s.Forget(t.Context(), "7", "tok")
			if v, _ := s.Fetch(t.Context(), "7", "tok"); v != "after" {
				t.Errorf("a lookup after the write got %q", v)
			}
			close(release)
			if v := <-early; v != "before" {
				t.Errorf("the early call got %q", v)
			}
			if v, _ := s.Fetch(t.Context(), "7", "tok"); v != "after" {
				t.Errorf("the cache kept the early call's answer: %q", v)
			}
		})
	}
}

// TestForgetViewerDropsOnlyThatViewersCopies: a write that changes a list
// drops every page the writer had cached (keys of a list are its query, as
// JSON), and nothing of another viewer's.
func TestForgetViewerDropsOnlyThatViewersCopies(t *testing.T) {
	type pageKey struct {
		RoomID string
		Page   int
	}
	calls := 0
	s := Share(upstream.EndpointMembers, func(_ context.Context, k pageKey, token upstream.UserToken) (string, error) {
		calls++
		return fmt.Sprintf("page %d of %s for %s", k.Page, k.RoomID, string(token)), nil
	}, SharingOptions[string]{Cache: NewMemoryCache[string](100, time.Hour)})
	ctx := context.Background()
	read := func(token upstream.UserToken, page int) string {
		t.Helper()
		v, err := s.Fetch(ctx, pageKey{"7", page}, token)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tok := range []upstream.UserToken{"tok-a", "tok-b"} {
		read(tok, 1)
		read(tok, 2)
	}
	if calls != 4 {
		t.Fatalf("calls = %d, want 4", calls)
	}
	s.ForgetViewer(ctx, "tok-a")
	read("tok-b", 1)
	read("tok-b", 2)
	if calls != 4 {
		t.Errorf("another viewer's pages were dropped: calls = %d, want 4", calls)
	}
	if got := read("tok-a", 2); got != "page 2 of 7 for tok-a" || calls != 5 {
		t.Errorf("the writer's page 2 = %q after %d calls, want it read again (5)", got, calls)
	}
	read("tok-a", 1)
	if calls != 6 {
		t.Errorf("the writer's page 1 was kept: calls = %d, want 6", calls)
	}
}

// TestMemoSeedsPeeksAndForgets: a Memo keeps the first item seeded for a key,
// never loads, and ForgetAll (a write's) drops every item.
func TestMemoSeedsPeeksAndForgets(t *testing.T) {
	m := NewMemo[string, string]()
	inOperation(t, testPolicy(), viewer.Viewer{}, func(ctx context.Context) {
		if _, ok := m.Peek(ctx, "1"); ok {
			t.Error("an empty memo has an item")
		}
		m.Seed(ctx, "1", "first")
		m.Seed(ctx, "1", "second")
		if v, ok := m.Peek(ctx, "1"); !ok || v != "first" {
			t.Errorf("Peek = %q %v, want the first seed", v, ok)
		}
		var stale Stale = m
		stale.ForgetAll(ctx)
		if _, ok := m.Peek(ctx, "1"); ok {
			t.Error("an item survived ForgetAll")
		}
	})
	inOperation(t, testPolicy(), viewer.Viewer{}, func(ctx context.Context) {
		if _, ok := m.Peek(ctx, "1"); ok {
			t.Error("an item outlived its operation")
		}
	})
}

// TestShareByAfterWrapPanics: sharing around a test's wrapper would share
// what the wrapper does; the order is ShareBy, then Wrap.
func TestShareByAfterWrapPanics(t *testing.T) {
	k := Declare(upstream.EndpointRoom, func(context.Context, string, upstream.UserToken) (string, error) { return "", nil })
	k.Wrap(func(f Fetch[string, string]) Fetch[string, string] { return f })
	defer func() {
		if recover() == nil {
			t.Error("ShareBy after Wrap did not panic")
		}
	}()
	k.ShareBy(Sharing{Coalesce: true}, "v1", nil)
}
