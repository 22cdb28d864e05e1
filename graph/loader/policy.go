package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The policy: what every upstream call of an operation goes through, whichever
// loader or write makes it (the proofs of tokens, the refused-token budget of
// the client's address, the operation's allowance, the caller's budget and share
// of calls in flight, and the renewal of a session's refused token).

// Policy is what every loader applies to every upstream call, whatever it loads.
type Policy struct {
	Logger *slog.Logger
	// Callers is the per-caller budget: each upstream call spends one.
	Callers *guard.CallerLimits
	// BadTokens is a per-address budget of tokens the upstream refused,
	// counting the unproven ones in flight: a caller that invents tokens gets
	// no fresh budget, and no more probes at once than the budget holds.
	BadTokens *guard.CallerLimits
	// Proofs are the tokens the upstream has accepted: only those spend a
	// budget of their own; the others spend their address's.
	Proofs *guard.Proofs
	// Shares caps the calls one caller has in flight (nil: no cap but the
	// upstream client's).
	Shares  *guard.Shares
	Metrics *telemetry.Metrics // nil: none
	Tracer  trace.Tracer
	// Concurrency bounds the upstream calls one batch makes at once.
	Concurrency int
	// MaxCalls bounds the upstream calls of one operation, counted where they
	// are made, whatever field led to them.
	MaxCalls int
}

// token is the token the operation's calls carry: its viewer's, or the one a
// session renewed it with.
func (op *operation) token() upstream.UserToken {
	op.callsMu.Lock()
	defer op.callsMu.Unlock()
	if op.renewed != "" {
		return op.renewed
	}
	return op.viewer.Token
}

// tokens are the tokens the operation's shared copies may be keyed by: its
// viewer's, and the one a session renewed it with, if any.
func (op *operation) tokens() []upstream.UserToken {
	if t := op.token(); t != op.viewer.Token {
		return []upstream.UserToken{op.viewer.Token, t}
	}
	return []upstream.UserToken{op.viewer.Token}
}

func (op *operation) setToken(t upstream.UserToken) {
	op.callsMu.Lock()
	defer op.callsMu.Unlock()
	op.renewed = t
}

// spend admits one upstream call: within the operation's allowance, then the
// caller's budget. Both are decided together, so that a call the budget refuses
// is no call (the allowance is intact, and the client learns RATE_LIMITED with
// its retryAfter), and concurrent calls never see each other's refusals.
func (op *operation) spend(caller string) error {
	op.callsMu.Lock()
	defer op.callsMu.Unlock()
	if op.calls >= op.policy.MaxCalls {
		return &errcode.LimitedError{Code: errcode.TooManyCalls,
			Msg: fmt.Sprintf("an operation may make at most %d upstream calls", op.policy.MaxCalls)}
	}
	if err := op.policy.Callers.Take(caller); err != nil {
		return err
	}
	op.calls++
	return nil
}

// Write makes one upstream call that no loader makes (a write), under the
// policy of every upstream call: the refused-token budget of the client's
// address, the operation's allowance and the caller's budget, and the charge
// for a token the upstream refuses.
func Write(ctx context.Context, ep upstream.Endpoint, write func(ctx context.Context, as upstream.UserToken) error) error {
	op := operationFrom(ctx)
	ctx, span := op.policy.Tracer.Start(ctx, ep.Name, trace.WithAttributes(attribute.String("loader.endpoint", ep.Name)))
	defer span.End()
	return op.call(ctx, func(as upstream.UserToken) error { return write(ctx, as) })
}

