package upstream

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Outcome is what an upstream call says about the upstream's load.
type Outcome int

const (
	// Served: an answer came (any status but the overload ones); its round
	// trip time is a sample of the upstream's latency.
	Served Outcome = iota
	// Overloaded: a timeout, a 429, 502, 503 or 504, or no answer at all.
	Overloaded
	// Ignored: the call says nothing (its caller gave up).
	Ignored
)

// Limiter bounds the upstream calls in flight by a limit that follows what the
// upstream sustains, between a floor and a ceiling (the ceiling bounds memory
// and the upstream's exposure; the floor keeps the service probing).
//
// It is a gradient limiter: it compares a short moving average of the round
// trip time of answered calls with a baseline, the mean of the previous few
// seconds. While the average stays within tolerance of the baseline the
// upstream is keeping up, and a limit that is in
// use grows by a fifth of its square root per sample (a healthy day is never capped
// by it); when it rises past that, the limit shrinks in proportion;
// an overloaded call shrinks it by a tenth. A call that finds the limit
// reached waits in a queue (at most the ceiling long), and is shed at once
// (ErrBusy) when the queue is full or its deadline is shorter than the wait
// the queue and the round trip predict: a slow upstream gets fast refusals,
// not a queue of calls that would time out anyway.
type Limiter struct {
	min, max float64
	now      func() time.Time

	mu       sync.Mutex
	limit    float64
	inFlight int
	queue    []chan struct{} // waiters, oldest first
	short    float64         // moving average of the round trip, in seconds
	// The baseline is the mean round trip of the previous window of time (of
	// the current one at first): a slowdown is judged against the recent
	// past, and one that lasts becomes the new normal a window or two later.
	winStart time.Time
	winSum   float64
	winCount int
	baseline float64
	watch    func(limit, queued int)
}

const (
	shortWeight = 0.1             // ~ the last ten samples
	window      = 5 * time.Second // the baseline's window
	tolerance   = 3.0             // the round trip may triple before the limit shrinks
	smoothing   = 0.2             // how far one sample moves the limit toward its target
)

// NewLimiter starts at initial, between floor and ceiling; now is the clock,
// watch (nil: none) hears the limit and the queue's length when they change.
func NewLimiter(floor, initial, ceiling int, now func() time.Time, watch func(limit, queued int)) *Limiter {
	if floor < 1 || initial < floor || ceiling < initial {
		panic("upstream: a Limiter needs 1 <= floor <= initial <= ceiling")
	}
	if watch == nil {
		watch = func(int, int) {}
	}
	watch(initial, 0)
	return &Limiter{min: float64(floor), max: float64(ceiling), limit: float64(initial), now: now, watch: watch}
}

// Acquire admits one call, waiting in the queue if the limit is reached and
// the call can still finish in time. done reports the call's outcome and its
// round trip (0: the time since it was admitted) and ends it; it must be
// called exactly once.
func (l *Limiter) Acquire(ctx context.Context) (done func(Outcome, time.Duration), err error) {
	l.mu.Lock()
	if l.inFlight < int(l.limit) && len(l.queue) == 0 {
		return l.admitLocked(), nil
	}
	// A full queue, or a deadline shorter than the expected wait and a round
	// trip: shed now.
	if len(l.queue) >= int(l.max) || l.doomedLocked(ctx) {
		l.mu.Unlock()
		return nil, ErrBusy
	}
	ch := make(chan struct{})
	l.queue = append(l.queue, ch)
	l.watch(int(l.limit), len(l.queue))
	l.mu.Unlock()
	select {
	case <-ch: // admitted by a call that ended: inFlight already counts it
		return l.doneFunc(l.now()), nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.queue {
			if w == ch {
				l.queue = append(l.queue[:i], l.queue[i+1:]...)
				l.watch(int(l.limit), len(l.queue))
				return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
			}
		}
		// Admitted just as the caller gave up: pass the slot on.
		l.inFlight--
		l.wakeLocked()
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

// TryAcquire admits one call if the limit has room and no call is waiting,
// without waiting itself; done is as Acquire's.
func (l *Limiter) TryAcquire() (done func(Outcome, time.Duration), ok bool) {
	l.mu.Lock()
	if l.inFlight < int(l.limit) && len(l.queue) == 0 {
		return l.admitLocked(), true
	}
	l.mu.Unlock()
	return nil, false
}

// doomedLocked reports a call that would not finish before its deadline:
// the calls ahead of it go through the limit a round trip per limit's worth,
// then it makes its own.
func (l *Limiter) doomedLocked(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	if !ok || l.short == 0 {
		return false
	}
	expected := (float64(len(l.queue))/l.limit + 1) * l.short
	return deadline.Sub(l.now()).Seconds() < expected
}

// admitLocked counts a call in and unlocks.
func (l *Limiter) admitLocked() func(Outcome, time.Duration) {
	l.inFlight++
	l.mu.Unlock()
	return l.doneFunc(l.now())
}

func (l *Limiter) doneFunc(start time.Time) func(Outcome, time.Duration) {
	return func(o Outcome, rtt time.Duration) {
		if rtt <= 0 {
			rtt = l.now().Sub(start)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		// A limit nobody uses must not grow; one with calls waiting is used.
		used := float64(l.inFlight) >= l.limit/2 || len(l.queue) > 0
		l.inFlight--
		l.sampleLocked(o, rtt.Seconds(), used)
		l.wakeLocked()
	}
}

// sampleLocked moves the limit by one call's outcome.
func (l *Limiter) sampleLocked(o Outcome, rtt float64, used bool) {
	before := int(l.limit)
	switch o {
	case Overloaded:
		l.limit = math.Max(l.min, l.limit*0.9)
	case Served:
		if l.short == 0 {
			l.short, l.winStart = rtt, l.now()
		}
		l.short += shortWeight * (rtt - l.short)
		if now := l.now(); now.Sub(l.winStart) >= window {
			l.baseline = l.winSum / float64(l.winCount)
			l.winStart, l.winSum, l.winCount = now, 0, 0
		}
		l.winSum += rtt
		l.winCount++
		baseline := l.baseline
		if baseline == 0 {
			baseline = l.winSum / float64(l.winCount)
		}
		gradient := math.Max(0.5, math.Min(1, tolerance*baseline/l.short))
		target := l.limit * gradient
		if gradient == 1 && used {
			target += math.Sqrt(l.limit)
		}
		l.limit = math.Max(l.min, math.Min(l.max, l.limit+smoothing*(target-l.limit)))
	}
	if int(l.limit) != before {
		l.watch(int(l.limit), len(l.queue))
	}
}

// wakeLocked admits waiters, oldest first, while the limit allows.
func (l *Limiter) wakeLocked() {
	woke := false
	for len(l.queue) > 0 && l.inFlight < int(l.limit) {
		l.inFlight++
		close(l.queue[0])
		l.queue = l.queue[1:]
		woke = true
	}
	if woke {
		l.watch(int(l.limit), len(l.queue))
	}
}
