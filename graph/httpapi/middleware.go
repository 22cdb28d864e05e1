package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

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
			"Apollo-Require-Preflight", "X-CSRF", "X-Apollo-Operation-Name", "Apollographql-Client-Name", "Apollographql-Client-Version"},
		ExposedHeaders: []string{"X-Request-ID", "Reflect-Session"}, // signin.SessionHeader
		MaxAge:         600,
	}).Handler(next)
}

// compress gzips answers of 1 KiB and more for clients that accept it. gzip
// wins over zstd unless the client ranks zstd higher or accepts nothing else:
// Node.js 20's fetch advertises zstd but cannot decode it, which broke the
// README's codegen recipe.
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.PreferZstd(false))
	if err != nil {
		return next // only for invalid options, which these are not
	}
	return wrap(next)
}

// recoverHTTP answers a panic outside GraphQL execution with a GraphQL error
// instead of a dropped connection. (Resolver panics are caught per field by
// gqlgen; see errcode.Recover.)
func recoverHTTP(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "http: panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				w.Header().Set("Content-Type", mediaJSON+"; charset=utf-8")
				writeRequestError(w, http.StatusInternalServerError, errcode.New(errcode.Internal, errcode.ErrInternal.Error()))
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

// Header values every GraphQL answer carries: shared, never written to (an
// Add to the same name appends to a copy, since their capacity is their length).
var (
	privateNoStore = []string{"private, no-store"}
	nosniff        = []string{"nosniff"}
)

// withViewer resolves the caller's token once, for the whole request, and marks
// the response as private to that caller.
func withViewer(proxies viewer.Proxies, cookies func(http.ResponseWriter, *http.Request, *viewer.Viewer) (int, *gqlerror.Error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = privateNoStore
		// A browser reads an answer as JSON only: its strings are written as
		// gqlgen makes them, without escaping <, > and & for HTML.
		h["X-Content-Type-Options"] = nosniff
		h.Add("Vary", "Authorization, X-Auth-Token, Cookie, Accept") // Add: keep the CORS layer's Origin
		v, err := proxies.FromRequest(r)
		if err != nil {
			h.Set("Content-Type", mediaJSON+"; charset=utf-8")
			h.Set("WWW-Authenticate", `Bearer realm="quran-reflect"`)
			e := errcode.New(errcode.Unauthenticated, err.Error())
			telemetry.RecordErrors(r.Context(), gqlerror.List{e})
			writeRequestError(w, http.StatusUnauthorized, e)
			return
		}
		if cookies != nil {
			if status, e := cookies(w, r, &v); e != nil {
				h.Set("Content-Type", mediaJSON+"; charset=utf-8")
				telemetry.RecordErrors(r.Context(), gqlerror.List{e})
				writeRequestError(w, status, e)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(viewer.With(r.Context(), v)))
	})
}
