package upstream

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// simClock is a clock the test moves.
type simClock struct{ t time.Time }

func (c *simClock) now() time.Time          { return c.t }
func (c *simClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// round fills the limit with calls, lets d pass, and ends them all with o:
// one wave of a closed-loop load on an upstream answering in d.
func round(t *testing.T, l *Limiter, clk *simClock, d time.Duration, o Outcome) {
	t.Helper()
	var dones []func(Outcome, time.Duration)
	for range l.Limit() {
		done, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatalf("Acquire within the limit: %v", err)
		}
		dones = append(dones, done)
	}
	clk.advance(d)
	for _, done := range dones {
		done(o, 0)
	}
}

// TestLimiterFollowsTheUpstream: on a healthy upstream the limit grows to the
// ceiling; when the upstream's latency rises twentyfold it falls to the floor
// region within a few waves; overloads shrink it; when the upstream is healthy
// again it grows back by itself.
func TestLimiterFollowsTheUpstream(t *testing.T) {
	clk := &simClock{t: time.Unix(0, 0)}
	var seen []int
	l := NewLimiter(4, 16, 1024, clk.now, func(limit, _ int) { seen = append(seen, limit) })

	for range 15 {
		round(t, l, clk, 50*time.Millisecond, Served)
	}
	if got := l.Limit(); got != 1024 {
		t.Fatalf("after 15 healthy waves the limit is %d, want the ceiling 1024", got)
	}
	if len(seen) == 0 || seen[len(seen)-1] != 1024 {
		t.Errorf("the watcher saw %v, want it to end at 1024", seen)
	}

	// The upstream slows to 1 s: a few waves bring the limit down.
	for range 3 {
		round(t, l, clk, time.Second, Served)
	}
	if got := l.Limit(); got > 16 {
		t.Errorf("after 3 slow waves the limit is %d, want at most 16", got)
	}

	// Overloads (timeouts, 503s) shrink it to the floor, never below.
	for range 50 {
		done, _ := l.Acquire(context.Background())
		done(Overloaded, 0)
	}
	if got := l.Limit(); got != 4 {
		t.Errorf("after 50 overloads the limit is %d, want the floor 4", got)
	}

	// Healthy again: back to the ceiling by itself.
	for range 30 {
		round(t, l, clk, 50*time.Millisecond, Served)
	}
	if got := l.Limit(); got != 1024 {
		t.Errorf("after the upstream recovered the limit is %d, want 1024", got)
	}
}

// TestLimiterTakesALastingSlowdownAsTheNewNormal: an upstream that slows to
// 1 s and stays there first brings the limit down; once a whole window (5 s)
// of the new round trips has passed, they are the baseline, and the limit
// grows again to carry the load at the new latency.
func TestLimiterTakesALastingSlowdownAsTheNewNormal(t *testing.T) {
	clk := &simClock{t: time.Unix(0, 0)}
	l := NewLimiter(4, 16, 1024, clk.now, nil)
	for range 15 {
		round(t, l, clk, 50*time.Millisecond, Served)
	}
	for range 3 {
		round(t, l, clk, time.Second, Served)
	}
	low := l.Limit()
	if low > 16 {
		t.Fatalf("after 3 slow waves the limit is %d, want at most 16", low)
	}
	for range 27 {
		round(t, l, clk, time.Second, Served)
	}
	if got := l.Limit(); got < 256 {
		t.Errorf("30 s into a lasting slowdown the limit is %d (%d after it began), want it grown back past 256", got, low)
	}
}

// TestLimiterDoesNotGrowUnused: a limit nobody comes near stays where it is,
// so a quiet hour does not leave it at the ceiling for the next slow one.
func TestLimiterDoesNotGrowUnused(t *testing.T) {
	clk := &simClock{t: time.Unix(0, 0)}
	l := NewLimiter(4, 64, 1024, clk.now, nil)
	for range 1000 {
		done, _ := l.Acquire(context.Background())
		clk.advance(10 * time.Millisecond)
		done(Served, 0)
	}
	if got := l.Limit(); got != 64 {
		t.Errorf("one call at a time moved the limit to %d, want 64", got)
	}
}

// TestLimiterQueuesBrieflyAndSheds: a call over the limit waits for one to
// end; the queue holds at most the ceiling; a call whose deadline is shorter
// than a round trip is shed at once; ignored outcomes move nothing.
func TestLimiterQueuesBrieflyAndSheds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock: a deadline from it is in the future for the
		// context too, so a call shed "at once" is told from one that waited.
		clk := &simClock{t: time.Now()}
		l := NewLimiter(1, 2, 2, clk.now, nil)
		a, _ := l.Acquire(t.Context())
		b, _ := l.Acquire(t.Context())
		clk.advance(100 * time.Millisecond)
		a(Served, 0) // a round trip of 100 ms is known from now on
		a, _ = l.Acquire(t.Context())

		admitted := make(chan error, 2)
		for range 2 {
			go func() {
				done, err := l.Acquire(context.Background())
				if err == nil {
					defer done(Ignored, 0)
				}
				admitted <- err
			}()
		}
		synctest.Wait()
		if q := l.Queued(); q != 2 {
			t.Fatalf("%d calls queued, want 2", q)
		}
		if _, err := l.Acquire(t.Context()); !errors.Is(err, ErrBusy) {
			t.Errorf("a call with the queue full: %v, want ErrBusy at once", err)
		}
		b(Ignored, 0)
		a(Ignored, 0)
		for range 2 {
			if err := <-admitted; err != nil {
				t.Errorf("a queued call: %v, want admitted when a call ended", err)
			}
		}

		// A deadline shorter than the 100 ms round trip: shed without waiting.
		a, _ = l.Acquire(t.Context())
		b, _ = l.Acquire(t.Context())
		ctx, cancel := context.WithDeadline(t.Context(), clk.now().Add(50*time.Millisecond))
		defer cancel()
		start := time.Now()
		if _, err := l.Acquire(ctx); !errors.Is(err, ErrBusy) || ctx.Err() != nil || time.Since(start) != 0 {
			t.Errorf("a call that cannot finish in time: %v after %v, want ErrBusy at once", err, time.Since(start))
		}
		// A waiter whose caller leaves frees its place.
		ctx, cancel = context.WithCancel(t.Context())
		gone := make(chan error)
		go func() { _, err := l.Acquire(ctx); gone <- err }()
		synctest.Wait()
		cancel()
		if err := <-gone; !errors.Is(err, ErrBusy) || l.Queued() != 0 {
			t.Errorf("a waiter that gave up: %v, %d still queued", err, l.Queued())
		}
		a(Ignored, 0)
		b(Ignored, 0)
		if got := l.Limit(); got != 2 {
			t.Errorf("the limit moved to %d on ignored outcomes", got)
		}
	})
}

func TestNewLimiterPanics(t *testing.T) {
	for _, c := range [][3]int{{0, 1, 2}, {2, 1, 4}, {1, 8, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewLimiter%v did not panic", c)
				}
			}()
			NewLimiter(c[0], c[1], c[2], time.Now, nil)
		}()
	}
}

// Limit is the current limit (for the tests: the service exports it through
// the Observer).
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
}

// Queued is how many calls wait for a slot.
func (l *Limiter) Queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}
