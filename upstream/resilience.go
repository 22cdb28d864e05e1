package upstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// What the call path needs to survive a sick upstream: which failures to retry,
// which to count against the host, how long to wait, and how to tell a caller who
// gave up from a host that did not answer.

// retryable: for a read, the statuses the provider says to retry and transport
// errors; for a write, only what says the upstream did not run it.
func retryable(ep Endpoint, err error) bool {
	if ep.Write {
		return notRun(err)
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBusy)
}

// notRun reports whether a failed attempt certainly did not reach the upstream's
// handler: no connection was made (refused, no route, no such host), or the
// gateway refused it before passing it on (429: rate limited; 503: unavailable).
func notRun(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == http.StatusTooManyRequests || se.Status == http.StatusServiceUnavailable
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// hostFailure: what the circuit breaker counts against the upstream host.
func hostFailure(err error) bool {
	if err == nil || errors.Is(err, ErrMalformed) || errors.Is(err, ErrBusy) || errors.As(err, new(*callerGone)) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	return true // refused, reset, timed out
}

// backoff is exponential with full jitter: a random wait up to base·2^retry.
func (c *Client) backoff(retry int) time.Duration {
	ceiling := min(c.cfg.BackoffBase<<retry, c.cfg.BackoffMax)
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// callerGone wraps the error of an attempt whose caller had already gone.
type callerGone struct{ err error }

func (e *callerGone) Error() string { return e.err.Error() }
func (e *callerGone) Unwrap() error { return e.err }

func unwrapGone(err error) error {
	var g *callerGone
	if errors.As(err, &g) {
		return g.err
	}
	return err
}

// errorKind names an attempt's failure for a span's status, without details
// that could carry anything from the upstream body.
func errorKind(err error) string {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return http.StatusText(se.Status)
	case errors.Is(err, ErrMalformed):
		return "malformed response"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "transport error"
}

// budget bounds one call, retries and waits included. Its deadline is kept as
// a time, and becomes a context only for what waits on it (a slot in the
// limiter's queue, the service's token, a backoff): a call admitted at once
// and answered makes one context, its attempt's.
type budget struct {
	parent   context.Context
	deadline time.Time
	ctx      context.Context // made on first need
	cancel   context.CancelFunc
}

func newBudget(parent context.Context, d time.Duration) *budget {
	b := &budget{parent: parent, deadline: time.Now().Add(d)}
	if dl, ok := parent.Deadline(); ok && dl.Before(b.deadline) {
		b.deadline = dl
	}
	return b
}

// context is the budget as a context.
func (b *budget) context() context.Context {
	if b.ctx == nil {
		b.ctx, b.cancel = context.WithDeadline(b.parent, b.deadline)
	}
	return b.ctx
}

// waitable is the budget as a context that makes its context() only when
// something asks for Done: for a call that waits only sometimes (the
// service's token, which is almost always at hand).
func (b *budget) waitable() context.Context { return lazyBudget{b} }

type lazyBudget struct{ b *budget }

func (l lazyBudget) Deadline() (time.Time, bool) { return l.b.deadline, true }
func (l lazyBudget) Done() <-chan struct{}       { return l.b.context().Done() }
func (l lazyBudget) Value(key any) any           { return l.b.parent.Value(key) }
func (l lazyBudget) Err() error {
	switch {
	case l.b.ctx != nil:
		return l.b.ctx.Err()
	case l.b.parent.Err() != nil:
		return l.b.parent.Err()
	case !time.Now().Before(l.b.deadline):
		return context.DeadlineExceeded
	}
	return nil
}

// spent reports that the caller gave up or the budget ran out.
func (b *budget) spent() bool {
	return b.parent.Err() != nil || !time.Now().Before(b.deadline)
}

// end releases the budget's context, if it made one.
func (b *budget) end() {
	if b.cancel != nil {
		b.cancel()
	}
}
