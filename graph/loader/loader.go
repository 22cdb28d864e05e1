package loader

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/sync/errgroup"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Fetch gets one item from the upstream as the holder of token sees it.
type Fetch[K comparable, V any] func(ctx context.Context, key K, as upstream.UserToken) (V, error)

// Kind declares a loader: which endpoint it calls (for spans and metrics) and
// how it fetches one key. Each operation gets its own instance of it.
type Kind[K comparable, V any] struct {
	ep        upstream.Endpoint // its Name labels the loader's metrics
	batchSpan string            // the name of its batches' spans
	fetch     Fetch[K, V]
	shared    *Shared[K, V] // nil: nothing shared across requests
	wrapped   bool          // Wrap was called: sharing must come first
	service   bool          // fetched with the service's token, whoever asks (AsService)
}

// AsService makes k fetch with the service's own token for every caller (its
// Fetch is given ""): an API that serves no user token, such as the Content
// API. Its lookups are then shared as those of callers without a token are.
// Call it before ShareBy.
func (k *Kind[K, V]) AsService() *Kind[K, V] {
	if k.shared != nil || k.wrapped {
		panic("loader: " + k.ep.Name + ": AsService after ShareBy or Wrap")
	}
	k.service = true
	return k
}

// Declare returns a loader of ep's items, fetched with fetch. Declare the
// schema's loaders once, when the resolver is built (with ShareBy, then Wrap):
// a Kind is not changed after that.
func Declare[K comparable, V any](ep upstream.Endpoint, fetch Fetch[K, V]) *Kind[K, V] {
	return &Kind[K, V]{ep: ep, batchSpan: ep.Name + " batch", fetch: fetch}
}

// Endpoint is the endpoint k calls: a list's page size is its MaxLimit.
func (k *Kind[K, V]) Endpoint() upstream.Endpoint { return k.ep }

// share makes k share its lookups across requests as opts says (see Shared),
// and returns it. The writes that Forget a key, or ForgetAll, then drop the
// viewer's shared copies too. With neither coalescing nor a cache it changes
// nothing.
func (k *Kind[K, V]) share(opts SharingOptions[V]) *Kind[K, V] {
	if !opts.Coalesce && opts.Cache == nil && !opts.Public.on() {
		return k
	}
	if k.wrapped {
		panic("loader: " + k.ep.Name + ": ShareBy after Wrap would share around the test's wrapper")
	}
	k.shared = Share(k.ep, k.fetch, opts)
	k.fetch = k.shared.Fetch
	return k
}

// Wrap replaces k's fetch with wrap(fetch), after any sharing: tests count,
// hold or break calls with it. A nil wrap changes nothing.
func (k *Kind[K, V]) Wrap(wrap func(Fetch[K, V]) Fetch[K, V]) *Kind[K, V] {
	if wrap != nil {
		k.fetch, k.wrapped = wrap(k.fetch), true
	}
	return k
}

// instance is a Kind's loader within one operation. Every batch of it shares one
// cache, so a key is fetched at most once per operation, and a failure is
// remembered for the rest of it: ten aliases of a failing room cost one call.
type instance[K comparable, V any] struct {
	kind *Kind[K, V]
	op   *operation

	mu       sync.Mutex // orders cache checks and loads across batches
	cache    *dataloader.InMemoryCache[K, V]
	fallback *dataloader.Loader[K, V] // for lookups nobody planned; made on first use
	seen     map[K]struct{}           // keys resolvers asked for, for the dedupe metric
}

func (k *Kind[K, V]) instance(ctx context.Context) *instance[K, V] {
	return instanceOf(ctx, k, func(op *operation) *instance[K, V] {
		return &instance[K, V]{kind: k, op: op, cache: dataloader.NewCache[K, V](), seen: make(map[K]struct{})}
	})
}

