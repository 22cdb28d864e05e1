package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// RoomFetcher fetches one room as one viewer sees it; *upstream.Client is one.
// An empty userToken means an anonymous viewer.
type RoomFetcher interface {
	Room(ctx context.Context, id, userToken string) (*upstream.Room, error)
}

// loaders are the per-operation data loaders. They are never shared between
// requests: a batch runs with its viewer's token, so sharing one would show one
// viewer's rooms to another.
type loaders struct {
	rooms *dataloader.Loader[string, *upstream.Room]
}

type loadersKey struct{}

// loadersFor returns the operation's loaders.
func loadersFor(ctx context.Context) *loaders {
	l, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		panic("graph: no loaders in context: the operation did not pass through the roomBatching extension (see newGraphQLHandler)")
	}
	return l
}

// roomBatching is a gqlgen operation interceptor that gives each operation its
// own room loader and starts the operation's one batch before any resolver runs.
//
// Rooms are only reachable from the root fields room and rooms, so every room id
// an operation will load is known from the document and its variables before
// execution. The interceptor loads them all up front and sets the loader's batch
// capacity to their number: the batch closes on the last of them, with no timer.
// A dataloader's usual batch wait would add its duration to every query for
// nothing (and on this kind of machine any timer costs about a millisecond).
// Resolvers then find their thunks in the loader's cache.
//
// fallbackWait only matters for a lookup the planner did not foresee; none exists
// in this schema, but if one appears it is still batched, after that short wait.
type roomBatching struct {
	logger *slog.Logger
	fetch  RoomFetcher
	limits *callerLimits
	// badTokens is a per-IP budget of tokens the upstream refused: a caller
	// that invents tokens gets a fresh per-token bucket each time, but not a
	// fresh IP.
	badTokens    *callerLimits
	metrics      *Metrics
	tracer       trace.Tracer
	concurrency  int
	fallbackWait time.Duration
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = roomBatching{}

func (roomBatching) ExtensionName() string                          { return "RoomBatching" }
func (roomBatching) Validate(schema graphql.ExecutableSchema) error { return nil }

func (b roomBatching) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	ids, lookups := plannedRoomIDs(graphql.GetOperationContext(ctx))
	if len(ids) > 0 {
		b.metrics.batch(len(ids), lookups)
	}
	l := &loaders{rooms: b.newRoomLoader(viewerFrom(ctx), len(ids))}
	ctx = context.WithValue(ctx, loadersKey{}, l)
	for _, id := range ids {
		l.rooms.Load(ctx, id)
	}
	return next(ctx)
}

func (b roomBatching) newRoomLoader(v Viewer, planned int) *dataloader.Loader[string, *upstream.Room] {
	fetch := func(ctx context.Context, ids []string) []*dataloader.Result[*upstream.Room] {
		ctx, span := b.tracer.Start(ctx, "rooms batch", trace.WithAttributes(attribute.Int("batch.size", len(ids))))
		defer span.End()
		results := make([]*dataloader.Result[*upstream.Room], len(ids))
		get := func(i int) {
			// A panic is caught here, per room, rather than by dataloader, which
			// would fail the whole batch and print to the standard logger.
			defer func() {
				if p := recover(); p != nil {
					b.logger.ErrorContext(ctx, "graph: panic fetching a room", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					results[i] = &dataloader.Result[*upstream.Room]{Error: errInternal}
				}
			}()
			if v.Token != "" {
				if err := b.badTokens.allows(v.IP); err != nil {
					results[i] = &dataloader.Result[*upstream.Room]{Error: err}
					return
				}
			}
			if err := b.limits.take(v.Key); err != nil {
				results[i] = &dataloader.Result[*upstream.Room]{Error: err}
				return
			}
			room, err := b.fetch.Room(ctx, ids[i], v.Token)
			var se *upstream.StatusError
			if v.Token != "" && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
				_ = b.badTokens.take(v.IP)
			}
			results[i] = &dataloader.Result[*upstream.Room]{Data: room, Error: err}
		}
		if len(ids) == 1 {
			get(0)
			return results
		}
		// The calls of one batch run concurrently, at most b.concurrency at a time,
		// so ten rooms cost about one upstream round trip.
		var g errgroup.Group
		g.SetLimit(b.concurrency)
		for i := range ids {
			g.Go(func() error { get(i); return nil })
		}
		_ = g.Wait()
		return results
	}
	// Capacity = the planned ids, so the planned batch closes on its last id; with
	// nothing planned the batch is unbounded and closes after fallbackWait.
	// Failures stay in the cache for the life of this one operation: ten aliases of
	// a failing room cost one upstream call, not ten. Nothing outlives the request.
	return dataloader.NewBatchedLoader(fetch,
		dataloader.WithBatchCapacity[string, *upstream.Room](planned),
		dataloader.WithInputCapacity[string, *upstream.Room](max(planned, 1)),
		dataloader.WithWait[string, *upstream.Room](b.fallbackWait),
	)
}

// plannedRoomIDs lists, once each, the valid room ids that the root fields room
// and rooms of the operation will look up, and how many lookups ask for them
// (duplicates included). It reads arguments exactly as the generated code does;
// invalid ids are left for the resolvers to report.
func plannedRoomIDs(opCtx *graphql.OperationContext) (ids []string, lookups int) {
	if opCtx == nil || opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return nil, 0
	}
	seen := make(map[string]struct{})
	add := func(v any) {
		raw, err := graphql.UnmarshalID(v)
		if err != nil {
			return
		}
		id, ok := upstream.CanonicalRoomID(raw)
		if !ok {
			return
		}
		lookups++
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			ids = append(ids, id)
		}
	}
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
		switch f.Name {
		case "room":
			add(f.ArgumentMap(opCtx.Variables)["id"])
		case "rooms":
			for _, v := range graphql.CoerceList(f.ArgumentMap(opCtx.Variables)["ids"]) {
				add(v)
			}
		}
	}
	return ids, lookups
}
