package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/httpapi"
	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/persisted"
	"github.com/quranfoundation/reflect-graphql/graph/signin"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Deps are what New takes besides the configuration: the process's own
// resources, and the seams the tests use. Only Logger is required.
type Deps struct {
	Logger *slog.Logger
	// Tracer makes the spans (nil: none). Registry takes the metrics (nil: a
	// registry of the service's own).
	Tracer   trace.TracerProvider
	Registry *prometheus.Registry

	// Now is the clock of the service token and the per-caller limits (nil:
	// time.Now); Sleep waits between upstream retries (nil: a timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// WrapRoom, if set, wraps the room fetch (after sharing): tests count,
	// hold or break calls with it.
	WrapRoom func(loader.Fetch[string, *upstream.Room]) loader.Fetch[string, *upstream.Room]
	// VerseLoaded, for tests, hears the result ("ok" or "failed") of every
	// load of the copy of the Quran's text, after it is swapped in.
	VerseLoaded func(result string)
	// WrapSessions, for tests, wraps the store of sign-ins and sessions
	// (nil: as is).
	WrapSessions func(signin.Store) signin.Store
	// WrapIdempotency, for tests, wraps the store of Idempotency-Keys'
	// claims and answers (nil: as is).
	WrapIdempotency func(idempotency.Store) idempotency.Store
	// PersistedLimits bound the store of persisted queries (nil:
	// persisted.DefaultLimits(cfg.APQTTL)).
	PersistedLimits *persisted.Limits
	// BadTokenLimit is the per-IP budget of tokens the upstream refuses (nil:
	// guard.DefaultBadTokenLimit()); RefusalLimit the per-IP budget of
	// refused documents (nil: guard.DefaultRefusalLimit()).
	BadTokenLimit *guard.CallerLimit
	RefusalLimit  *guard.CallerLimit
}

// Service is the built service: the handlers of its two ports, the start of a
// graceful stop, and what to close when it stops.
type Service struct {
	// Handler serves the public port; Admin the admin port (metrics, profiles),
	// which has routes only when cfg.MetricsAddr is set.
	Handler, Admin http.Handler
	// Shutdown turns /readyz not-ready: the first step of a graceful stop.
	Shutdown func()
	tokens   *upstream.ServiceTokens
	content  content
	closers  []func()
}

// Warm waits for the service's first token (fetched in the background from the
// start), when it uses one. Tests call it so that the start-up fetch is not
// counted against what they measure.
func (s *Service) Warm(ctx context.Context) error {
	if s.tokens == nil {
		return nil
	}
	_, err := s.tokens.Token(ctx)
	return err
}

// WarmVerses waits for the first load of the copy of the Quran's text to
// end, whatever came of it (started with the service; tests call it so that
// the load is not counted against what they measure).
func (s *Service) WarmVerses(ctx context.Context) error {
	if s.content.store == nil {
		return nil
	}
	select {
	case <-s.content.store.Loaded():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close releases what New opened (the Redis pools).
func (s *Service) Close() {
	for _, c := range s.closers {
		c()
	}
}

// New builds the whole service from cfg. ctx is the process's: the service token
// is renewed on it (never on a request's).
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Tracer == nil {
		d.Tracer = noop.NewTracerProvider()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	// Every record logged with a request's context carries its request id.
	logger := slog.New(telemetry.WithRequestIDs(d.Logger.Handler()))
	svc := &Service{}
	metrics := telemetry.NewMetrics(d.Registry)

	client, tokens := newUpstream(ctx, cfg, d, logger, metrics)
	svc.tokens = tokens
	verses := newContent(ctx, cfg, d, logger, metrics)
	svc.content = verses
	// The copy of the text loads in the background: /readyz does not wait for
	// it (verse fields are read per range meanwhile).
	if verses.store != nil {
		loadCtx, stopLoading := context.WithCancel(ctx)
		svc.closers = append(svc.closers, stopLoading)
		go verses.store.Run(loadCtx)
	}
	redisClient, sessionRedis, err := newRedises(cfg)
	for i, c := range []redis.UniversalClient{redisClient, sessionRedis} {
		if c != nil && (i == 0 || c != redisClient) {
			svc.closers = append(svc.closers, func() { _ = c.Close() })
		}
	}
	if err != nil {
		svc.Close()
		return nil, err
	}
	limits := persisted.DefaultLimits(cfg.APQTTL)
	if d.PersistedLimits != nil {
		limits = *d.PersistedLimits
	}
	store, manifest, err := newStores(cfg, d, limits, logger, metrics, redisClient)
	if err != nil {
		svc.Close()
		return nil, err
	}
	gql := newGraphQL(cfg, newPipeline(cfg, d, logger, metrics, client, verses, store, limits, manifest, redisClient))
	signIn, err := newSignIn(cfg, d, logger, metrics, sessionRedis)
	if err != nil {
		svc.Close()
		return nil, err
	}
	var cookies func(http.ResponseWriter, *http.Request, *viewer.Viewer) (int, *gqlerror.Error)
	if signIn.Configured() {
		cookies = signIn.Authenticate
	}

	var shuttingDown atomic.Bool
	svc.Shutdown = func() { shuttingDown.Store(true) }
	ready := readiness(&shuttingDown, tokens, namedRedis{"REDIS_URL", redisClient}, namedRedis{"SESSION_REDIS_URL", sessionRedis})
	svc.Handler, svc.Admin = httpapi.Routes(httpapi.Options{
		Logger:         logger,
		GraphQL:        gql,
		RequestTimeout: cfg.RequestTimeout,
		Metrics:        metrics,
		MetricsHandler: promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry}),
		PProf:          cfg.PProf,
		Ready:          ready,
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		SDL:            graph.SDL(),
		Introspection:  cfg.Introspection,
		GraphiQL:       cfg.GraphiQL,
		GraphiQLAssets: cfg.GraphiQLAssets,
		SignIn:         signIn.Handler(),
		Cookies:        cookies,
		// Behind a trusted proxy, a client's share is counted in bodies.
		BodyTimeout:      cfg.BodyTimeout,
		BodiesPerAddress: cfg.MaxConnectionsPerAddress,
	}, cfg.MetricsAddr != "")
	return svc, nil
}

