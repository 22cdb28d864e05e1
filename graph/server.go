package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options tunes the GraphQL endpoint. Zero values take the defaults.
type Options struct {
	// BatchConcurrency bounds the upstream calls one batch makes at once (default 10).
	BatchConcurrency int
	// MaxBodyBytes bounds a POST body (default 64 KiB).
	MaxBodyBytes int64
	// QueryCacheSize is how many parsed documents are kept (default 1000).
	QueryCacheSize int
	// Limits bound the documents a caller may send.
	Limits Limits
	// NoIntrospection turns introspection off, and with it field suggestions in
	// validation errors (they would let a caller map the schema anyway).
	NoIntrospection bool
	// NoGraphiQL stops serving GraphiQL at /.
	NoGraphiQL bool
	// CallerLimit bounds the upstream calls of one caller; BadTokenLimit bounds
	// the tokens the upstream refuses per client IP (default 2 a second, burst 20).
	CallerLimit   CallerLimit
	BadTokenLimit CallerLimit
	// Now is the clock for the per-caller limit (default time.Now).
	Now func() time.Time
	// RequestTimeout bounds one GraphQL request, upstream calls included
	// (default 20s). Keep it under the http.Server's WriteTimeout, so that a
	// slow request still ends with an answer, not a dropped connection.
	RequestTimeout time.Duration

	// Metrics records Prometheus metrics (nil: none); MetricsHandler, when
	// set, is served at /metrics on this handler (leave it nil to serve
	// metrics on a separate admin port instead).
	Metrics        *Metrics
	MetricsHandler http.Handler
	// Tracer makes the spans of operations and batches (nil: none);
	// Propagator reads the caller's trace context (nil: W3C trace context).
	Tracer     trace.Tracer
	Propagator propagation.TextMapPropagator
	// Ready reports whether the service can serve (nil: always); /readyz
	// answers 503 with its error.
	Ready func(ctx context.Context) error

	// Persisted keeps automatic persisted queries (default: in memory, 2,000);
	// Manifest lists trusted documents; OnlyTrusted refuses everything else.
	Persisted   QueryStore
	Manifest    Manifest
	OnlyTrusted bool
	// CORSOrigins may call from browsers ("*": any, without credentials).
	CORSOrigins []string
	// PublicMaxAge lets shared caches keep answers to GET queries without a
	// user token that have no errors, for this long (0: never).
	PublicMaxAge time.Duration
	// GraphiQLAssets is a node_modules folder to serve GraphiQL's assets from
	// (empty: from a CDN).
	GraphiQLAssets string
}

// mutualFollowersWeight is the complexity weight of a room's mutual followers: the
// upstream does not say how many it sends, so assume a page of them.
const mutualFollowersWeight = 10

