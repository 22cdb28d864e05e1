// Package httpapi is the service's whole HTTP surface: every route of the public
// port and the admin port, the middleware in front of GraphQL (the viewer, the
// deadline, the access log, CORS, compression, panics), the GraphQL-over-HTTP
// transport, and GraphiQL. It serves a gqlgen handler it is given and knows
// nothing of the schema behind it.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// Options are what the routes serve.
type Options struct {
	Logger *slog.Logger
	// GraphQL is the gqlgen handler, with Transport as its only transport.
	GraphQL http.Handler
	// RequestTimeout bounds one GraphQL request, upstream calls included. Keep it
	// under the http.Server's WriteTimeout, so that a slow request still ends
	// with an answer, not a dropped connection.
	RequestTimeout time.Duration
	Metrics        *telemetry.Metrics
	// MetricsHandler serves /metrics: on the admin port when there is one,
	// else on the public port.
	MetricsHandler http.Handler
	// PProf serves net/http/pprof on the admin port (never on the public one).
	PProf bool
	// Ready reports whether the service can serve (nil: always); /readyz
	// answers 503 with its error.
	Ready func(ctx context.Context) error
	// TrustedProxies are the proxies whose X-Forwarded-For names the client.
	TrustedProxies viewer.Proxies
	// CORSOrigins may call from browsers ("*": any, without credentials).
	CORSOrigins []string
	// SDL is the printed schema (graph.SDL), served at /schema.graphql while
	// Introspection is on.
	SDL           []byte
	Introspection bool
	// GraphiQL serves GraphiQL at /, with its assets from GraphiQLAssets (a
	// node_modules folder; empty: from a CDN).
	GraphiQL       bool
	GraphiQLAssets string
	// SignIn serves /auth/ (nil: not mounted) and Cookies runs a request
	// that carries no token of its own but a session cookie as the session's
	// user, or refuses it (a status and an error); nil: cookies mean nothing.
	SignIn  http.Handler
	Cookies func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (status int, err *gqlerror.Error)
	// BodyTimeout is how long a request's body has to arrive in full after
	// its headers (slower: 408 BAD_REQUEST); BodiesPerAddress is how many
	// bodies one client address may have being read at once (more: 429
	// RATE_LIMITED). 0: no bound.
	BodyTimeout      time.Duration
	BodiesPerAddress int
}

// Routes returns the handlers of both ports. The admin port (metrics and
// profiles) is for operators only; run serves it on METRICS_ADDR when that is
// set, and then /metrics is not on the public port.
func Routes(o Options, separateAdmin bool) (public, admin http.Handler) {
	logger := slog.New(telemetry.WithRequestIDs(o.Logger.Handler()))
	mux := http.NewServeMux()
	mux.Handle("/query", telemetry.AccessLog(logger, o.Metrics,
		withDeadline(o.RequestTimeout, withViewer(o.TrustedProxies, o.Cookies, o.GraphQL))))
	if o.SignIn != nil {
		mux.Handle("/auth/", telemetry.RouteLog(logger, withDeadline(o.RequestTimeout, o.SignIn)))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if o.Ready != nil {
			if err := o.Ready(r.Context()); err != nil {
				// The detail (addresses, upstream errors) goes to the log only.
				logger.InfoContext(r.Context(), "not ready", "err", err.Error())
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"not ready"}` + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	if o.Introspection {
		// The SDL is the schema introspection would reveal: off together.
		mux.HandleFunc("GET /schema.graphql", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=300")
			_, _ = w.Write(o.SDL)
		})
	}
	if o.GraphiQL {
		if err := graphiqlHandlers(mux, o.GraphiQLAssets); err != nil {
			logger.Error("graphiql: assets not found; serving them from the CDN", "dir", o.GraphiQLAssets, "err", err.Error())
			_ = graphiqlHandlers(mux, "")
		}
	}

	adminMux := http.NewServeMux()
	if separateAdmin && o.PProf {
		adminMux.HandleFunc("GET /debug/pprof/", pprof.Index)
		adminMux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		adminMux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	// /metrics is for operators' scrapers, never for browsers: every method of
	// it is served outside the CORS layer, preflights too, so no origin is
	// ever allowed to read it.
	outer := http.NewServeMux()
	outer.Handle("/", withCORS(o.CORSOrigins, mux))
	switch {
	case o.MetricsHandler != nil && separateAdmin:
		adminMux.Handle("GET /metrics", o.MetricsHandler)
		outer.Handle("/metrics", http.NotFoundHandler())
	case o.MetricsHandler != nil:
		outer.Handle("GET /metrics", o.MetricsHandler)
		outer.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "GET")
			w.WriteHeader(http.StatusMethodNotAllowed)
		})
	default:
		outer.Handle("/metrics", http.NotFoundHandler())
	}
	public = bodies(o.BodyTimeout, o.BodiesPerAddress, o.TrustedProxies, logger, recoverHTTP(logger, compress(outer)))
	return public, adminMux
}
