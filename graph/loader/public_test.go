package loader

import (
	"context"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// TestPublicSharingIsForCallersWithoutATokenOnly: callers without a token
// share one copy; a signed-in viewer (with no sharing of its own) never reads
// it, and the public copy never holds a viewer's answer.
func TestPublicSharingIsForCallersWithoutATokenOnly(t *testing.T) {
	rec := &shareRecorder{}
	fetch := Share(upstream.EndpointRoom, func(_ context.Context, id string, token upstream.UserToken) (string, error) {
		rec.mu.Lock()
		rec.calls++
		rec.mu.Unlock()
		return asViewer(id, token), nil
	}, SharingOptions[string]{OnShare: rec.onShare,
		Public: PublicOptions[string]{Coalesce: true, Cache: NewMemoryGenCache[string](16, time.Minute)}}).Fetch
	for i, token := range []upstream.UserToken{"", "tok-a", "", "tok-a", ""} {
		if got, err := fetch(t.Context(), "7", token); err != nil || got != asViewer("7", token) {
			t.Fatalf("lookup %d as %q = %q, %v; want %q", i, string(token), got, err, asViewer("7", token))
		}
	}
	calls, shared := rec.counts()
	// One call for the three anonymous lookups; one per lookup for tok-a.
	if calls != 3 || len(shared) != 2 {
		t.Errorf("%d calls, shared %v; want 3 calls and 2 lookups served from the public copy", calls, shared)
	}
}

// TestAWriteDropsThePublicCopies: ForgetPublic drops every public copy (a
// new generation), including one being fetched while it happened.
func TestAWriteDropsThePublicCopies(t *testing.T) {
	rec := &shareRecorder{}
	var during func()
	s := Share(upstream.EndpointRoom, func(_ context.Context, id string, _ upstream.UserToken) (string, error) {
		rec.mu.Lock()
		rec.calls++
		n := rec.calls
		rec.mu.Unlock()
		if during != nil {
			during()
		}
		return id + " #" + string(rune('0'+n)), nil
	}, SharingOptions[string]{OnShare: rec.onShare, Public: PublicOptions[string]{Cache: NewMemoryGenCache[string](16, time.Minute)}})
	get := func(id string) string {
		t.Helper()
		v, err := s.Fetch(t.Context(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if a, b := get("7"), get("7"); a != "7 #1" || b != a {
		t.Fatalf("first lookups %q, %q; want the second served from the copy", a, b)
	}
	s.ForgetPublic(t.Context())
	if got := get("7"); got != "7 #2" {
		t.Fatalf("after ForgetPublic: %q, want a fresh call", got)
	}
	get("8")
	s.ForgetPublic(t.Context())
	if got := get("8"); got != "8 #4" {
		t.Fatalf("after a second ForgetPublic: %q, want a fresh call", got)
	}
	// A write while a lookup is under way: what it brings is not kept.
	during = func() { during = nil; s.ForgetPublic(t.Context()) }
	if got := get("9"); got != "9 #5" {
		t.Fatalf("got %q", got)
	}
	if got := get("9"); got != "9 #6" {
		t.Errorf("a lookup that a write overtook was kept: %q, want a fresh call", got)
	}
}

// TestSharedKeysKeepEveryField: two feed queries that differ only in their
// filter (an unexported field) never share an entry.
func TestSharedKeysKeepEveryField(t *testing.T) {
	q := func(verse int) upstream.FeedQuery {
		f := upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 2, From: verse, To: verse}}}
		fq, err := upstream.NewFeedQuery(f, upstream.FeedTabQDC, upstream.PostSortLatest, nil)
		if err != nil {
			t.Fatal(err)
		}
		return fq.AtPage(1, 20)
	}
	if a, b := sharedKey(q(255)), sharedKey(q(256)); a == b {
		t.Fatalf("the feeds of 2:255 and 2:256 share the key %s", a)
	}
	if a, b := sharedKey(q(255)), sharedKey(q(255)); a != b {
		t.Errorf("one query, two keys: %s, %s", a, b)
	}
}