// newUpstream is the upstream client, with the service's own token when there
// are client credentials (nil tokens otherwise). ctx is the process's: the token
// is renewed on it.
func newUpstream(ctx context.Context, cfg Config, d Deps, logger *slog.Logger, metrics *telemetry.Metrics) (*upstream.Client, *upstream.ServiceTokens) {
	var tokens *upstream.ServiceTokens
	var tokenProvider upstream.TokenProvider
	if cfg.ClientSecret != "" {
		tokens = newServiceTokens(ctx, cfg, d, metrics, cfg.Scopes)
		tokenProvider = tokens
		_ = tokens.Ready() // fetch the first token now, not on the first request
	} else {
		logger.Warn("QF_CLIENT_SECRET is not set: callers without a user token get UNAUTHENTICATED")
	}
	ucfg := cfg.Upstream
	ucfg.APIBaseURL, ucfg.ClientID, ucfg.ServiceTokens = cfg.APIBaseURL, cfg.ClientID, tokenProvider
	// Pre-live records a post's view with a GET, production with a POST.
	ucfg.ViewsByGET = cfg.Env == "prelive"
	ucfg.Logger, ucfg.Observer, ucfg.Tracer, ucfg.Sleep = logger, metrics, d.Tracer.Tracer("upstream"), d.Sleep
	client := upstream.New(ucfg, upstreamHTTPClient(int(ucfg.MaxConcurrent)))
	return client, tokens
}

// newServiceTokens is a client-credentials token for scopes, renewed on ctx
// (the process's). Tokens are per scope set: Quran Reflect's and the Content
// API's are two of these.
func newServiceTokens(ctx context.Context, cfg Config, d Deps, metrics *telemetry.Metrics, scopes []string) *upstream.ServiceTokens {
	return upstream.NewServiceTokens(ctx, upstream.ServiceTokensConfig{
		AuthBaseURL:  cfg.AuthBaseURL,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Scopes:       scopes,
		HTTPClient:   &http.Client{Timeout: cfg.TokenTimeout},
		FetchTimeout: cfg.TokenTimeout,
		Now:          d.Now,
		Observer:     metrics,
		Tracer:       d.Tracer.Tracer("upstream"),
	})
}

// newRedises are the Redis clients: for persisted queries and caches
// (REDIS_URL), and for sign-in (SESSION_REDIS_URL, by default the same one:
// then one client, one pool). Either may be nil: no such Redis.
func newRedises(cfg Config) (redisClient, sessionRedis redis.UniversalClient, err error) {
	if cfg.RedisURL != "" {
		if redisClient, err = NewRedis(cfg.RedisURL); err != nil {
			return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
		}
	}
	switch cfg.SessionRedisURL {
	case "", cfg.RedisURL:
		return redisClient, redisClient, nil
	}
	if sessionRedis, err = NewRedis(cfg.SessionRedisURL); err != nil {
		return redisClient, nil, fmt.Errorf("SESSION_REDIS_URL: %w", err)
	}
	return redisClient, sessionRedis, nil
}

