// Command reflect-graphql serves a GraphQL API over the Quran Foundation's Quran
// Reflect API. With no QF_CLIENT_ID it runs on an embedded fake of the upstream
// and serves demo data. The service itself is built by graph/service; this file
// is the process: configuration from the environment, logging, tracing, demo
// mode, the listeners and a graceful shutdown.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/httpapi"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process at once.
	go func() { <-ctx.Done(); stop() }()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run builds the service from the environment, serves until ctx is cancelled,
// then shuts down gracefully: /readyz turns not-ready first, then, after
// SHUTDOWN_DELAY, the listener closes and in-flight requests drain.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	return runWatched(ctx, getenv, stdout, stderr, nil)
}

// runWatched is run with watch (when not nil) told of every state change of
// the public port's connections, before the service acts on it (it may close
// a connection that goes idle): tests synchronise on it.
func runWatched(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, watch func(net.Conn, http.ConnState)) error {
	cfg, err := service.Load(getenv)
	if err != nil {
		return err
	}
	if !cfg.GOGCFromEnv {
		debug.SetGCPercent(cfg.GCPercent) // GOGC, when set, wins
	}
	if getenv("GOMEMLIMIT") == "" {
		// A soft limit: the collector runs more often near it, never fails.
		debug.SetMemoryLimit(service.DefaultMemoryLimit)
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var handler slog.Handler
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(stderr, opts)
	} else {
		handler = slog.NewTextHandler(stderr, opts)
	}
	logger := slog.New(telemetry.WithRequestIDs(handler))

	// At most MaxConnections open: beyond it, new connections wait in the
	// listen queue. From three quarters of it on, idle keep-alive connections
	// are closed at once instead of after IdleTimeout, so waiting clients get in.
	// One address (but a trusted proxy's) holds at most its share of them,
	// MaxConnectionsPerAddress; more are refused as they are accepted.
	ln, conns, err := httpapi.Listen(cfg.Addr(), httpapi.Limits{Max: cfg.MaxConnections,
		PerAddress: cfg.MaxConnectionsPerAddress, Proxies: cfg.TrustedProxies, Logger: logger})
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	defer ln.Close()
	// PUBLIC_URL defaults to where the service listens (PORT=0 included).
	cfg.ResolvePublicURL(displayAddr(ln.Addr()))
	demo := cfg.Demo()
	if demo {
		stopDemo, err := startDemoUpstream(logger, &cfg)
		if err != nil {
			return err
		}
		defer stopDemo()
	}
	logger.Info("configuration", cfg.LogAttrs()...)

	tracer, stopTracing, err := telemetry.Tracing(ctx, cfg.TracesExporter, getenv, stdout)
	if err != nil {
		return err
	}
	defer stopTracing()

	svc, err := service.New(ctx, cfg, service.Deps{Logger: logger, Tracer: tracer})
	if err != nil {
		return err
	}
	defer svc.Close()
	var draining atomic.Bool
	srv := &http.Server{
		Handler:           httpapi.CloseWhenDraining(svc.Handler, &draining),
		ReadHeaderTimeout: cfg.HeaderTimeout,
		ReadTimeout:       cfg.HeaderTimeout + cfg.BodyTimeout, // backs each body's own deadline, set as its handler starts (httpapi)
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second, // a late request still gets its answer
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	srv.ConnState = conns.ConnState
	if watch != nil {
		srv.ConnState = func(c net.Conn, s http.ConnState) { watch(c, s); conns.ConnState(c, s) }
	}
	errc := make(chan error, 2)
	var admin *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		admin = &http.Server{Handler: svc.Admin, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { errc <- admin.Serve(mln) }()
		logger.Info("serving metrics", "addr", mln.Addr().String())
	}
	logger.Info("serving GraphQL", "addr", ln.Addr().String(), "graphiql", "http://"+displayAddr(ln.Addr())+"/", "demo", demo)
	fmt.Fprintf(stdout, "GraphiQL: http://%s/  GraphQL: http://%s/query\n", displayAddr(ln.Addr()), displayAddr(ln.Addr()))

	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	svc.Shutdown()
	logger.Info("shutting down: not ready; draining in-flight requests",
		"delay", cfg.ShutdownDelay.String(), "timeout", cfg.ShutdownTimeout.String())
	if cfg.ShutdownDelay > 0 {
		// Let load balancers see /readyz fail before the listener closes.
		time.Sleep(cfg.ShutdownDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if admin != nil {
		defer admin.Shutdown(sctx)
	}
	// The listener closes first, while keep-alive clients still send on the
	// connections they have, so no request waits in its accept queue to be
	// reset. Then each connection ends after its next answer ("Connection:
	// close"), where its client knows it ended; a client that reconnects is
	// refused. Only connections left idle throughout drainGrace are closed
	// under their clients, by Shutdown.
	ln.Close()
	draining.Store(true)
	gctx, gcancel := context.WithTimeout(sctx, drainGrace)
	conns.WaitClosed(gctx)
	gcancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err // Serve ends with net.ErrClosed: the listener was closed before Shutdown
	}
	return nil
}

// drainGrace is how long, once the listener is closed, connections have to end
// after their next answer before the idle rest are closed.
const drainGrace = time.Second

// startDemoUpstream serves the embedded fake upstream on a loopback port and
// points cfg at it.
func startDemoUpstream(logger *slog.Logger, cfg *service.Config) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo upstream: %w", err)
	}
	// The fake is the demo's sign-in provider too: it knows this service's
	// callback and sign-out page, and its access tokens last five minutes, so
	// a demo sees sessions refreshed.
	f := fake.New(fake.Options{Latency: cfg.DemoLatency, UserTokenLifetime: 5 * time.Minute})
	f.RegisterRedirect(cfg.PublicURL + "/auth/callback")
	f.RegisterPostLogoutRedirect(cfg.SignOutRedirect)
	demo := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = demo.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	cfg.APIBaseURL, cfg.AuthBaseURL = base, base
	cfg.ClientID, cfg.ClientSecret = fake.DemoClientID, fake.DemoClientSecret
	cfg.Emulated = true
	logger.Warn("QF_CLIENT_ID is not set: serving DEMO DATA from an embedded fake of the Quran Reflect API",
		"fake", base, "demoTokens", "demo-aisha, demo-bilal, demo-fatima")
	return func() { _ = demo.Close() }, nil
}

// displayAddr is the address to print for people: localhost for all interfaces.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "::" || host == "0.0.0.0" || host == "" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}