func (c Options) withDefaults() Options {
	if c.BatchConcurrency <= 0 {
		c.BatchConcurrency = 10
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.QueryCacheSize <= 0 {
		c.QueryCacheSize = 1000
	}
	c.Limits = c.Limits.withDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 20 * time.Second
	}
	if c.Tracer == nil {
		c.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if c.Propagator == nil {
		c.Propagator = propagation.TraceContext{}
	}
	if c.Persisted == nil {
		c.Persisted = NewMemoryStore(2000)
	}
	if c.BadTokenLimit.PerSecond <= 0 {
		c.BadTokenLimit.PerSecond = 2
	}
	if c.BadTokenLimit.Burst <= 0 {
		c.BadTokenLimit.Burst = 20
	}
	return c
}

// NewServer returns the service's whole HTTP surface: GraphQL at /query,
// GraphiQL at /, probes at /healthz and /readyz, and /metrics when asked.
func NewServer(logger *slog.Logger, rooms RoomFetcher, cfg Options) http.Handler {
	cfg = cfg.withDefaults()
	logger = slog.New(WithRequestIDs(logger.Handler()))
	mux := http.NewServeMux()
	addRoutes(mux, logger, newGraphQLHandler(logger, rooms, cfg), cfg)
	return recoverHTTP(logger, compress(withCORS(cfg.CORSOrigins, mux)))
}

func addRoutes(mux *http.ServeMux, logger *slog.Logger, gql http.Handler, cfg Options) {
	mux.Handle("/query", withAccessLog(logger, cfg.Metrics, cfg.Propagator,
		withViewer(logger, withDeadline(cfg.RequestTimeout, gql))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if cfg.Ready != nil {
			if err := cfg.Ready(r.Context()); err != nil {
				// The detail (addresses, upstream errors) goes to the log only.
				logger.InfoContext(r.Context(), "not ready", "err", err.Error())
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"not ready"}` + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	if cfg.MetricsHandler != nil {
		mux.Handle("GET /metrics", cfg.MetricsHandler)
	}
	if !cfg.NoIntrospection {
		// The SDL is the schema introspection would reveal: off together.
		mux.HandleFunc("GET /schema.graphql", serveSchema)
	}
	if !cfg.NoGraphiQL {
		if err := graphiqlHandlers(mux, cfg.GraphiQLAssets); err != nil {
			logger.Error("graphiql: assets not found; serving them from the CDN", "dir", cfg.GraphiQLAssets, "err", err.Error())
			_ = graphiqlHandlers(mux, "")
		}
	}
}

func newGraphQLHandler(logger *slog.Logger, rooms RoomFetcher, cfg Options) http.Handler {
	schema := Config{Resolvers: &Resolver{Logger: logger}}
	// List fields weigh as many times their children as they may return items.
	schema.Complexity.Query.Rooms = func(child int, ids []string) int { return 1 + max(len(ids), 1)*child }
	schema.Complexity.Room.MutualFollowers = func(child int) int { return 1 + mutualFollowersWeight*child }

	srv := handler.New(NewExecutableSchema(schema))
	srv.AddTransport(httpTransport{maxBodyBytes: cfg.MaxBodyBytes, metrics: cfg.Metrics, publicMaxAge: cfg.PublicMaxAge})
	cache := smallQueries{lru.New[*ast.QueryDocument](cfg.QueryCacheSize)}
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(cfg.Limits.Tokens)
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(recoverPanic(logger))
	// The guard runs before validation; the complexity limit after it, on a
	// document the guard has already bounded.
	// Persisted queries first: the guard must see the document they resolve to.
	callers := newCallerLimits(cfg.CallerLimit, cfg.Now)
	srv.Use(persistedQueries{store: cfg.Persisted, manifest: cfg.Manifest, onlyTrusted: cfg.OnlyTrusted,
		metrics: cfg.Metrics, logger: logger, limits: callers})
	srv.Use(queryGuard{limits: cfg.Limits, validated: func(ctx context.Context, q string) bool {
		_, ok := cache.Get(ctx, q)
		return ok
	}})
	srv.Use(extension.FixedComplexityLimit(cfg.Limits.Complexity))
	srv.Use(registerPersisted{store: cfg.Persisted, logger: logger, metrics: cfg.Metrics})
	if cfg.NoIntrospection {
		srv.SetDisableSuggestion(true)
	} else {
		srv.Use(extension.Introspection{})
	}
	srv.Use(observeOperations{tracer: cfg.Tracer})
	srv.Use(roomBatching{logger: logger, fetch: rooms, limits: callers,
		badTokens: newCallerLimits(cfg.BadTokenLimit, cfg.Now),
		metrics:   cfg.Metrics, tracer: cfg.Tracer, concurrency: cfg.BatchConcurrency, fallbackWait: 500 * time.Microsecond})
	return srv
}

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

// withCORS answers browsers' preflights for the allowed origins and caches them
// for ten minutes. Credentials (cookies) are allowed only with a list of origins,
// never with "*".
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowCredentials: !slices.Contains(origins, "*"),
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Content-Type", "Authorization", "X-Auth-Token", "X-Request-ID", "traceparent",
			"Apollo-Require-Preflight", "X-Apollo-Operation-Name", "Apollographql-Client-Name", "Apollographql-Client-Version"},
		ExposedHeaders: []string{"X-Request-ID"},
		MaxAge:         600,
	}).Handler(next)
}

// compress gzips answers of 1 KiB and more for clients that accept it.
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024))
	if err != nil {
		return next // only for invalid options, which these are not
	}
	return wrap(next)
}

// recoverHTTP answers a panic outside GraphQL execution with a GraphQL error
// instead of a dropped connection. (Resolver panics are caught per field by
// gqlgen; see recoverPanic.)
func recoverHTTP(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "http: panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				w.Header().Set("Content-Type", mediaJSON+"; charset=utf-8")
				writeRequestError(w, http.StatusInternalServerError, codedError(CodeInternal, errInternal.Error()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withDeadline gives the request a deadline. Every wait below it (upstream calls,
// retries, the token, a free upstream slot) honours the context, so a request
// that runs out of time still answers, with UPSTREAM_ERROR for what it missed.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withViewer resolves the caller's token once, for the whole request, and marks
// the response as private to that caller.
func withViewer(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "private, no-store")
		h.Add("Vary", "Authorization, X-Auth-Token, Accept") // Add: keep the CORS layer's Origin
		v, err := viewerFromRequest(r)
		if err != nil {
			h.Set("Content-Type", mediaJSON+"; charset=utf-8")
			h.Set("WWW-Authenticate", `Bearer realm="quran-reflect"`)
			e := codedError(CodeUnauthn, err.Error())
			if rec := recordFrom(r.Context()); rec != nil {
				rec.addErrors(gqlerror.List{e})
			}
			writeRequestError(w, http.StatusUnauthorized, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithViewer(r.Context(), v)))
	})
}
