package guard

import (
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// CallerLimit configures a per-caller token bucket.
type CallerLimit struct {
	PerSecond float64 // sustained calls per second per caller
	Burst     int     // calls a caller may make at once
}

// DefaultCallerLimit is the budget of upstream calls per caller (a token hash,
// else a client IP): a page that asks for a few dozen rooms a second never meets
// it; a script that loops does.
func DefaultCallerLimit() CallerLimit { return CallerLimit{PerSecond: 50, Burst: 200} }

// DefaultBadTokenLimit is the budget, per client IP, of tokens the upstream
// refuses: inventing a new token per request buys no fresh budget.
func DefaultBadTokenLimit() CallerLimit { return CallerLimit{PerSecond: 2, Burst: 20} }

// DefaultRefusalLimit is the budget, per client address, of documents the
// parser, the guard or validation refuse: a client's mistakes fit, a loop that
// makes the service validate costly documents does not.
func DefaultRefusalLimit() CallerLimit { return CallerLimit{PerSecond: 5, Burst: 100} }

// trackedCallers is how many callers' buckets are kept at once. A caller evicted
// and seen again starts with a full bucket, which only errs on the generous side;
// the bound keeps a flood of distinct callers from growing memory.
const trackedCallers = 10_000

// CallerLimits is a token bucket per caller key, in an LRU.
type CallerLimits struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets *lru.Cache[string, *bucket]
}

// bucket is one caller's tokens and the calls that hold a claim on one (Hold).
type bucket struct {
	*rate.Limiter
	held int // guarded by CallerLimits.mu
}

// NewCallerLimits returns buckets of c; now is the clock (time.Now in production).
func NewCallerLimits(c CallerLimit, now func() time.Time) *CallerLimits {
	if c.PerSecond <= 0 || c.Burst <= 0 {
		panic("guard: a CallerLimit needs a positive rate and burst; start from DefaultCallerLimit()")
	}
	buckets, _ := lru.New[string, *bucket](trackedCallers) // only fails for a size <= 0
	return &CallerLimits{rate: rate.Limit(c.PerSecond), burst: c.Burst, now: now, buckets: buckets}
}

// Allows reports whether key's bucket has a call left, without spending it.
func (l *CallerLimits) Allows(key string) error {
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	var held int
	if ok {
		held = b.held
	}
	l.mu.Unlock()
	if !ok {
		return nil
	}
	if tokens := b.TokensAt(l.now()) - float64(held); tokens < 1 {
		return l.limited(tokens)
	}
	return nil
}

// Hold claims one of key's calls for a call whose cost is known only when it
// answers: it is refused, like Take, when the calls already held would spend
// the bucket. release(charge) ends the claim, spending the call only if charge.
// So the budget counts calls in flight, not only answers: a thousand calls
// sent at once cannot all pass a check made before any of them answered.
func (l *CallerLimits) Hold(key string) (release func(charge bool), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(key)
	if tokens := b.TokensAt(l.now()) - float64(b.held); tokens < 1 {
		return nil, l.limited(tokens)
	}
	b.held++
	return func(charge bool) {
		l.mu.Lock()
		defer l.mu.Unlock()
		b.held--
		if charge {
			b.ReserveN(l.now(), 1) // spends even what others took meanwhile: the bucket goes into debt
		}
	}, nil
}

func (l *CallerLimits) bucketLocked(key string) *bucket {
	b, ok := l.buckets.Get(key)
	if !ok {
		b = &bucket{Limiter: rate.NewLimiter(l.rate, l.burst)}
		l.buckets.Add(key, b)
	}
	return b
}

// Take spends one call from key's bucket, or says how long to wait. AllowN, not
// a reservation: concurrent callers that are refused leave the bucket exactly as
// it was.
func (l *CallerLimits) Take(key string) error {
	l.mu.Lock()
	b := l.bucketLocked(key)
	l.mu.Unlock()
	now := l.now()
	if b.AllowN(now, 1) {
		return nil
	}
	return l.limited(b.TokensAt(now))
}

// limited is the refusal for a bucket holding tokens (< 1): retry once one
// whole token has come back, in whole seconds.
func (l *CallerLimits) limited(tokens float64) error {
	wait := (1 - tokens) / float64(l.rate)
	return &errcode.LimitedError{
		Code:       errcode.RateLimited,
		Msg:        "too many upstream calls from this caller; retry later",
		RetryAfter: time.Duration(math.Ceil(wait)) * time.Second,
	}
}
