package service

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// setting is one environment variable: its name, how the README shows its
// default, its parse rule, its doc, and its value for the start-up log line.
// The README's configuration table is tested against this list.
type setting struct {
	name  string
	shown string // the default as the README shows it; "" shows the value Defaults() gives
	doc   string
	parse func(v string) error // nil: read by someone else (the Go runtime, the OTLP exporter)
	value func() any           // nil: not logged
}

// settings lists every variable the service reads, in the README's order. The
// closures read and write c.
func (c *Config) settings() []setting {
	return slices.Concat([]setting{
		{name: "PORT", shown: "", parse: c.parsePort, value: show(&c.Port),
			doc: "listening port"},
		strSetting("HOST", &c.Host, "all interfaces",
			"listening address, e.g. `127.0.0.1` for loopback only"),
		{name: "QF_ENV", shown: "", parse: c.parseEnv, value: show(&c.Env),
			doc: "`prelive` or `production`: picks both base URLs below"},
		{name: "QF_API_BASE_URL", shown: "from `QF_ENV`", parse: c.baseURL(&c.APIBaseURL), value: show(&c.APIBaseURL),
			doc: "API gateway; rooms at `$QF_API_BASE_URL/quran-reflect/v1/rooms/{id}`"},
		{name: "QF_AUTH_BASE_URL", shown: "from `QF_ENV`", parse: c.baseURL(&c.AuthBaseURL), value: show(&c.AuthBaseURL),
			doc: "OAuth2 server; tokens at `$QF_AUTH_BASE_URL/oauth2/token`"},
		strSetting("QF_CLIENT_ID", &c.ClientID, "—",
			"client id, sent as `x-client-id`. **Unset = demo mode**"),
		secretSetting("QF_CLIENT_SECRET", &c.ClientSecret, "—",
			"client secret for the service's own client-credentials token and for browser sign-in (a confidential client). Unset: anonymous callers get `UNAUTHENTICATED`, and sign-in is off"),
		listSetting("QF_SCOPES", &c.Scopes, "—",
			"scopes for that token, space- or comma-separated (ask only for approved ones)"),
		intSetting("UPSTREAM_CONCURRENCY", &c.BatchConcurrency, "",
			"upstream calls one request's batch makes at once"),
		int64Setting("UPSTREAM_MAX_IN_FLIGHT", &c.Upstream.MaxConcurrent, "",
			"the ceiling of the adaptive limit on upstream calls in flight for the whole process (it starts at 64 and follows the upstream's latency); calls over the limit wait in a queue, or get `UPSTREAM_ERROR` at once when the queue is full or their deadline is shorter than the predicted wait"),
		durSetting("UPSTREAM_ATTEMPT_TIMEOUT", &c.Upstream.AttemptTimeout, "",
			"timeout of one upstream attempt"),
		durSetting("UPSTREAM_BUDGET", &c.Upstream.Budget, "",
			"time for one upstream call, retries and backoff included"),
		countSetting("UPSTREAM_RETRIES", &c.Upstream.MaxRetries, "",
			"retries after 429, 502, 503, 504 or a transport error (0: none)"),
		intSetting("UPSTREAM_BREAKER_FAILURES", &c.Upstream.BreakerFailures, "",
			"consecutive 5xx/timeouts/transport errors that open the circuit"),
		durSetting("UPSTREAM_BREAKER_OPEN_FOR", &c.Upstream.BreakerOpenFor, "",
			"how long the circuit stays open before a trial call"),
		rateSetting("CALLER_RATE", &c.CallerLimit.PerSecond, "",
			"upstream calls per second per caller (the hash of a token the upstream has accepted, else the client address); with sharing on, cache hits count too"),
		intSetting("CALLER_BURST", &c.CallerLimit.Burst, "",
			"upstream calls a caller may make at once"),
		intSetting("CALLER_MAX_IN_FLIGHT", &c.CallerMaxInFlight, "",
			"upstream calls one caller may have in flight; more wait up to 1s for one of its own to end, then get `RATE_LIMITED`"),
		durSetting("TOKEN_TIMEOUT", &c.TokenTimeout, "",
			"timeout of one token request"),
		durSetting("REQUEST_TIMEOUT", &c.RequestTimeout, "",
			"deadline of one GraphQL request (the server's write timeout is this plus 10s)"),
		int64Setting("MAX_BODY_BYTES", &c.MaxBodyBytes, "",
			"largest POST body (larger: HTTP 413, `REQUEST_TOO_LARGE`)"),
		intSetting("MAX_TOKENS", &c.Limits.Tokens, "",
			"lexical tokens in a document (`TOO_MANY_TOKENS`)"),
		intSetting("MAX_DEPTH", &c.Limits.Depth, "",
			"field nesting outside introspection (`QUERY_TOO_DEEP`)"),
		intSetting("MAX_ALIASES", &c.Limits.Aliases, "",
			"aliases, fragments expanded (`TOO_MANY_ALIASES`)"),
		intSetting("MAX_ROOT_FIELDS", &c.Limits.RootFields, "",
			"root fields of an operation (`TOO_MANY_ROOT_FIELDS`)"),
		intSetting("MAX_DIRECTIVES", &c.Limits.Directives, "",
			"directives, fragments expanded (`TOO_MANY_DIRECTIVES`)"),
		intSetting("MAX_SELECTIONS", &c.Limits.Selections, "",
			"fields, fragments expanded (`TOO_MANY_SELECTIONS`)"),
		intSetting("MAX_ROOM_IDS", &c.Limits.IDs, "",
			"ids in one `rooms(ids:)` (`TOO_MANY_IDS`)"),
		intSetting("MAX_UPSTREAM_CALLS", &c.MaxUpstreamCalls, "",
			"upstream calls one operation may make, counted where they are made (`TOO_MANY_UPSTREAM_CALLS` for the rest)"),
		intSetting("MAX_COMPLEXITY", &c.Limits.Complexity, "",
			"weighted cost (`COMPLEXITY_LIMIT_EXCEEDED`)"),
		boolSetting("INTROSPECTION", &c.Introspection, "",
			"`false` turns introspection and field suggestions off"),
		boolSetting("GRAPHIQL", &c.GraphiQL, "",
			"`false` stops serving GraphiQL at `/`"),
		intSetting("MAX_CONNECTIONS", &c.MaxConnections, "",
			"open client connections; from three quarters of it on, a connection is closed as soon as it goes idle"),
		intSetting("MAX_CONNECTIONS_PER_ADDRESS", &c.MaxConnectionsPerAddress, "",
			"open connections one client address may hold (IPv6: its /64), idle keep-alive ones included; more are answered 429 `RATE_LIMITED` and closed. `TRUSTED_PROXIES` are exempt: a client behind them may have this many request bodies being read at once (more: 429 `RATE_LIMITED`)"),
		durSetting("HEADER_TIMEOUT", &c.HeaderTimeout, "",
			"time a request's headers have to arrive in full (slower: the connection is closed without an answer)"),
		durSetting("BODY_TIMEOUT", &c.BodyTimeout, "",
			"time a request's body has to arrive in full after its headers, however it trickles (slower: HTTP 408, `BAD_REQUEST`, and the connection is closed)"),
		durSetting("SHUTDOWN_DELAY", &c.ShutdownDelay, "",
			"on SIGINT/SIGTERM, how long `/readyz` fails before the listener closes (behind a load balancer, set it above the probe period, e.g. `5s`)"),
		{name: "SHUTDOWN_TIMEOUT", shown: "`REQUEST_TIMEOUT` + 5s", parse: c.parseShutdownTimeout, value: show(&c.ShutdownTimeout),
			doc: "how long SIGINT/SIGTERM waits for in-flight requests; must be longer than `REQUEST_TIMEOUT`"},
		{name: "METRICS_ADDR", shown: "—", parse: c.parseMetricsAddr, value: show(&c.MetricsAddr),
			doc: "serve `/metrics` on this separate address (e.g. `:9090`) instead of the public port"},
		strSetting("OTEL_TRACES_EXPORTER", &c.TracesExporter, "—",
			"`otlp` or `console` turns tracing on (`none` or unset: off; an `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` alone also turns OTLP on)"),
		docSetting("OTEL_EXPORTER_OTLP_*", "—",
			"the standard OTLP settings (endpoint, headers, `PROTOCOL` `http/protobuf` or `grpc`); `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` too"),
		durSetting("DEMO_LATENCY", &c.DemoLatency, "none",
			"demo mode only: the embedded fake answers every call this much later (e.g. `200ms`)"),
		{name: "REDIS_URL", shown: "—", parse: c.parseRedisURL(&c.RedisURL), value: redisShown(&c.RedisURL),
			doc: "`redis://`, `rediss://` or `unix://` URL, or a Redis Cluster's or a Sentinel's (see Deploying): persisted queries, mutations' `Idempotency-Key`s and the room cache (when on) shared by all replicas, and sign-in's sessions unless `SESSION_REDIS_URL` names another (default: in memory)"},
		{name: "SESSION_REDIS_URL", shown: "`REDIS_URL`", parse: c.parseRedisURL(&c.SessionRedisURL), value: redisShown(&c.SessionRedisURL),
			doc: "a Redis (7.0 or later: a refresh is saved by a script flagged `allow-oom`) for sign-in alone (sessions, refresh leases, the states of completed sign-ins), in the same forms: run it with `maxmemory-policy noeviction`, and `REDIS_URL`'s with `allkeys-lru`, so that nothing a caller stores can evict a session"},
		durSetting("APQ_TTL", &c.APQTTL, "",
			"how long a persisted query registered by a proven caller stays after its registration or last use (others': 10 minutes)"),
		durSetting("IDEMPOTENCY_TTL", &c.IdempotencyTTL, "",
			"how long the answer to a mutation sent with an `Idempotency-Key` header is kept, per caller and key, and replayed to the same request sent again (see \"Idempotency-Key\"); in Redis when `REDIS_URL` is set (answers up to 1 MiB; a larger one is kept without its body), else in memory, at most 10,000 answers and 64 MiB, the least recently used going first"),
		strSetting("PERSISTED_DOCUMENTS", &c.PersistedDocuments, "—",
			"a manifest of trusted documents: Apollo's `apollo-persisted-query-manifest` JSON or a plain `{\"sha256\": \"query\"}` object"),
		boolSetting("TRUSTED_DOCUMENTS_ONLY", &c.TrustedOnly, "",
			"`true`: refuse every operation not in the manifest (`PERSISTED_QUERY_NOT_IN_LIST`)"),
		{name: "CORS_ALLOWED_ORIGINS", shown: "—", parse: c.parseOrigins, value: show(&c.CORSOrigins),
			doc: "comma-separated origins allowed from browsers, e.g. `https://app.example.org`; `*` allows any but without credentials"},
		{name: "PUBLIC_URL", shown: "`http://localhost:$PORT`", parse: c.publicURL, value: show(&c.PublicURL),
			doc: "the service's external base URL: sign-in's redirect URI is `$PUBLIC_URL/auth/callback`; https makes the session cookie `Secure` and `__Host-`. Unset, it is the address the service listens on (`localhost` for all interfaces, else `HOST`)"},
		listSetting("SIGNIN_SCOPES", &c.SignInScopes, "`openid offline_access user room post comment`",
			"scopes a browser's sign-in asks for, space- or comma-separated"),
		{name: "SIGNIN_RETURN_ORIGINS", shown: "`CORS_ALLOWED_ORIGINS`", parse: c.parseReturnOrigins, value: func() any { return c.returnOrigins() },
			doc: "comma-separated origins, e.g. `https://app.example.org`, whose URLs a sign-in's `returnTo` may be, so that a web app on its own origin gets its user back; exact http(s) origins, never `*` (from `CORS_ALLOWED_ORIGINS`, its `*` left out)"},
		durSetting("SESSION_TTL", &c.SessionTTL, "",
			"how long a browser's session lasts (unless the provider stops refreshing it first)"),
		{name: "SIGNOUT_REDIRECT_URL", shown: "`$PUBLIC_URL/`", parse: c.absoluteURL(&c.SignOutRedirect), value: show(&c.SignOutRedirect),
			doc: "where the provider sends the browser after signing out (register it with the provider)"},
		{name: "TRUSTED_PROXIES", shown: "—", parse: c.parseProxies, value: show(&c.TrustedProxies),
			doc: "comma-separated addresses or CIDRs of the proxies in front (a load balancer) whose `X-Forwarded-For` is believed: the client's address, which per-address budgets use, is then the right-most hop not among them"},
		durSetting("PUBLIC_CACHE_MAX_AGE", &c.PublicMaxAge, "off",
			"e.g. `60s`: GET queries without a user token and without errors get `Cache-Control: public, max-age=60`"),
		strSetting("GRAPHIQL_ASSETS", &c.GraphiQLAssets, "`e2e/node_modules` when installed",
			"folder to serve GraphiQL's React and GraphiQL bundles from (else a CDN)"),
		boolSetting("ROOM_COALESCE", &c.RoomCoalesce, "",
			"`true`: concurrent lookups of one room by one viewer, from different requests, share one upstream call"),
		durSetting("ROOM_CACHE_TTL", &c.RoomCacheTTL, "off",
			"e.g. `10s`: keep successful lookups this long, keyed by viewer (a token hash) and id; in Redis when `REDIS_URL` is set"),
		intSetting("ROOM_CACHE_SIZE", &c.RoomCacheSize, "",
			"rooms the in-memory cache holds"),
	}, c.verseSettings(), []setting{
		boolSetting("PPROF", &c.PProf, "",
			"`true`: serve `net/http/pprof` on `METRICS_ADDR` (never on the public port)"),
		{name: "GOGC", shown: "", parse: c.parseGOGC, value: c.gogc,
			doc: "the Go runtime's GC target; the service raises the default of 100 because its live heap is small, and unless `GOMEMLIMIT` is set it holds the heap to a soft 256 MiB, so the raised target costs no memory under load (1,024 connections: peak RSS 359 MB without it, 255 to 262 MB with it)"},
		{name: "LOG_FORMAT", shown: "", parse: c.parseLogFormat, value: show(&c.LogFormat),
			doc: "`text` or `json` (slog)"},
		{name: "LOG_LEVEL", shown: "", parse: c.parseLogLevel, value: show(&c.LogLevel),
			doc: "`debug`, `info`, `warn`, `error`"},
	})
}