// newStores are the store of persisted queries (in Redis when there is one)
// and the trusted documents.
func newStores(cfg Config, d Deps, limits persisted.Limits, logger *slog.Logger, metrics *telemetry.Metrics,
	redisClient redis.UniversalClient) (persisted.Store, persisted.Manifest, error) {
	var manifest persisted.Manifest
	if cfg.PersistedDocuments != "" {
		var err error
		if manifest, err = persisted.LoadManifest(cfg.PersistedDocuments); err != nil {
			return nil, nil, fmt.Errorf("PERSISTED_DOCUMENTS: %w", err)
		}
		logger.Info("trusted documents loaded", "count", len(manifest), "only", cfg.TrustedOnly)
		metrics.ReserveOperationNames(manifest.OperationNames())
	}
	if redisClient != nil {
		return persisted.NewRedisStore(redisClient, limits, 300*time.Millisecond), manifest, nil
	}
	return persisted.NewMemoryStore(limits, d.Now), manifest, nil
}

// newPipeline is what the GraphQL handler is built from: the resolver, with
// its sharing, and the per-caller limits.
func newPipeline(cfg Config, d Deps, logger *slog.Logger, metrics *telemetry.Metrics, client *upstream.Client,
	verses content, store persisted.Store, limits persisted.Limits, manifest persisted.Manifest, redisClient redis.UniversalClient) pipeline {
	badTokens, refusals := guard.DefaultBadTokenLimit(), guard.DefaultRefusalLimit()
	if d.BadTokenLimit != nil {
		badTokens = *d.BadTokenLimit
	}
	if d.RefusalLimit != nil {
		refusals = *d.RefusalLimit
	}
	var shares *guard.Shares
	if int64(cfg.CallerMaxInFlight) < cfg.Upstream.MaxConcurrent {
		shares = guard.NewShares(cfg.CallerMaxInFlight, guard.ShareWait)
	}
	return pipeline{
		logger: logger,
		resolver: graph.NewResolver(graph.Deps{Upstream: client, Sharing: sharing(cfg, redisClient, client.Host(), metrics),
			Content: verses.client, Quran: verses.store, VerseTranslation: cfg.VerseTranslation, VerseTranslations: cfg.VerseTranslations,
			// Production serves the count of posts by verse, pre-live does
			// not; the demo's emulator does.
			CountByVerse: cfg.Env == "production" || cfg.Emulated,
			WrapRoom:     d.WrapRoom}),
		metrics:   metrics,
		tracer:    d.Tracer.Tracer("graphql"),
		store:     store,
		limits:    limits,
		manifest:  manifest,
		callers:   guard.NewCallerLimits(cfg.CallerLimit, d.Now),
		badTokens: guard.NewCallerLimits(badTokens, d.Now),
		refusals:  guard.NewCallerLimits(refusals, d.Now),
		// Persisted-query registrations per address: a client registers each
		// of its documents once; a flood of invented ones fills the store.
		registrations: guard.NewCallerLimits(refusals, d.Now),
		proofs:        guard.NewProofs(guard.DefaultProofTTL, d.Now),
		shares:        shares,
		idempotency:   newIdempotency(cfg, d, redisClient),
	}
}

// newIdempotency keeps mutations' answers by Idempotency-Key: in Redis when
// there is one (every replica sees every key), else in memory. A claim lasts
// as long as a request can: its deadline, plus the server's margin to write
// its answer.
func newIdempotency(cfg Config, d Deps, redisClient redis.UniversalClient) *idempotency.Keeper {
	lease := cfg.RequestTimeout + 10*time.Second
	var store idempotency.Store = idempotency.NewMemoryStore(d.Now, idempotency.DefaultMemoryAnswers, idempotency.DefaultMemoryBytes)
	if redisClient != nil {
		// Recording what a write that ran answered goes past the gate's
		// pause, as saving a session does: a Redis that answers again
		// gets it.
		store = idempotency.NewRedisStore(redisClient, 300*time.Millisecond, ungated)
	}
	if d.WrapIdempotency != nil {
		store = d.WrapIdempotency(store)
	}
	return idempotency.New(store, cfg.IdempotencyTTL, lease)
}