// Prime starts one batch for the keys not yet loaded in this operation, without
// waiting for it. The batch's capacity is their number, so it closes on the last
// one with no timer; its calls run concurrently. A single key is fetched by the
// first lookup of it instead, on that lookup's goroutine. Plans call it for lookups known
// before execution, and a batch resolver can call it for one wave of a nested
// field's keys.
func (k *Kind[K, V]) Prime(ctx context.Context, keys []K) {
	inst := k.instance(ctx)
	inst.mu.Lock()
	defer inst.mu.Unlock()
	// A key given twice would join the batch once and leave it short of its
	// capacity, waiting for the fallback timer: keep each once.
	fresh := make([]K, 0, len(keys))
	for _, key := range keys {
		if _, ok := inst.cache.Get(ctx, key); !ok && !slices.Contains(fresh, key) {
			fresh = append(fresh, key)
		}
	}
	switch len(fresh) {
	case 0:
		return
	case 1:
		// Nothing to batch, and nothing to overlap with but the lookup
		// that asks for it, which gqlgen runs at once: the first lookup
		// makes the call on its own goroutine (whose stack has already
		// grown), with no batcher or sleeper goroutine and no timer.
		inst.cache.Set(ctx, fresh[0], inst.onFirstLookup(ctx, fresh[0]))
		return
	}
	l := dataloader.NewBatchedLoader(inst.batch,
		dataloader.WithCache[K, V](inst.cache),
		dataloader.WithBatchCapacity[K, V](len(fresh)),
		dataloader.WithInputCapacity[K, V](len(fresh)),
		// Never reached: every key is new to the shared cache, which only
		// this instance writes, under mu.
		dataloader.WithWait[K, V](FallbackWait),
	)
	for _, key := range fresh {
		l.Load(ctx, key)
	}
}

// onFirstLookup is key's thunk for a batch of one: the first caller fetches it,
// as a batch would (the same span, metrics and panic recovery), and any other
// caller waits for that answer.
func (inst *instance[K, V]) onFirstLookup(ctx context.Context, key K) dataloader.Thunk[V] {
	var (
		taken atomic.Bool
		done  = make(chan struct{})
		res   *dataloader.Result[V]
	)
	return func() (V, error) {
		if taken.CompareAndSwap(false, true) {
			defer close(done)
			defer func() {
				if res == nil { // batch itself panicked (a fetch's panic it recovers)
					res = &dataloader.Result[V]{Error: errcode.ErrInternal}
				}
			}()
			res = inst.batch(ctx, []K{key})[0]
			return res.Data, res.Error
		}
		<-done
		return res.Data, res.Error
	}
}

// Load returns the item for key, from this operation's earlier lookups when it
// has one, else from a batch.
func (k *Kind[K, V]) Load(ctx context.Context, key K) (V, error) {
	inst := k.instance(ctx)
	inst.mu.Lock()
	thunk := inst.thunk(ctx, key)
	inst.mu.Unlock()
	return thunk()
}

// LoadAll returns the items for keys, in order, with an error per item: all of
// them are asked for before any is waited on, so the ones not yet loaded go out
// in one batch.
func (k *Kind[K, V]) LoadAll(ctx context.Context, keys []K) ([]V, []error) {
	inst := k.instance(ctx)
	thunks := make([]dataloader.Thunk[V], len(keys))
	inst.mu.Lock()
	for i, key := range keys {
		thunks[i] = inst.thunk(ctx, key)
	}
	inst.mu.Unlock()
	vals, errs := make([]V, len(keys)), make([]error, len(keys))
	for i, t := range thunks {
		vals[i], errs[i] = t()
	}
	return vals, errs
}

// Seed records v as key's item for the rest of the operation, unless the key is
// already loaded or loading: a room that came in a list, or by its slug, is not
// fetched again by id.
func (k *Kind[K, V]) Seed(ctx context.Context, key K, v V) {
	inst := k.instance(ctx)
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if _, ok := inst.cache.Get(ctx, key); !ok {
		inst.cache.Set(ctx, key, func() (V, error) { return v, nil })
	}
}

// Peek returns key's item if the operation already has it (loaded or seeded),
// without fetching it.
func (k *Kind[K, V]) Peek(ctx context.Context, key K) (V, bool) {
	inst := k.instance(ctx)
	inst.mu.Lock()
	t, ok := inst.cache.Get(ctx, key)
	inst.mu.Unlock()
	if !ok {
		var zero V
		return zero, false
	}
	v, err := t()
	return v, err == nil
}

