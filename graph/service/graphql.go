package service

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	hlru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/httpapi"
	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/persisted"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
)

// pipeline is what the GraphQL handler is built from.
type pipeline struct {
	logger             *slog.Logger
	resolver           *graph.Resolver
	metrics            *telemetry.Metrics
	tracer             trace.Tracer
	store              persisted.Store
	limits             persisted.Limits
	manifest           persisted.Manifest
	callers, badTokens *guard.CallerLimits
	refusals           *guard.CallerLimits
	registrations      *guard.CallerLimits
	proofs             *guard.Proofs
	shares             *guard.Shares // nil: no per-caller share
	idempotency        *idempotency.Keeper
}

// queryCacheSize is how many parsed and validated documents are kept.
const queryCacheSize = 1000

// maxCachedQuery is the largest document the query cache keeps: the cache is
// bounded by entries, so without it a thousand 60 KB documents would hold 60 MB.
// Larger documents are parsed and validated each time (the guard bounds that).
const maxCachedQuery = 8 << 10

// smallQueries is gqlgen's LRU that declines to keep large documents.
type smallQueries struct {
	*lru.LRU[*ast.QueryDocument]
}

func (c smallQueries) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) <= maxCachedQuery {
		c.LRU.Add(ctx, query, doc)
	}
}

// newGraphQL is the GraphQL pipeline, in the order a request meets it:
// persisted queries resolve a hash to its document; the guard measures the
// document before gqlgen validates it; after validation the guard caps ids and
// the complexity limit applies; only then is a persisted document stored; the
// operation gets its span, then its loaders, primed by the schema's plans.
func newGraphQL(cfg Config, p pipeline) http.Handler {
	srv := handler.New(p.resolver.ExecutableSchema())
	cache := smallQueries{lru.New[*ast.QueryDocument](queryCacheSize)}
	validated := func(ctx context.Context, q string) bool {
		_, ok := cache.Get(ctx, q)
		return ok
	}
	srv.AddTransport(httpapi.Transport{MaxBodyBytes: cfg.MaxBodyBytes, Metrics: p.metrics, PublicMaxAge: cfg.PublicMaxAge,
		Refusals: p.refusals, Validated: validated, Idempotency: p.idempotency, Calls: loader.Calls, Logger: p.logger})
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(cfg.Limits.Tokens)
	srv.SetErrorPresenter(errcode.Presenter(p.logger))
	srv.SetRecoverFunc(errcode.Recover(p.logger))
	srv.Use(persisted.Queries{Store: p.store, Limits: p.limits, Manifest: p.manifest, OnlyTrusted: cfg.TrustedOnly,
		Metrics: p.metrics, Logger: p.logger, Callers: p.callers, Addresses: p.registrations, Proofs: p.proofs})
	srv.Use(guard.Guard{Limits: cfg.Limits, Lookups: p.resolver.Lookups(), Validated: validated})
	srv.Use(newComplexityOnce(cfg.Limits.Complexity))
	srv.Use(persisted.Register{Store: p.store, Logger: p.logger, Metrics: p.metrics})
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		// Suggestions in validation errors would map the schema anyway.
		srv.SetDisableSuggestion(true)
	}
	srv.Use(telemetry.Operations{Tracer: p.tracer})
	srv.Use(loader.NewScope(&loader.Policy{
		Logger:      p.logger,
		Callers:     p.callers,
		BadTokens:   p.badTokens,
		Proofs:      p.proofs,
		Shares:      p.shares,
		Metrics:     p.metrics,
		Tracer:      p.tracer,
		Concurrency: cfg.BatchConcurrency,
		MaxCalls:    cfg.MaxUpstreamCalls,
	}, p.resolver.Plans()...))
	return srv
}

// complexityOnce is gqlgen's fixed complexity limit, computed once for an
// admitted operation that declares no variables: nothing can change its
// complexity, and the query cache gives every request of the document the same
// parsed operation. (Operations with variables, documents too large for the
// query cache and refused operations are computed each time, so a refusal's
// error is gqlgen's own.)
type complexityOnce struct {
	*extension.ComplexityLimit
	limit int
	known *hlru.Cache[*ast.OperationDefinition, int] // as many as the query cache keeps
}

func newComplexityOnce(limit int) complexityOnce {
	known, _ := hlru.New[*ast.OperationDefinition, int](queryCacheSize) // errors only for a size below 1
	return complexityOnce{ComplexityLimit: extension.FixedComplexityLimit(limit), limit: limit, known: known}
}

func (c complexityOnce) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	// Only a document the query cache keeps comes back as the same operation:
	// remembering a larger one would hold it in memory for nothing.
	if op == nil || len(op.VariableDefinitions) > 0 || len(opCtx.RawQuery) > maxCachedQuery {
		return c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	}
	if n, ok := c.known.Get(op); ok {
		opCtx.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
		return nil
	}
	err := c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	if s, ok := opCtx.Stats.GetExtension(c.ExtensionName()).(*extension.ComplexityStats); ok && err == nil {
		c.known.Add(op, s.Complexity) // admitted operations only: a refused one is not asked for again
	}
	return err
}
