package graph

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options tunes the GraphQL endpoint. Zero values take the defaults.
type Options struct {
	// BatchConcurrency bounds the upstream calls one batch makes at once (default 10).
	BatchConcurrency int
	// MaxBodyBytes bounds a POST body (default 64 KiB).
	MaxBodyBytes int64
	// QueryCacheSize is how many parsed documents are kept (default 1000).
	QueryCacheSize int
}

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
	return c
}

// NewServer returns the service's whole HTTP surface: GraphQL at /query and
// GraphiQL at /.
func NewServer(logger *slog.Logger, rooms RoomFetcher, cfg Options) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, newGraphQLHandler(logger, rooms, cfg.withDefaults()))
	return mux
}

func addRoutes(mux *http.ServeMux, logger *slog.Logger, gql http.Handler) {
	mux.Handle("/query", withViewer(logger, gql))
	mux.Handle("GET /{$}", playground.Handler("Quran Reflect rooms", "/query"))
}

func newGraphQLHandler(logger *slog.Logger, rooms RoomFetcher, cfg Options) http.Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Logger: logger}}))
	srv.AddTransport(httpTransport{maxBodyBytes: cfg.MaxBodyBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](cfg.QueryCacheSize))
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(recoverPanic(logger))
	srv.Use(extension.Introspection{})
	srv.Use(roomBatching{logger: logger, fetch: rooms, concurrency: cfg.BatchConcurrency, fallbackWait: 500 * time.Microsecond})
	return srv
}

// withViewer resolves the caller's token once, for the whole request, and marks
// the response as private to that caller.
func withViewer(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "private, no-store")
		h.Set("Vary", "Authorization, X-Auth-Token")
		v, err := viewerFromRequest(r)
		if err != nil {
			h.Set("Content-Type", mediaJSON+"; charset=utf-8")
			h.Set("WWW-Authenticate", `Bearer realm="quran-reflect"`)
			writeRequestError(w, http.StatusUnauthorized, codedError(CodeUnauthn, err.Error()))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithViewer(r.Context(), v)))
	})
}