// call admits one upstream call and makes it as the operation's viewer. An
// unproven token's call is its probe, held against its address's refused-token
// budget until it answers, or waits for the probe under way; the call spends
// the caller's budget (the address's until the token is proven) and one of the
// caller's share of calls in flight.
func (op *operation) call(ctx context.Context, do func(as upstream.UserToken) error) (err error) {
	p, v := op.policy, op.viewer
	settle, err := p.Proofs.Await(ctx, v)
	if errors.Is(err, guard.ErrRefused) {
		return &upstream.StatusError{Status: http.StatusUnauthorized, Message: "refused at another call with this token"}
	} else if err != nil {
		return err
	}
	verdict := guard.Unsettled
	if settle != nil {
		release, err := p.BadTokens.Hold(v.IP)
		if err != nil {
			settle(guard.Unsettled)
			return err
		}
		defer func() { release(verdict == guard.Refused); settle(verdict) }()
	}
	// Whose budget: Await has settled it (no second lookup of the proof). A
	// probe's is its address's; a token that needed none, or whose probe was
	// accepted, is proven.
	caller := v.Key
	if settle != nil {
		caller = v.IP
	}
	if err := op.spend(caller); err != nil {
		return err
	}
	// The call holds one of its caller's share of calls in flight while it is
	// made, not while a session renews its token.
	shared := func(as upstream.UserToken) error {
		if p.Shares != nil {
			release, err := p.Shares.Acquire(ctx, caller)
			if err != nil {
				return err
			}
			defer release()
		}
		err := do(as)
		op.noteSent(err)
		return err
	}
	token := op.token()
	err = shared(token)
	if v.Anonymous() {
		return err
	}
	verdict = verdictOf(err)
	switch {
	case verdict == guard.Refused && v.Vouched():
		// A session's token expired or was revoked early: the session renews
		// it (once for all its requests) and the call is made again, once.
		renewed, rerr := v.Renew(ctx, token)
		if rerr != nil {
			return rerr
		}
		op.setToken(renewed)
		// The call made again is a call: it counts against the operation's
		// calls and its caller's budget like the first.
		if err := op.spend(caller); err != nil {
			return err
		}
		return shared(renewed)
	case settle == nil && verdict == guard.Refused:
		// A proven token refused: it expired or was revoked.
		p.Proofs.Forget(v)
		_ = p.BadTokens.Take(v.IP)
	}
	return err
}

// callAsService makes one upstream call with the service's own token, whoever
// the viewer is (a Content API read, which serves no user token). It proves
// nothing of the viewer's token, so it neither waits for its proof nor judges
// it, and a refusal renews no session; it spends the operation's allowance,
// the caller's budget (an unproven token's is its address's) and one of the
// caller's share of calls in flight, like any call.
func (op *operation) callAsService(ctx context.Context, do func() error) error {
	p := op.policy
	caller := p.Proofs.CallerKey(op.viewer)
	if err := op.spend(caller); err != nil {
		return err
	}
	if p.Shares != nil {
		release, err := p.Shares.Acquire(ctx, caller)
		if err != nil {
			return err
		}
		defer release()
	}
	err := do()
	op.noteSent(err)
	return err
}

// noteSent counts a call that reached the upstream, or may have: every call
// but those the upstream client refused without sending (a write is retried
// only when it certainly did not run, so a write that ends refused this way
// never ran).
func (op *operation) noteSent(err error) {
	switch {
	case errors.Is(err, upstream.ErrCircuitOpen), errors.Is(err, upstream.ErrBusy),
		errors.Is(err, upstream.ErrInvalidArgument), errors.Is(err, upstream.ErrNoCredentials):
		return
	}
	op.callsMu.Lock()
	op.sent++
	op.callsMu.Unlock()
}

// verdictOf is what a call's outcome proves about its token: any answer but a
// 401 accepted it; a 429, a 5xx or no answer proves nothing.
func verdictOf(err error) guard.Verdict {
	var se *upstream.StatusError
	switch {
	case err == nil:
		return guard.Accepted
	case !errors.As(err, &se) || se.Status == http.StatusTooManyRequests || se.Status >= 500:
		return guard.Unsettled
	case se.Status == http.StatusUnauthorized:
		return guard.Refused
	case se.Status >= 400:
		return guard.Accepted
	}
	return guard.Unsettled
}