func (c *Config) parsePort(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number", v)
	}
	c.Port = v
	return nil
}

func (c *Config) parseEnv(v string) error {
	auth, api, ok := environments(v)
	if !ok {
		return fmt.Errorf("unknown environment %q (want prelive or production)", v)
	}
	// QF_API_BASE_URL and QF_AUTH_BASE_URL come after QF_ENV and win.
	c.Env, c.AuthBaseURL, c.APIBaseURL = v, auth, api
	return nil
}

// httpURL parses an absolute http(s) URL with a host and no credentials (a
// secret belongs in QF_CLIENT_SECRET, not in a URL that gets logged).
func httpURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errors.New("not an absolute http(s) URL")
	case u.User != nil:
		return nil, errors.New("credentials in the URL are not supported (use QF_CLIENT_SECRET)")
	}
	return u, nil
}

// baseURL reads a base URL the service appends paths to: no query or
// fragment, and no trailing slash kept.
func (c *Config) baseURL(p *string) func(string) error {
	return func(v string) error {
		u, err := httpURL(v)
		if err == nil && (u.RawQuery != "" || u.Fragment != "") {
			err = errors.New("a base URL has no query or fragment")
		}
		if err == nil {
			*p = strings.TrimRight(v, "/")
		}
		return err
	}
}

