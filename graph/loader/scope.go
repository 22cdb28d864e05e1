// Package loader is how the service reaches the upstream during an operation:
// per-operation loaders, declared once per endpoint for any key and value, that
// batch and dedupe lookups and apply one policy to every upstream call (the
// caller's budget, the charge for refused tokens, the operation's allowance of
// calls, panic recovery, bounded concurrency, a span and metrics by endpoint);
// and, opt-in, sharing across requests (coalescing and a short-lived cache) that
// never mixes viewers.
//
// Its words:
//   - A Kind is a loader as the schema declares it (Declare): an endpoint and a
//     Fetch of one key, such as a room by id, or a page of a list keyed by the
//     list's upstream query. It holds no data.
//   - An instance is a Kind within one operation: the operation's cache of it
//     and its batches. Scope, a gqlgen extension, gives every operation its own
//     instances, carrying its viewer; they never outlive it.
//   - A Plan primes instances before any resolver runs, from the operation's
//     root fields (Root) and their keys (RootKeys); Prime starts one batch that
//     closes on its last key. A lookup nobody planned joins a fallback batch
//     that closes FallbackWait after its first key.
//   - Seed records an item that came inside another answer (a room by its slug,
//     a post in a list); a Memo holds items that only ever come that way and are
//     never fetched (rooms as lists carry them).
//   - The Policy is what every upstream call goes through (policy.go): loads and
//     Writes alike.
//   - Shared is sharing across requests, declared per Kind (Kind.ShareBy); Forget
//     and ForgetAll (a Stale list) drop the viewer's shared copies too.
package loader

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

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
	calls   int                // upstream calls admitted (MaxCalls counts these)
	sent    int                // upstream calls that reached the upstream, or may have
	renewed upstream.UserToken // a session's token renewed after a 401

	mu        sync.Mutex
	instances []kindInstance // few: a linear scan beats a map
	inline    [2]kindInstance
}

// kindInstance pairs a *Kind[K, V] (or a *Memo) with its instance in one
// operation.
type kindInstance struct{ kind, instance any }

// instanceOf is the operation's instance of kind, made by newInstance on its
// first use.
func instanceOf[I any](ctx context.Context, kind any, newInstance func(*operation) I) I {
	op := operationFrom(ctx)
	op.mu.Lock()
	defer op.mu.Unlock()
	for _, i := range op.instances {
		if i.kind == kind {
			return i.instance.(I)
		}
	}
	i := newInstance(op)
	op.instances = append(op.instances, kindInstance{kind, i})
	return i
}

type opKey struct{}

// Calls is how many upstream calls the operation in ctx has made so far:
// calls that reached the upstream or may have, not those refused before they
// were sent (by the caller's budget or share, the operation's allowance, the
// circuit breaker, the adaptive limit, an argument the upstream would not
// take). 0 outside an operation. A write sent with an Idempotency-Key is kept
// only when this is at least one: otherwise nothing ran, and it may be sent
// again.
func Calls(ctx context.Context) int {
	op, ok := ctx.Value(opKey{}).(*operation)
	if !ok {
		return 0
	}
	op.callsMu.Lock()
	defer op.callsMu.Unlock()
	return op.sent
}

// operationFrom returns the operation's loaders.
func operationFrom(ctx context.Context) *operation {
	op, ok := ctx.Value(opKey{}).(*operation)
	if !ok {
		panic("loader: no loaders in context: the operation did not pass through the loader.Scope extension (see service.New)")
	}
	return op
}
