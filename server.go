// Command reflect-graphql serves a GraphQL API over the Quran Foundation's Quran
// Reflect room API. With no QF_CLIENT_ID it runs on an embedded fake of the
// upstream and serves demo data.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/upstream"
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

// environments are the provider's two environments: {auth, api} base URLs.
func environments(name string) (auth, api string, ok bool) {
	switch name {
	case "prelive":
		return "https://prelive-oauth2.quran.foundation", "https://apis-prelive.quran.foundation", true
	case "production":
		return "https://oauth2.quran.foundation", "https://apis.quran.foundation", true
	}
	return "", "", false
}

// config is everything run reads from the environment.
type config struct {
	addr             string
	env              string
	apiBaseURL       string
	authBaseURL      string
	clientID         string
	clientSecret     string
	scopes           []string
	demo             bool
	batchConcurrency int
	maxBodyBytes     int64
	attemptTimeout   time.Duration
	budget           time.Duration
	maxRetries       int
	maxInFlight      int
	breakerFailures  int
	breakerOpenFor   time.Duration
	tokenTimeout     time.Duration
	shutdownTimeout  time.Duration
	requestTimeout   time.Duration
	demoLatency      time.Duration
	shutdownDelay    time.Duration
	metricsAddr      string
	redisURL         string
	apqTTL           time.Duration
	manifestPath     string
	onlyTrusted      bool
	corsOrigins      []string
	publicMaxAge     time.Duration
	graphiqlAssets   string
	pprof            bool
	roomCacheTTL     time.Duration
	roomCacheSize    int
	coalesce         bool
	limits           graph.Limits
	callerLimit      graph.CallerLimit
	introspection    bool
	graphiql         bool
	logFormat        string
	logLevel         slog.Level
}