// newSignIn is the browser sign-in, its sessions in Redis when there is one.
func newSignIn(cfg Config, d Deps, logger *slog.Logger, metrics *telemetry.Metrics, redisClient redis.UniversalClient) (*signin.Service, error) {
	cfg.ResolvePublicURL("localhost:" + cfg.Port)
	publicURL, err := url.Parse(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("PUBLIC_URL: %w", err)
	}
	sessions := signin.NewMemoryStore(d.Now)
	if redisClient != nil {
		sessions = signin.NewRedisStore(redisClient, ungated) // every replica sees every session
	}
	if d.WrapSessions != nil {
		sessions = d.WrapSessions(sessions)
	}
	signIn := signin.New(signin.Config{
		AuthBaseURL: cfg.AuthBaseURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		PublicURL: publicURL, Scopes: cfg.SignInScopes, SessionTTL: cfg.SessionTTL,
		SignOutRedirect: cfg.SignOutRedirect, Origins: cfg.CORSOrigins, ReturnOrigins: cfg.returnOrigins(),
		HTTPClient: &http.Client{Timeout: cfg.TokenTimeout},
		Store:      sessions, Logger: logger, Now: d.Now, Observer: metrics,
		ClientAddr: cfg.TrustedProxies.ClientIP,
	})
	return signIn, nil
}

// sharing is what the settings say of sharing lookups across requests: those of
// callers without a user token, by every endpoint that shares
// (PUBLIC_COALESCE, PUBLIC_SHARE_TTL, PUBLIC_SHARE_SIZE), and signed-in
// viewers' rooms by id (ROOM_COALESCE, ROOM_CACHE_TTL, ROOM_CACHE_SIZE); in
// Redis when there is one.
func sharing(cfg Config, redisClient redis.UniversalClient, host string, metrics *telemetry.Metrics) func(upstream.Endpoint) loader.Sharing {
	public := loader.PublicSharing{Coalesce: cfg.PublicCoalesce, TTL: cfg.PublicShareTTL, Size: cfg.PublicShareSize}
	room := loader.Sharing{Coalesce: cfg.RoomCoalesce, TTL: cfg.RoomCacheTTL, Size: cfg.RoomCacheSize,
		Redis: redisClient, Host: host, OnShare: metrics.Shared, Public: public}
	return func(ep upstream.Endpoint) loader.Sharing {
		if ep.Name == upstream.EndpointRoom.Name {
			return room
		}
		return loader.Sharing{Redis: redisClient, Host: host, OnShare: metrics.Shared, Public: public}
	}
}

// namedRedis is a Redis client (nil: none) and the setting that names it.
type namedRedis struct {
	setting string
	client  redis.UniversalClient
}

// readiness is /readyz's check: not while shutting down, nor while a Redis
// (when used) does not answer, nor while there is no service token (when one is
// used).
func readiness(shuttingDown *atomic.Bool, tokens *upstream.ServiceTokens, redises ...namedRedis) func(context.Context) error {
	var redisOK struct {
		sync.Mutex
		at  time.Time
		err error
	}
	return func(ctx context.Context) error {
		if shuttingDown.Load() {
			return errors.New("shutting down")
		}
		// Probes come often; one PING a second is enough to know.
		redisOK.Lock()
		if time.Since(redisOK.at) > time.Second {
			redisOK.at, redisOK.err = time.Now(), nil
			for i, r := range redises {
				if r.client == nil || (i > 0 && r.client == redises[0].client) {
					continue
				}
				pctx, cancel := context.WithTimeout(ungated(ctx), 300*time.Millisecond)
				err := pingRedis(pctx, r.client)
				cancel()
				if err != nil {
					redisOK.err = fmt.Errorf("redis (%s) does not answer: %w", r.setting, err)
					break
				}
			}
		}
		err := redisOK.err
		redisOK.Unlock()
		if err != nil {
			return err
		}
		if tokens != nil {
			return tokens.Ready()
		}
		return nil
	}
}

// upstreamHTTPClient is the one client for every upstream call: as many idle
// keep-alive connections per host as calls may be in flight, so a load reuses
// connections instead of churning ports. Each attempt's own deadline comes from
// the upstream client, in its context, and bounds the wait for the answer too
// (a ResponseHeaderTimeout would only add a timer per call); these timeouts
// bound the phases below it.
func upstreamHTTPClient(inFlight int) *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(256, inFlight),
		MaxIdleConnsPerHost:   inFlight,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   2 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t}
}
