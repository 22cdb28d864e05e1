package guard

import (
	"context"
	"sync"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// ShareWait is how long a call over its caller's share waits for one of the
// caller's own calls to end before it is shed: about one slow upstream round
// trip, so a burst on a healthy day waits, and a flood against a slow upstream
// is shed rather than queued.
const ShareWait = time.Second

// Shares caps the upstream calls any one caller (a CallerKey) has in flight at
// once, so that one caller's flood cannot hold every upstream slot while other
// callers wait: a call over its share waits up to ShareWait for one of the
// caller's own calls to end, then is shed with RATE_LIMITED.
type Shares struct {
	size int
	wait time.Duration

	mu     sync.Mutex
	shares map[string]*share // only callers with calls in flight or waiting
}

type share struct {
	slots chan struct{}
	users int // calls holding or waiting for a slot; guarded by Shares.mu
}

// NewShares returns shares of size calls each; a call waits up to wait for
// one.
func NewShares(size int, wait time.Duration) *Shares {
	if size < 1 {
		panic("guard: a caller's share must be at least one call")
	}
	return &Shares{size: size, wait: wait, shares: map[string]*share{}}
}

// Acquire takes one of key's slots, waiting up to the share's wait; release
// gives it back.
func (s *Shares) Acquire(ctx context.Context, key string) (release func(), err error) {
	s.mu.Lock()
	sh := s.shares[key]
	if sh == nil {
		sh = &share{slots: make(chan struct{}, s.size)}
		s.shares[key] = sh
	}
	sh.users++
	s.mu.Unlock()
	release = func() { <-sh.slots; s.leave(key, sh) }
	select {
	case sh.slots <- struct{}{}:
		return release, nil
	default:
	}
	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	select {
	case sh.slots <- struct{}{}:
		return release, nil
	case <-timer.C:
		s.leave(key, sh)
		return nil, &errcode.LimitedError{Code: errcode.RateLimited,
			Msg: "this caller has too many upstream calls in flight; retry later", RetryAfter: time.Second}
	case <-ctx.Done():
		s.leave(key, sh)
		return nil, ctx.Err()
	}
}

func (s *Shares) leave(key string, sh *share) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.users--; sh.users == 0 {
		delete(s.shares, key)
	}
}

// InFlight is how many callers have calls in flight or waiting (for tests and
// metrics): the map never outgrows them.
func (s *Shares) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.shares)
}