// loadConfig reads and checks the configuration. Its errors name the variable.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		env:          orDefault(getenv("QF_ENV"), "prelive"),
		clientID:     getenv("QF_CLIENT_ID"),
		clientSecret: getenv("QF_CLIENT_SECRET"),
		scopes:       strings.Fields(strings.ReplaceAll(getenv("QF_SCOPES"), ",", " ")),
		logFormat:    orDefault(getenv("LOG_FORMAT"), "text"),
	}
	port := orDefault(getenv("PORT"), "8080")
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return c, fmt.Errorf("PORT: %q is not a port number", port)
	}
	c.addr = net.JoinHostPort(getenv("HOST"), port)
	var ok bool
	if c.authBaseURL, c.apiBaseURL, ok = environments(c.env); !ok {
		return c, fmt.Errorf("QF_ENV: unknown environment %q (want prelive or production)", c.env)
	}
	for _, o := range []struct {
		name string
		dst  *string
	}{{"QF_API_BASE_URL", &c.apiBaseURL}, {"QF_AUTH_BASE_URL", &c.authBaseURL}} {
		v := getenv(o.name)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return c, fmt.Errorf("%s: not an absolute http(s) URL", o.name)
		}
		if u.User != nil {
			return c, fmt.Errorf("%s: credentials in the URL are not supported (use QF_CLIENT_SECRET)", o.name)
		}
		*o.dst = strings.TrimRight(v, "/")
	}
	c.demo = c.clientID == ""
	ints := []struct {
		name string
		dst  *int
		def  int
	}{
		{"UPSTREAM_CONCURRENCY", &c.batchConcurrency, 10},
		{"UPSTREAM_MAX_IN_FLIGHT", &c.maxInFlight, 64},
		{"UPSTREAM_BREAKER_FAILURES", &c.breakerFailures, 10},
		{"MAX_TOKENS", &c.limits.Tokens, 2000},
		{"MAX_DEPTH", &c.limits.Depth, 10},
		{"MAX_ALIASES", &c.limits.Aliases, 30},
		{"MAX_ROOT_FIELDS", &c.limits.RootFields, 20},
		{"MAX_DIRECTIVES", &c.limits.Directives, 20},
		{"MAX_SELECTIONS", &c.limits.Selections, 500},
		{"MAX_ROOM_IDS", &c.limits.RoomIDs, 100},
		{"MAX_COMPLEXITY", &c.limits.Complexity, 5000},
		{"CALLER_BURST", &c.callerLimit.Burst, 200},
		{"ROOM_CACHE_SIZE", &c.roomCacheSize, 10_000},
	}
	var err error
	for _, v := range ints {
		if *v.dst, err = intVar(getenv, v.name, v.def); err != nil {
			return c, err
		}
	}
	if c.maxRetries, err = countVar(getenv, "UPSTREAM_RETRIES", 2); err != nil {
		return c, err
	}
	body, err := intVar(getenv, "MAX_BODY_BYTES", 64<<10)
	if err != nil {
		return c, err
	}
	c.maxBodyBytes = int64(body)
	rps, err := intVar(getenv, "CALLER_RATE", 50)
	if err != nil {
		return c, err
	}
	c.callerLimit.PerSecond = float64(rps)
	durations := []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"UPSTREAM_ATTEMPT_TIMEOUT", &c.attemptTimeout, 3 * time.Second},
		{"UPSTREAM_BUDGET", &c.budget, 8 * time.Second},
		{"UPSTREAM_BREAKER_OPEN_FOR", &c.breakerOpenFor, 10 * time.Second},
		{"TOKEN_TIMEOUT", &c.tokenTimeout, 5 * time.Second},
		{"SHUTDOWN_TIMEOUT", &c.shutdownTimeout, time.Nanosecond},
		{"REQUEST_TIMEOUT", &c.requestTimeout, 20 * time.Second},
		{"DEMO_LATENCY", &c.demoLatency, time.Nanosecond},
		{"SHUTDOWN_DELAY", &c.shutdownDelay, time.Nanosecond},
		{"APQ_TTL", &c.apqTTL, 24 * time.Hour},
		{"ROOM_CACHE_TTL", &c.roomCacheTTL, time.Nanosecond},
		{"PUBLIC_CACHE_MAX_AGE", &c.publicMaxAge, time.Nanosecond},
	}
	for _, v := range durations {
		if *v.dst, err = durationVar(getenv, v.name, v.def); err != nil {
			return c, err
		}
	}
	if c.introspection, err = boolVar(getenv, "INTROSPECTION", true); err != nil {
		return c, err
	}
	if c.graphiql, err = boolVar(getenv, "GRAPHIQL", true); err != nil {
		return c, err
	}
	if c.pprof, err = boolVar(getenv, "PPROF", false); err != nil {
		return c, err
	}
	if c.coalesce, err = boolVar(getenv, "ROOM_COALESCE", false); err != nil {
		return c, err
	}
	if c.roomCacheTTL <= time.Nanosecond {
		c.roomCacheTTL = 0
	}
	if c.shutdownDelay <= time.Nanosecond {
		c.shutdownDelay = 0
	}
	// The drain must outlast any request, or shutdown cuts one short.
	switch {
	case c.shutdownTimeout <= time.Nanosecond:
		c.shutdownTimeout = c.requestTimeout + 5*time.Second
	case c.shutdownTimeout <= c.requestTimeout:
		return c, fmt.Errorf("SHUTDOWN_TIMEOUT: %s must be longer than REQUEST_TIMEOUT (%s), or shutdown cuts requests short", c.shutdownTimeout, c.requestTimeout)
	}
	if c.publicMaxAge <= time.Nanosecond {
		c.publicMaxAge = 0
	}
	if c.redisURL = getenv("REDIS_URL"); c.redisURL != "" {
		if _, err := redis.ParseURL(c.redisURL); err != nil {
			return c, fmt.Errorf("REDIS_URL: not a redis:// , rediss:// or unix:// URL")
		}
	}
	c.manifestPath = getenv("PERSISTED_DOCUMENTS")
	if c.onlyTrusted, err = boolVar(getenv, "TRUSTED_DOCUMENTS_ONLY", false); err != nil {
		return c, err
	}
	if c.onlyTrusted && c.manifestPath == "" {
		return c, fmt.Errorf("TRUSTED_DOCUMENTS_ONLY: needs PERSISTED_DOCUMENTS, the manifest of trusted documents")
	}
	for o := range strings.SplitSeq(getenv("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || u.Path != "") {
			return c, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.org", o)
		}
		c.corsOrigins = append(c.corsOrigins, o)
	}
	c.graphiqlAssets = getenv("GRAPHIQL_ASSETS")
	if c.graphiqlAssets == "" {
		// The e2e folder's packages, when installed (npm ci in e2e/).
		if _, err := os.Stat("e2e/node_modules/graphiql/graphiql.min.js"); err == nil {
			c.graphiqlAssets = "e2e/node_modules"
		}
	} else if _, err := os.Stat(filepath.Join(c.graphiqlAssets, "graphiql", "graphiql.min.js")); err != nil {
		return c, fmt.Errorf("GRAPHIQL_ASSETS: %q has no graphiql/graphiql.min.js (run npm ci in e2e/)", c.graphiqlAssets)
	}
	if c.metricsAddr = getenv("METRICS_ADDR"); c.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.metricsAddr); err != nil {
			return c, fmt.Errorf("METRICS_ADDR: %q is not host:port (such as :9090)", c.metricsAddr)
		}
	}
	if c.pprof && c.metricsAddr == "" {
		return c, fmt.Errorf("PPROF: needs METRICS_ADDR, the admin port it is served on")
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, fmt.Errorf("LOG_FORMAT: %q is not text or json", c.logFormat)
	}
	if err := c.logLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", getenv("LOG_LEVEL"))
	}
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func intVar(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive integer", name, v)
	}
	return n, nil
}

