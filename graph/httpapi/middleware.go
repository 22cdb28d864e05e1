package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"sync"
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
			"Apollo-Require-Preflight", "X-CSRF", "X-Apollo-Operation-Name", "Apollographql-Client-Name", "Apollographql-Client-Version",
			"Idempotency-Key"},
		// signin.SessionHeader, idempotency.ReplayedHeader
		ExposedHeaders: []string{"X-Request-ID", "Reflect-Session", "Idempotent-Replayed"},
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

// A BodyTimeoutError is what reading a request's body returns once its
// deadline has passed: the body did not arrive in full within After of the
// request's headers.
type BodyTimeoutError struct{ After time.Duration }

func (e *BodyTimeoutError) Error() string {
	return fmt.Sprintf("the request body did not arrive in full within %s of its headers", e.After)
}

// bodies bounds how request bodies are read: each must arrive in full within
// timeout of its headers (0: no deadline of its own), and one client address
// (viewer.Proxies.ClientIP, so behind a trusted proxy the client's own) may
// have at most perAddress bodies being read at once (0: any); more are
// answered 429 RATE_LIMITED at once, their connection closed. A client that
// connects directly is bounded by its connections already; this is what
// bounds a client behind a proxy, whose connections are the proxy's: there,
// holding a body back is the one way a client holds a connection for long (a
// proxy reads a request's headers whole, and its idle connections are its own).
func bodies(timeout time.Duration, perAddress int, proxies viewer.Proxies, logger *slog.Logger, next http.Handler) http.Handler {
	if timeout <= 0 && perAddress <= 0 {
		return next
	}
	var (
		mu      sync.Mutex
		reading = map[string]int{}
	)
	warn := newWarner(logger, "requests refused: their client address has MAX_CONNECTIONS_PER_ADDRESS request bodies being read already")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		leave := func() {}
		if perAddress > 0 {
			ip := proxies.ClientIP(r)
			mu.Lock()
			full := reading[ip] >= perAddress
			if !full {
				reading[ip]++
			}
			mu.Unlock()
			if full {
				warn.note(ip)
				// The body is not waited for (the server would read it
				// after the answer, to reuse the connection): the
				// connection closes after the answer instead.
				_ = http.NewResponseController(w).SetReadDeadline(time.Now())
				h := w.Header()
				h.Set("Connection", "close")
				h.Set("Retry-After", "1")
				h.Set("Content-Type", mediaJSON+"; charset=utf-8")
				e := errcode.New(errcode.RateLimited, "too many requests from this address are sending their bodies at once; retry later")
				e.Extensions["retryAfter"] = 1
				writeRequestError(w, http.StatusTooManyRequests, e)
				return
			}
			leave = func() {
				mu.Lock()
				if reading[ip]--; reading[ip] <= 0 {
					delete(reading, ip)
				}
				mu.Unlock()
			}
		}
		rc := http.NewResponseController(w)
		if timeout > 0 {
			_ = rc.SetReadDeadline(time.Now().Add(timeout))
		}
		b := &body{r: r.Body, leave: leave, timeout: timeout}
		defer b.done()
		r = r.WithContext(r.Context()) // a copy: the server's request keeps the server's body
		r.Body = b
		next.ServeHTTP(w, r)
		if !b.sawEOF {
			// What has not arrived of the body is not waited for (the
			// server would read it, to reuse the connection): the
			// connection closes after the answer instead.
			_ = rc.SetReadDeadline(time.Now())
		}
	})
}

// body is a request body being read: its place among its address's bodies
// is given back when it ends (its end, an error, Close or the handler's
// return, whichever comes first). Close does not close the server's body:
// the server does, after the handler, and closing it would read the rest.
type body struct {
	r       io.ReadCloser
	leave   func()
	timeout time.Duration
	once    sync.Once
	sawEOF  bool
	closed  bool
}

func (b *body) done() { b.once.Do(b.leave) }

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.r.Read(p)
	switch {
	case err == io.EOF:
		b.sawEOF = true
		b.done()
	case errors.Is(err, os.ErrDeadlineExceeded) && b.timeout > 0:
		b.done()
		err = &BodyTimeoutError{After: b.timeout}
	case err != nil:
		b.done()
	}
	return n, err
}

func (b *body) Close() error {
	b.closed = true
	b.done()
	return nil
}
