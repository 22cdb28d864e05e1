package guard

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// Verdict is what one upstream call proved about the token it carried.
type Verdict int

const (
	// Unsettled: the call proved nothing (a timeout, a 5xx, a transport error).
	Unsettled Verdict = iota
	// Accepted: the upstream answered the token with anything but a 401.
	Accepted
	// Refused: the upstream answered 401.
	Refused
)

// DefaultProofTTL is how long a token the upstream accepted keeps its own
// budget without being proven again. Access tokens live about an hour; a
// revoked one is forgotten at its first 401, whatever this says.
const DefaultProofTTL = 10 * time.Minute

// refusalTTL is how long a token the upstream refused is answered as refused
// without another call: the calls of its first request that came after its
// probe's answer, and an invented token sent again and again.
const refusalTTL = 10 * time.Second

// trackedProofs bounds the tokens remembered as proven; one evicted is proven
// again by its next call, which costs it a round trip, nothing else.
const trackedProofs = 50_000

// Proofs remembers, by hash and briefly, which tokens the upstream has
// accepted. A token counts as a caller of its own only once it is proven: until
// then its calls, registrations and refusals count against its client
// address, so inventing tokens buys no fresh budget and a flood of invented
// tokens cannot block a token the upstream has accepted. One call per unproven
// token goes first (the probe); the token's other calls wait for its verdict,
// so an invented token costs the upstream one call however many it sends.
type Proofs struct {
	ttl     time.Duration
	now     func() time.Time
	proven  *lru.Cache[string, time.Time] // token key → until
	refused *lru.Cache[string, time.Time] // token key → until

	mu      sync.Mutex
	probing map[string]*probe
}

type probe struct {
	done    chan struct{}
	verdict Verdict
}

// NewProofs returns an empty set of proofs, each kept for ttl; now is the
// clock (time.Now in production).
func NewProofs(ttl time.Duration, now func() time.Time) *Proofs {
	if ttl <= 0 {
		panic("guard: a proof needs a positive lifetime; start from DefaultProofTTL")
	}
	proven, _ := lru.New[string, time.Time](trackedProofs) // only fails for a size <= 0
	refused, _ := lru.New[string, time.Time](trackedProofs)
	return &Proofs{ttl: ttl, now: now, proven: proven, refused: refused, probing: map[string]*probe{}}
}

// Proven reports whether v's token is proven: the upstream accepted it, or it
// is a signed-in session's. An anonymous viewer has none to prove and is its
// address.
func (p *Proofs) Proven(v viewer.Viewer) bool {
	if v.Anonymous() {
		return false
	}
	if v.Vouched() {
		return true // a session's token: the service got it from the provider itself
	}
	until, ok := p.proven.Get(v.Key)
	return ok && p.now().Before(until)
}

// CallerKey names whose budget v's calls spend: a proven token's own, else its
// client address's (anonymous callers', and unproven tokens').
func (p *Proofs) CallerKey(v viewer.Viewer) string {
	if p.Proven(v) {
		return v.Key
	}
	return v.IP
}

// Await returns at once for an anonymous viewer or a proven token (settle
// nil). For an unproven one,
// it either makes this call the token's probe (settle non-nil: call it with the
// call's verdict, exactly once) or waits for the probe under way: a verdict of
// Accepted returns as proven, Refused as ErrRefused, and Unsettled lets the
// waiters try again, one of them as the next probe. A token refused in the
// last refusalTTL is refused at once.
func (p *Proofs) Await(ctx context.Context, v viewer.Viewer) (settle func(Verdict), err error) {
	if v.Anonymous() {
		return nil, nil
	}
	for {
		if p.Proven(v) {
			return nil, nil
		}
		if until, ok := p.refused.Get(v.Key); ok && p.now().Before(until) {
			return nil, ErrRefused
		}
		p.mu.Lock()
		pr, waiting := p.probing[v.Key]
		if !waiting {
			pr = &probe{done: make(chan struct{})}
			p.probing[v.Key] = pr
			p.mu.Unlock()
			return func(verdict Verdict) { p.settle(v.Key, pr, verdict) }, nil
		}
		p.mu.Unlock()
		select {
		case <-pr.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		switch pr.verdict {
		case Accepted:
			return nil, nil
		case Refused:
			return nil, ErrRefused
		}
	}
}

func (p *Proofs) settle(key string, pr *probe, verdict Verdict) {
	switch verdict {
	case Accepted:
		p.proven.Add(key, p.now().Add(p.ttl))
		p.refused.Remove(key)
	case Refused:
		p.refused.Add(key, p.now().Add(refusalTTL))
	}
	p.mu.Lock()
	delete(p.probing, key)
	p.mu.Unlock()
	pr.verdict = verdict
	close(pr.done)
}

// Forget drops v's proof: its token was refused after all (it expired or was
// revoked), so its next call proves it again.
func (p *Proofs) Forget(v viewer.Viewer) {
	if !v.Anonymous() {
		p.proven.Remove(v.Key)
	}
}

// ErrRefused is the answer to the calls that waited for a probe the upstream
// answered 401: the token is not valid, and they are not made.
var ErrRefused = errRefused{}

type errRefused struct{}

func (errRefused) Error() string { return "the upstream refused this token" }
