// Package loader is how the service reaches the upstream during an operation:
// per-operation loaders, declared once per endpoint for any key and value, that
// batch and dedupe lookups and apply one policy to every upstream call (the
// caller's budget, the charge for refused tokens, the operation's allowance of
// calls, panic recovery, bounded concurrency, a span and metrics by endpoint);
// and, opt-in, sharing across requests (coalescing and a short-lived cache) that
// never mixes viewers.
package loader

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/trace"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

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

// FallbackWait is how long a batch started by a lookup nobody planned stays open
// for more keys. Planned batches (Prime) close on their last key, with no timer;
// this only matters for a lookup that neither a plan nor a batch resolver
// foresaw, which then is still batched, a little later.
const FallbackWait = 500 * time.Microsecond

// Plan primes an operation's loaders before any resolver runs, from the
// document's root fields (see RootFields) and its variables.
type Plan func(ctx context.Context, roots []Root)

// Scope is a gqlgen operation interceptor that gives each operation its own
// loaders, carrying its viewer, then runs the plans. Loaders never outlive their
// operation: a batch runs with its viewer's token, so sharing one would show one
// viewer's data to another.
type Scope struct {
	Policy *Policy
	Plans  []Plan
}

// NewScope returns a Scope, refusing a policy that could not work: every
// limit must be positive (Concurrency 0 would block every batch, MaxCalls 0
// refuse every call) and every dependency set.
func NewScope(p *Policy, plans ...Plan) Scope {
	switch {
	case p.Concurrency < 1 || p.MaxCalls < 1:
		panic("loader: Policy.Concurrency and Policy.MaxCalls must be positive")
	case p.Logger == nil || p.Callers == nil || p.BadTokens == nil || p.Proofs == nil || p.Tracer == nil:
		panic("loader: Policy needs a Logger, Callers, BadTokens, Proofs and a Tracer")
	}
	return Scope{Policy: p, Plans: plans}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Scope{}

func (Scope) ExtensionName() string                   { return "Loaders" }
func (Scope) Validate(graphql.ExecutableSchema) error { return nil }

func (s Scope) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := &operation{policy: s.Policy, viewer: viewer.From(ctx)}
	op.instances = op.inline[:0]
	ctx = context.WithValue(ctx, opKey{}, op)
	opCtx := graphql.GetOperationContext(ctx)
	if roots := RootFields(opCtx); len(roots) > 0 {
		for _, plan := range s.Plans {
			plan(ctx, roots)
		}
	}
	return next(ctx)
}

// operation is one operation's loaders and its count of upstream calls.
type operation struct {
	policy *Policy
	viewer viewer.Viewer

	callsMu sync.Mutex
	calls   int                // upstream calls made
	renewed upstream.UserToken // a session's token renewed after a 401

	mu        sync.Mutex
	instances []kindInstance // few: a linear scan beats a map
	inline    [2]kindInstance
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

func (op *operation) setToken(t upstream.UserToken) {
	op.callsMu.Lock()
	defer op.callsMu.Unlock()
	op.renewed = t
}

// kindInstance pairs a *Kind[K, V] with its *instance[K, V] in one operation.
type kindInstance struct{ kind, instance any }

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

type opKey struct{}

// operationFrom returns the operation's loaders.
func operationFrom(ctx context.Context) *operation {
	op, ok := ctx.Value(opKey{}).(*operation)
	if !ok {
		panic("loader: no loaders in context: the operation did not pass through the loader.Scope extension (see service.New)")
	}
	return op
}
