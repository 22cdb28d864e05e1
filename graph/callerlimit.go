package graph

import (
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// callerLimits is the per-caller budget of upstream calls: a token bucket per
// caller key (a hash of the viewer's token, else the client's IP). Buckets live in
// an LRU so that a flood of distinct callers cannot grow memory without bound; a
// caller evicted and seen again starts with a full bucket, which only errs on the
// generous side.
type callerLimits struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets *lru.Cache[string, *rate.Limiter]
}

// CallerLimit configures the per-caller limit on upstream calls.
type CallerLimit struct {
	PerSecond float64 // sustained upstream calls per second per caller (default 50)
	Burst     int     // calls a caller may make at once (default 200)
	Callers   int     // callers tracked at once (default 10,000)
}

func newCallerLimits(c CallerLimit, now func() time.Time) *callerLimits {
	if c.PerSecond <= 0 {
		c.PerSecond = 50
	}
	if c.Burst <= 0 {
		c.Burst = 200
	}
	if c.Callers <= 0 {
		c.Callers = 10_000
	}
	buckets, _ := lru.New[string, *rate.Limiter](c.Callers) // only fails for a size <= 0
	return &callerLimits{rate: rate.Limit(c.PerSecond), burst: c.Burst, now: now, buckets: buckets}
}

// errCallerLimited is a call refused by the caller's own limit.
type errCallerLimited struct{ retryAfter time.Duration }

func (e *errCallerLimited) Error() string {
	return "graph: caller over its upstream call limit; retry after " + e.retryAfter.String()
}

// allows reports whether key's bucket has a call left, without spending it.
func (l *callerLimits) allows(key string) error {
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	if tokens := b.TokensAt(l.now()); tokens < 1 {
		return l.limited(tokens)
	}
	return nil
}

// take spends one upstream call from key's bucket, or says how long to wait.
// AllowN, not a reservation: concurrent callers that are refused leave the
// bucket exactly as it was.
func (l *callerLimits) take(key string) error {
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	now := l.now()
	if b.AllowN(now, 1) {
		return nil
	}
	return l.limited(b.TokensAt(now))
}

// limited is the refusal for a bucket holding tokens (< 1): retry once one
// whole token has come back, in whole seconds.
func (l *callerLimits) limited(tokens float64) error {
	wait := (1 - tokens) / float64(l.rate)
	return &errCallerLimited{retryAfter: time.Duration(math.Ceil(wait)) * time.Second}
}