// countVar reads a count that may be zero.
func countVar(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a count (0 or more)", name, v)
	}
	return n, nil
}

func boolVar(getenv func(string) string, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", name, v)
	}
	return b, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 3s", name, v)
	}
	return d, nil
}

// run builds every dependency from the environment, serves until ctx is
// cancelled, then shuts down gracefully: /readyz turns not-ready first, then,
// after SHUTDOWN_DELAY, the listener closes and in-flight requests drain.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if getenv("GOGC") == "" {
		// The live heap is a few MB, so the default (collect when the heap
		// doubles) runs the collector very often under load: with 400, one
		// core serves about 28% more requests (go run ./cmd/load -service-env
		// GOGC=100 vs 400) for some tens of MB. GOGC and GOMEMLIMIT override.
		debug.SetGCPercent(400)
	}
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	var handler slog.Handler
	if cfg.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, opts)
	} else {
		handler = slog.NewTextHandler(stderr, opts)
	}
	logger := slog.New(graph.WithRequestIDs(handler))

	if cfg.demo {
		stopDemo, err := startDemoUpstream(ctx, logger, &cfg)
		if err != nil {
			return err
		}
		defer stopDemo()
	}
	logger.Info("configuration", cfg.logAttrs()...)

	tracer, stopTracing, err := setupTracing(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer stopTracing()

	registry := prometheus.NewRegistry()
	metrics := graph.NewMetrics(registry)
	metricsHandler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry})

	var tokens *upstream.ServiceTokens
	var tokenProvider upstream.TokenProvider
	if cfg.clientSecret != "" {
		tokens = upstream.NewServiceTokens(ctx, upstream.ServiceTokensConfig{
			AuthBaseURL:  cfg.authBaseURL,
			ClientID:     cfg.clientID,
			ClientSecret: cfg.clientSecret,
			Scopes:       cfg.scopes,
			HTTPClient:   &http.Client{Timeout: cfg.tokenTimeout},
			FetchTimeout: cfg.tokenTimeout,
			Observer:     metrics,
			Tracer:       tracer.Tracer("upstream"),
		})
		tokenProvider = tokens
		_ = tokens.Ready() // fetch the first token now, not on the first request
	} else {
		logger.Warn("QF_CLIENT_SECRET is not set: callers without a user token get UNAUTHENTICATED")
	}
	retries := cfg.maxRetries
	if retries == 0 {
		retries = -1 // upstream.Config reads 0 as "the default"
	}
	client := upstream.New(upstream.Config{
		APIBaseURL:      cfg.apiBaseURL,
		ClientID:        cfg.clientID,
		ServiceTokens:   tokenProvider,
		Logger:          logger,
		AttemptTimeout:  cfg.attemptTimeout,
		Budget:          cfg.budget,
		MaxRetries:      retries,
		MaxConcurrent:   int64(cfg.maxInFlight),
		BreakerFailures: cfg.breakerFailures,
		BreakerOpenFor:  cfg.breakerOpenFor,
		Observer:        metrics,
		Tracer:          tracer.Tracer("upstream"),
	}, upstreamHTTPClient(cfg.attemptTimeout, cfg.maxInFlight))

	var manifest graph.Manifest
	if cfg.manifestPath != "" {
		if manifest, err = graph.LoadManifest(cfg.manifestPath); err != nil {
			return fmt.Errorf("PERSISTED_DOCUMENTS: %w", err)
		}
		logger.Info("trusted documents loaded", "count", len(manifest), "only", cfg.onlyTrusted)
	}
	var store graph.QueryStore    // nil: graph's in-memory default
	var redisClient *redis.Client // one pool for every store in Redis
	if cfg.redisURL != "" {
		opts, err := redis.ParseURL(cfg.redisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		redisClient = redis.NewClient(opts)
		defer redisClient.Close()
		store = graph.NewRedisStore(redisClient, cfg.apqTTL, 300*time.Millisecond)
	}

	var rooms graph.RoomFetcher = client
	if cfg.coalesce || cfg.roomCacheTTL > 0 {
		sharing := graph.SharingOptions{Coalesce: cfg.coalesce, OnShare: metrics.Shared}
		switch {
		case cfg.roomCacheTTL > 0 && redisClient != nil:
			sharing.Cache = graph.NewRedisRoomCache(redisClient, hostOfURL(cfg.apiBaseURL), cfg.roomCacheTTL, 100*time.Millisecond)
		case cfg.roomCacheTTL > 0:
			sharing.Cache = graph.NewMemoryRoomCache(cfg.roomCacheSize, cfg.roomCacheTTL)
		}
		rooms = graph.ShareRooms(client, sharing)
	}

	var shuttingDown atomic.Bool
	var redisOK struct {
		sync.Mutex
		at  time.Time
		err error
	}
	ready := func(ctx context.Context) error {
		if shuttingDown.Load() {
			return errors.New("shutting down")
		}
		if redisClient != nil {
			// Probes come often; one PING a second is enough to know.
			redisOK.Lock()
			if time.Since(redisOK.at) > time.Second {
				pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				redisOK.at, redisOK.err = time.Now(), redisClient.Ping(pctx).Err()
				cancel()
			}
			err := redisOK.err
			redisOK.Unlock()
			if err != nil {
				return fmt.Errorf("redis does not answer: %w", err)
			}
		}
		if tokens != nil {
			return tokens.Ready()
		}
		return nil
	}
	gopts := graph.Options{
		BatchConcurrency: cfg.batchConcurrency,
		MaxBodyBytes:     cfg.maxBodyBytes,
		Limits:           cfg.limits,
		CallerLimit:      cfg.callerLimit,
		NoIntrospection:  !cfg.introspection,
		NoGraphiQL:       !cfg.graphiql,
		RequestTimeout:   cfg.requestTimeout,
		Metrics:          metrics,
		Tracer:           tracer.Tracer("graphql"),
		Ready:            ready,
		Persisted:        store,
		Manifest:         manifest,
		OnlyTrusted:      cfg.onlyTrusted,
		CORSOrigins:      cfg.corsOrigins,
		PublicMaxAge:     cfg.publicMaxAge,
		GraphiQLAssets:   cfg.graphiqlAssets,
	}
	if cfg.metricsAddr == "" {
		gopts.MetricsHandler = metricsHandler
	}
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           graph.NewServer(logger, rooms, gopts),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.requestTimeout + 10*time.Second, // a late request still gets its answer
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	errc := make(chan error, 2)
	var admin *http.Server
	if cfg.metricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metricsHandler)
		if cfg.pprof {
			// Profiles on the admin port only, never the public one.
			mux.HandleFunc("GET /debug/pprof/", pprof.Index)
			mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		}
		admin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { errc <- admin.Serve(mln) }()
		logger.Info("serving metrics", "addr", mln.Addr().String())
	}
	logger.Info("serving GraphQL", "addr", ln.Addr().String(), "graphiql", "http://"+displayAddr(ln.Addr())+"/", "demo", cfg.demo)
	fmt.Fprintf(stdout, "GraphiQL: http://%s/  GraphQL: http://%s/query\n", displayAddr(ln.Addr()), displayAddr(ln.Addr()))

	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shuttingDown.Store(true)
	logger.Info("shutting down: not ready; draining in-flight requests",
		"delay", cfg.shutdownDelay.String(), "timeout", cfg.shutdownTimeout.String())
	if cfg.shutdownDelay > 0 {
		// Let load balancers see /readyz fail before the listener closes.
		time.Sleep(cfg.shutdownDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if admin != nil {
		defer admin.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// logAttrs is the effective configuration for the start-up log line, with the
// secret reduced to whether it is set.
func (c config) logAttrs() []any {
	secret := "unset"
	if c.clientSecret != "" {
		secret = "[redacted]"
	}
	return []any{
		"addr", c.addr, "env", c.env, "api", c.apiBaseURL, "auth", c.authBaseURL, "clientID", c.clientID,
		"clientSecret", secret, "scopes", c.scopes, "demo", c.demo,
		"batchConcurrency", c.batchConcurrency, "maxInFlight", c.maxInFlight, "attemptTimeout", c.attemptTimeout.String(),
		"budget", c.budget.String(), "retries", c.maxRetries, "breakerFailures", c.breakerFailures,
		"breakerOpenFor", c.breakerOpenFor.String(), "tokenTimeout", c.tokenTimeout.String(),
		"requestTimeout", c.requestTimeout.String(), "shutdownDelay", c.shutdownDelay.String(),
		"shutdownTimeout", c.shutdownTimeout.String(), "maxBodyBytes", c.maxBodyBytes,
		"limits", fmt.Sprintf("%+v", c.limits), "callerRate", c.callerLimit.PerSecond, "callerBurst", c.callerLimit.Burst,
		"introspection", c.introspection, "graphiql", c.graphiql, "graphiqlAssets", c.graphiqlAssets, "metricsAddr", c.metricsAddr,
		"redis", c.redisURL != "", "apqTTL", c.apqTTL.String(), "persistedDocuments", c.manifestPath, "onlyTrusted", c.onlyTrusted,
		"corsOrigins", c.corsOrigins, "publicCacheMaxAge", c.publicMaxAge.String(),
		"roomCacheTTL", c.roomCacheTTL.String(), "roomCacheSize", c.roomCacheSize, "coalesce", c.coalesce, "pprof", c.pprof,
		"logFormat", c.logFormat, "logLevel", c.logLevel.String(),
	}
}

// setupTracing turns tracing on with the standard OpenTelemetry variables:
// OTEL_TRACES_EXPORTER=otlp (or an OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) sends
// spans over OTLP (OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf, the default, or
// grpc); OTEL_TRACES_EXPORTER=console writes them to stdout. Otherwise tracing
// is off and costs nothing. The exporters read their other OTEL_* settings
// themselves.
func setupTracing(ctx context.Context, getenv func(string) string, stdout io.Writer) (trace.TracerProvider, func(), error) {
	off := func() {}
	kind := strings.ToLower(getenv("OTEL_TRACES_EXPORTER"))
	if kind == "" && (getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "") {
		kind = "otlp"
	}
	var exp sdktrace.SpanExporter
	var err error
	switch kind {
	case "", "none":
		return noop.NewTracerProvider(), off, nil
	case "console":
		exp, err = stdouttrace.New(stdouttrace.WithWriter(stdout))
	case "otlp":
		protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
		if protocol == "" {
			protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
		}
		switch protocol {
		case "", "http/protobuf":
			exp, err = otlptracehttp.New(ctx)
		case "grpc":
			exp, err = otlptracegrpc.New(ctx)
		default:
			return nil, off, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not http/protobuf or grpc", protocol)
		}
	default:
		return nil, off, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not otlp, console or none", kind)
	}
	if err != nil {
		return nil, off, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithAttributes(attribute.String("service.name", "quran-reflect-graphql")))
	if err != nil {
		return nil, off, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}, nil
}

// startDemoUpstream serves the embedded fake upstream on a loopback port and
// points cfg at it.
func startDemoUpstream(ctx context.Context, logger *slog.Logger, cfg *config) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo upstream: %w", err)
	}
	latency := cfg.demoLatency
	if latency <= time.Nanosecond {
		latency = 0
	}
	demo := &http.Server{Handler: fake.New(fake.Options{Latency: latency}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = demo.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	cfg.apiBaseURL, cfg.authBaseURL = base, base
	cfg.clientID, cfg.clientSecret = fake.DemoClientID, fake.DemoClientSecret
	logger.Warn("QF_CLIENT_ID is not set: serving DEMO DATA from an embedded fake of the Quran Reflect API",
		"fake", base, "demoTokens", "demo-aisha, demo-bilal, demo-fatima")
	return func() { _ = demo.Close() }, nil
}

// upstreamHTTPClient is the one client for every upstream call: as many idle
// keep-alive connections per host as calls may be in flight, so a load reuses
// connections instead of churning ports. Each attempt's own deadline comes from
// the upstream client; these timeouts bound the phases below it.
func upstreamHTTPClient(attempt time.Duration, inFlight int) *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(256, inFlight),
		MaxIdleConnsPerHost:   inFlight,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   2 * time.Second,
		ResponseHeaderTimeout: attempt,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t}
}

func hostOfURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Host
	}
	return s
}

// displayAddr is the address to print for people: localhost for all interfaces.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "::" || host == "0.0.0.0" || host == "" {
		return "localhost:" + port
	}
	return net.JoinHostPort(host, port)
}