// absoluteURL reads an absolute http(s) URL as it is written (a provider
// compares registered URLs exactly).
func (c *Config) absoluteURL(p *string) func(string) error {
	return func(v string) error {
		_, err := httpURL(v)
		if err == nil {
			*p = v
		}
		return err
	}
}

// publicURL reads PUBLIC_URL: an http(s) origin, without a path, query or
// fragment (the callback and cookies live at its root).
func (c *Config) publicURL(v string) error {
	u, err := httpURL(v)
	if err != nil {
		return err
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("not an http(s) origin such as https://api.example.org")
	}
	c.PublicURL = u.Scheme + "://" + u.Host
	return nil
}

func (c *Config) parseShutdownTimeout(v string) error {
	d, err := positiveDuration(v)
	c.ShutdownTimeout, c.shutdownSet = d, err == nil
	return err
}

func (c *Config) parseMetricsAddr(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("%q is not host:port (such as :9090)", v)
	}
	c.MetricsAddr = v
	return nil
}

// redisShown is a Redis URL for the log: its passwords, if any, redacted
// (a Sentinel URL may carry the primary's as password=).
func redisShown(p *string) func() any {
	return func() any {
		u, err := url.Parse(*p)
		if err != nil || *p == "" {
			return *p
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
}

func (c *Config) parseRedisURL(p *string) func(string) error {
	return func(v string) error {
		if _, err := redisURL(v); err != nil {
			// err may quote the URL, password and all: not repeated here.
			return errors.New("not a redis://, rediss:// or unix:// URL (a cluster: ?addr= for each other node; Sentinel: ?master_name=)")
		}
		*p = v
		return nil
	}
}

func (c *Config) parseProxies(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("%q is not an address or CIDR such as 10.0.0.0/8", p)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}
	return nil
}

func (c *Config) parseOrigins(v string) error {
	for o := range strings.SplitSeq(v, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || strings.Contains(o, "*")) {
			// A pattern such as https://*.example.org would allow credentials
			// to every subdomain: origins are exact, or "*" without credentials.
			return fmt.Errorf("%q is not an origin such as https://app.example.org (exact origins only, or * alone)", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	if len(c.CORSOrigins) > 1 && slices.Contains(c.CORSOrigins, "*") {
		return errors.New("* allows any origin (without credentials) and goes alone, not in a list")
	}
	return nil
}

// parseReturnOrigins reads SIGNIN_RETURN_ORIGINS: exact http(s) origins, as
// browsers write them (lowercase, without a default port), since a sign-in
// may redirect there.
func (c *Config) parseReturnOrigins(v string) error {
	for o := range strings.SplitSeq(v, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		canon, ok := returnOrigin(o)
		if !ok {
			return fmt.Errorf("%q is not an http(s) origin such as https://app.example.org (exact origins only: a sign-in redirects there)", o)
		}
		c.SignInReturnOrigins = append(c.SignInReturnOrigins, canon)
	}
	return nil
}

// returnOrigin is o as a browser writes the origin (lowercase, without a
// default port), when o is an http(s) origin and nothing more.
func returnOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Path != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.ContainsAny(o, "*?#%\\") {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return u.Scheme + "://" + host, true
}

// returnOrigins are the origins a sign-in may return to besides the
// service: SIGNIN_RETURN_ORIGINS, else the http(s) origins of
// CORS_ALLOWED_ORIGINS ("*" is never one).
func (c *Config) returnOrigins() []string {
	if c.SignInReturnOrigins != nil {
		return c.SignInReturnOrigins
	}
	out := []string{}
	for _, o := range c.CORSOrigins {
		if canon, ok := returnOrigin(o); ok {
			out = append(out, canon)
		}
	}
	return out
}

// parseGOGC notes that the runtime read GOGC itself: the service then leaves
// the collector alone.
func (c *Config) parseGOGC(string) error {
	c.GOGCFromEnv = true
	return nil
}

func (c *Config) gogc() any {
	if c.GOGCFromEnv {
		return "from GOGC"
	}
	return c.GCPercent
}

func (c *Config) parseLogFormat(v string) error {
	if v != "text" && v != "json" {
		return fmt.Errorf("%q is not text or json", v)
	}
	c.LogFormat = v
	return nil
}

func (c *Config) parseLogLevel(v string) error {
	if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
		return fmt.Errorf("%q is not debug, info, warn or error", v)
	}
	return nil
}