// Forget drops key from the operation's cache, and the viewer's shared copy of
// it, so that the next lookup fetches it again: after a write, the payload
// shows the state after it.
func (k *Kind[K, V]) Forget(ctx context.Context, key K) {
	inst := k.instance(ctx)
	inst.mu.Lock()
	inst.cache.Delete(ctx, key)
	inst.mu.Unlock()
	if k.shared != nil {
		for _, t := range inst.op.tokens() {
			k.shared.Forget(ctx, key, t)
		}
		k.shared.ForgetPublic(ctx) // a write by anyone: what every signed-out caller sees
	}
}

// ForgetAll drops every key of this loader from the operation's cache, and
// every shared copy the viewer has of them: after a write, the lists it may have
// changed are read again.
func (k *Kind[K, V]) ForgetAll(ctx context.Context) {
	inst := k.instance(ctx)
	inst.mu.Lock()
	inst.cache.Clear()
	inst.mu.Unlock()
	if k.shared != nil {
		for _, t := range inst.op.tokens() {
			k.shared.ForgetViewer(ctx, t)
		}
		k.shared.ForgetPublic(ctx)
	}
}

// Stale is a loader a write makes stale as a whole: a list, every page of which
// is read again after the write. Every *Kind and *Memo is one.
type Stale interface {
	ForgetAll(ctx context.Context)
}

// thunk returns key's thunk, joining the fallback batch when nothing planned
// it. The caller holds mu.
func (inst *instance[K, V]) thunk(ctx context.Context, key K) dataloader.Thunk[V] {
	_, repeated := inst.seen[key]
	inst.seen[key] = struct{}{}
	inst.op.policy.Metrics.Lookup(inst.kind.ep.Name, repeated)
	if t, ok := inst.cache.Get(ctx, key); ok {
		return t
	}
	if inst.fallback == nil {
		inst.fallback = dataloader.NewBatchedLoader(inst.batch,
			dataloader.WithCache[K, V](inst.cache),
			dataloader.WithWait[K, V](FallbackWait))
	}
	return inst.fallback.Load(ctx, key)
}

// batch fetches keys for the operation's viewer, applying the policy to each.
func (inst *instance[K, V]) batch(ctx context.Context, keys []K) []*dataloader.Result[V] {
	p, endpoint := inst.op.policy, inst.kind.ep.Name
	ctx, span := p.Tracer.Start(ctx, inst.kind.batchSpan)
	defer span.End()
	if span.IsRecording() { // with tracing off, no attributes are built for nothing
		span.SetAttributes(attribute.String("loader.endpoint", endpoint), attribute.Int("batch.size", len(keys)))
	}
	p.Metrics.Batch(endpoint, len(keys))
	results := make([]*dataloader.Result[V], len(keys))
	get := func(i int) {
		// A panic is caught here, per key, rather than by dataloader, which
		// would fail the whole batch and print to the standard logger.
		defer func() {
			if r := recover(); r != nil {
				p.Logger.ErrorContext(ctx, "loader: panic fetching", "endpoint", endpoint, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				results[i] = &dataloader.Result[V]{Error: errcode.ErrInternal}
			}
		}()
		val, err := inst.call(ctx, keys[i])
		results[i] = &dataloader.Result[V]{Data: val, Error: err}
	}
	if len(keys) == 1 {
		get(0)
		return results
	}
	// The calls of one batch run concurrently, at most Concurrency at a time,
	// so ten rooms cost about one upstream round trip.
	var g errgroup.Group
	g.SetLimit(p.Concurrency)
	for i := range keys {
		g.Go(func() error { get(i); return nil })
	}
	_ = g.Wait()
	return results
}

// call makes one upstream call within the operation's and the caller's limits.
func (inst *instance[K, V]) call(ctx context.Context, key K) (V, error) {
	var val V
	if inst.kind.service {
		err := inst.op.callAsService(ctx, func() (err error) {
			val, err = inst.kind.fetch(ctx, key, "")
			return err
		})
		return val, err
	}
	err := inst.op.call(ctx, func(as upstream.UserToken) (err error) {
		val, err = inst.kind.fetch(ctx, key, as)
		return err
	})
	return val, err
}
