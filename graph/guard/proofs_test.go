package guard

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

func tokenViewer(token, ip string) viewer.Viewer {
	t := upstream.UserToken(token)
	return viewer.Viewer{Token: t, Key: viewer.TokenKey(t), IP: ip}
}

// TestProofs: a token spends its address's budget until the upstream accepts
// it, then its own, until the proof expires or the token is refused.
func TestProofs(t *testing.T) {
	clock := newFakeClock()
	p := NewProofs(time.Minute, clock.Now)
	v := tokenViewer("tok", "ip:1")
	if got := p.CallerKey(v); got != "ip:1" {
		t.Errorf("an unproven token's caller = %q, want its address", got)
	}
	if got := p.CallerKey(viewer.Viewer{Key: "ip:2", IP: "ip:2"}); got != "ip:2" {
		t.Errorf("an anonymous viewer's caller = %q, want its address", got)
	}
	if settle, err := p.Await(t.Context(), viewer.Viewer{Key: "ip:2", IP: "ip:2"}); settle != nil || err != nil {
		t.Errorf("an anonymous viewer has nothing to prove: settle %v, err %v", settle != nil, err)
	}
	settle, err := p.Await(t.Context(), v)
	if settle == nil || err != nil {
		t.Fatalf("first call: settle %v, err %v; want the probe", settle != nil, err)
	}
	settle(Accepted)
	if got := p.CallerKey(v); got != v.Key {
		t.Errorf("a proven token's caller = %q, want its own key", got)
	}
	if settle, err := p.Await(t.Context(), v); settle != nil || err != nil {
		t.Errorf("a proven token probes again: settle %v, err %v", settle != nil, err)
	}
	clock.Advance(time.Minute)
	if p.Proven(v) {
		t.Error("a proof outlived its lifetime")
	}
	settle, _ = p.Await(t.Context(), v)
	settle(Accepted)
	p.Forget(v)
	if p.Proven(v) {
		t.Error("a forgotten token is still proven")
	}

	// A refused token is refused again without a call for a while, then
	// probed again.
	w := tokenViewer("invented", "ip:1")
	settle, _ = p.Await(t.Context(), w)
	settle(Refused)
	if s, err := p.Await(t.Context(), w); s != nil || err != ErrRefused {
		t.Errorf("a token just refused: probe %v, err %v; want ErrRefused", s != nil, err)
	}
	clock.Advance(refusalTTL)
	if s, err := p.Await(t.Context(), w); s == nil || err != nil {
		t.Errorf("a token refused long ago: probe %v, err %v; want a probe", s != nil, err)
	} else {
		s(Unsettled)
	}
}

// TestProofsWaitersShareTheVerdict: while a token's probe is out, its other
// calls wait, then share the verdict; an unsettled probe passes the turn.
func TestProofsWaitersShareTheVerdict(t *testing.T) {
	for _, tt := range []struct {
		verdict Verdict
		want    error // the waiter's
	}{
		{Accepted, nil},
		{Refused, ErrRefused},
	} {
		synctest.Test(t, func(t *testing.T) {
			p := NewProofs(time.Minute, time.Now)
			v := tokenViewer("tok", "ip:1")
			settle, _ := p.Await(t.Context(), v)
			probe, err := false, error(nil)
			go func() {
				s, e := p.Await(t.Context(), v)
				probe, err = s != nil, e
			}()
			synctest.Wait() // the second call waits for the probe
			settle(tt.verdict)
			synctest.Wait()
			if probe || err != tt.want {
				t.Errorf("verdict %d: the waiter got probe %v, err %v; want %v", tt.verdict, probe, err, tt.want)
			}
		})
	}

	synctest.Test(t, func(t *testing.T) {
		p := NewProofs(time.Minute, time.Now)
		v := tokenViewer("tok", "ip:1")
		settle, _ := p.Await(t.Context(), v)
		var next func(Verdict)
		go func() { next, _ = p.Await(t.Context(), v) }()
		synctest.Wait()
		settle(Unsettled)
		synctest.Wait()
		if next == nil {
			t.Fatal("after an unsettled probe, the waiter did not become the next probe")
		}
		next(Accepted)

		// A waiter whose request goes away stops waiting.
		w := tokenViewer("other", "ip:1")
		settle, _ = p.Await(t.Context(), w)
		defer settle(Unsettled)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := p.Await(ctx, w); !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled waiter: %v", err)
		}
	})
}

// TestCallerLimitsHold: calls in flight hold the bucket; only the ones the
// release charges spend it.
func TestCallerLimitsHold(t *testing.T) {
	l := NewCallerLimits(CallerLimit{PerSecond: 1, Burst: 2}, newFakeClock().Now)
	r1, err := l.Hold("a")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := l.Hold("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Hold("a"); err == nil {
		t.Fatal("a third call in flight passed a budget of 2")
	}
	rateLimited(t, l.Allows("a"))
	r1(false) // accepted: costs nothing
	r3, err := l.Hold("a")
	if err != nil {
		t.Fatalf("after an uncharged release: %v", err)
	}
	r2(true)
	r3(true)
	rateLimited(t, l.Take("a"))
	if _, err := l.Hold("b"); err != nil {
		t.Errorf("another key: %v", err)
	}
}

// TestShares: a caller holds at most its share of calls; one more waits for
// one of its own to end, or is shed; other callers are not affected; the map
// keeps only callers with calls.
func TestShares(t *testing.T) {
	synctest.Test(t, testShares)
}

func testShares(t *testing.T) {
	s := NewShares(2, time.Hour)
	r1, _ := s.Acquire(t.Context(), "a")
	r2, _ := s.Acquire(t.Context(), "a")
	if rb, err := s.Acquire(t.Context(), "b"); err != nil {
		t.Fatalf("another caller: %v", err)
	} else {
		rb()
	}
	got := make(chan error)
	go func() {
		r, err := s.Acquire(t.Context(), "a")
		if err == nil {
			r()
		}
		got <- err
	}()
	synctest.Wait() // the third call waits
	select {
	case err := <-got:
		t.Fatalf("a call over the share did not wait: %v", err)
	default:
	}
	r1()
	if err := <-got; err != nil {
		t.Errorf("the waiter, once a call ended: %v", err)
	}
	r2()
	if n := s.InFlight(); n != 0 {
		t.Errorf("%d callers kept after every call ended", n)
	}

	shed := NewShares(1, 0)
	r, _ := shed.Acquire(t.Context(), "a")
	rateLimited(t, func() error { _, err := shed.Acquire(t.Context(), "a"); return err }())
	r()
	if n := shed.InFlight(); n != 0 {
		t.Errorf("%d callers kept after a shed call", n)
	}
}
