// Package service builds the whole service from its configuration: every
// setting (environment name, default, parse rule and doc, declared once in
// settings.go), and the one function, New, that wires the upstream client, the
// service token, sharing, the loaders, the GraphQL pipeline and both HTTP ports.
// The process (server.go), the tests and the soak all build the service with it.
package service

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Config is everything the service reads from its environment. Start from
// Defaults(); Load fills it from environment variables.
type Config struct {
	Host, Port  string
	Env         string // prelive or production: picks both base URLs
	APIBaseURL  string
	AuthBaseURL string
	// ClientID unset means demo mode: the process serves an embedded fake.
	ClientID     string
	ClientSecret string
	Scopes       []string

	// Upstream holds the upstream client's tunables (its APIBaseURL,
	// ClientID and dependencies are filled in by New).
	Upstream     upstream.Config
	TokenTimeout time.Duration
	// BatchConcurrency bounds the upstream calls one batch makes at once.
	BatchConcurrency int

	Limits      guard.Limits
	CallerLimit guard.CallerLimit
	// CallerMaxInFlight is one caller's share of the upstream calls in flight.
	CallerMaxInFlight int
	// MaxUpstreamCalls bounds the upstream calls of one operation, counted
	// where they are made, whatever field led to them.
	MaxUpstreamCalls int

	RequestTimeout  time.Duration
	MaxBodyBytes    int64
	MaxConnections  int
	ShutdownDelay   time.Duration
	ShutdownTimeout time.Duration

	// MaxConnectionsPerAddress is one client address's share of the
	// connections (a trusted proxy's excepted), and behind a trusted proxy
	// the bodies one client may have being read at once. HeaderTimeout and
	// BodyTimeout are how long a request's headers, then its body, have to
	// arrive in full.
	MaxConnectionsPerAddress   int
	HeaderTimeout, BodyTimeout time.Duration

	Introspection  bool
	GraphiQL       bool
	GraphiQLAssets string
	CORSOrigins    []string
	TrustedProxies viewer.Proxies
	PublicMaxAge   time.Duration

	RedisURL string
	// SessionRedisURL is sign-in's Redis ("": RedisURL's).
	SessionRedisURL string
	// Sign-in: the service's external origin ("": http://localhost:$PORT, or
	// the address it listens on), the scopes a browser's sign-in asks for,
	// how long a session lasts, where signing out lands ("": PublicURL/).
	PublicURL       string
	SignInScopes    []string
	SessionTTL      time.Duration
	SignOutRedirect string
	APQTTL          time.Duration
	// IdempotencyTTL is how long a mutation's answer is kept under its
	// Idempotency-Key.
	IdempotencyTTL     time.Duration
	PersistedDocuments string
	TrustedOnly        bool

	// SignInReturnOrigins are where a sign-in may return besides the service
	// (SIGNIN_RETURN_ORIGINS; nil: from CORSOrigins, see returnOrigins).
	SignInReturnOrigins []string

	RoomCoalesce  bool
	RoomCacheTTL  time.Duration
	RoomCacheSize int

	// Public sharing: lookups of callers without a user token (see
	// verses.go's settings).
	PublicCoalesce  bool
	PublicShareTTL  time.Duration
	PublicShareSize int
	// The copy of the Quran's text.
	ContentScopes     []string
	VersePreload      bool
	VerseTranslation  int
	VerseTranslations []int
	VerseRefresh      time.Duration

	MetricsAddr    string
	PProf          bool
	TracesExporter string
	// GCPercent is applied unless the runtime already read GOGC.
	GCPercent   int
	GOGCFromEnv bool
	LogFormat   string
	LogLevel    slog.Level
	DemoLatency time.Duration
	// Emulated says the upstream is the demo's embedded emulator (set by the
	// process, not a setting): it serves what production serves.
	Emulated    bool
	shutdownSet bool
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

// Defaults is the configuration a deployment runs with unless it says otherwise:
// behind a load balancer, with many users behind one address, and a provider
// tens of milliseconds away. The packages' own defaults come from their Default
// functions.
func Defaults() Config {
	auth, api, _ := environments("prelive")
	return Config{
		Port:             "8080",
		Env:              "prelive",
		APIBaseURL:       api,
		AuthBaseURL:      auth,
		Upstream:         upstream.DefaultConfig(),
		TokenTimeout:     5 * time.Second,
		BatchConcurrency: 10,
		Limits:           guard.DefaultLimits(),
		CallerLimit:      guard.DefaultCallerLimit(),
		// A quarter of the adaptive limit's start (64): one caller's flood
		// leaves the rest of the slots to everyone else.
		CallerMaxInFlight: 16,
		MaxUpstreamCalls:  200,
		RequestTimeout:    20 * time.Second,
		MaxBodyBytes:      64 << 10,
		// Behind a load balancer a replica sees a few hundred connections;
		// each idle one costs a goroutine and some 28 KB.
		MaxConnections: 4096,
		Introspection:  true,
		GraphiQL:       true,
		APQTTL:         24 * time.Hour,
		IdempotencyTTL: 24 * time.Hour,
		SignInScopes:   []string{"openid", "offline_access", "user", "room", "post", "comment"},
		SessionTTL:     30 * 24 * time.Hour,
		RoomCacheSize:  10_000,
		// quran.com's verse panel is read mostly by signed-out readers, whose
		// requests are all the same: a minute's sharing turns thousands of
		// them into one upstream call, and a write through the service drops
		// what it makes stale at once.
		PublicCoalesce:  true,
		PublicShareTTL:  time.Minute,
		PublicShareSize: 4096,
		ContentScopes:   []string{"content"},
		VersePreload:    true,
		// quran.com's default English translation, The Clear Quran.
		VerseTranslation:  131,
		VerseTranslations: []int{131},
		VerseRefresh:      24 * time.Hour,
		// The live heap is a few MB, so the runtime's default (collect when the
		// heap doubles) runs the collector very often under load: with 400, one
		// core serves about 28% more requests (go run ./cmd/load -service-env
		// GOGC=100 vs 400) for some tens of MB.
		GCPercent: 400,
		LogFormat: "text",
		LogLevel:  slog.LevelInfo,

		// A sixteenth of MaxConnections: a browser opens at most 6 per host,
		// which leaves room for a NAT of many users or a server's pool.
		MaxConnectionsPerAddress: 256,
		HeaderTimeout:            5 * time.Second,
		// 64 KiB (MAX_BODY_BYTES) at 6.5 KB/s; a typical 2 KiB body at
		// 200 bytes a second.
		BodyTimeout: 10 * time.Second,
	}
}

// ResolvePublicURL sets PublicURL, when unset, to the address the service
// listens on (localhost for every interface), and SignOutRedirect, when unset,
// to its root.
func (c *Config) ResolvePublicURL(listening string) {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + listening
	}
	if c.SignOutRedirect == "" {
		c.SignOutRedirect = c.PublicURL + "/"
	}
}

// DefaultMemoryLimit holds the heap, unless GOMEMLIMIT says otherwise: with
// GOGC at 400 the heap would grow to five times what is live, some 350 MB at
// a thousand connections, for a few percent of CPU.
const DefaultMemoryLimit = 256 << 20

// Demo reports whether the service runs on its embedded fake upstream.
func (c Config) Demo() bool { return c.ClientID == "" }

// Addr is the listening address.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, c.Port) }

// Load reads the configuration through getenv and checks it. Its errors are one
// line each and start with the variable's name.
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	for _, s := range c.settings() {
		v := getenv(s.name)
		if v == "" || s.parse == nil {
			continue
		}
		if err := s.parse(v); err != nil {
			return c, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return c, c.finish()
}

// finish applies the rules that involve more than one setting.
func (c *Config) finish() error {
	// The drain must outlast any request, or shutdown cuts one short.
	switch {
	case !c.shutdownSet:
		c.ShutdownTimeout = c.RequestTimeout + 5*time.Second
	case c.ShutdownTimeout <= c.RequestTimeout:
		return fmt.Errorf("SHUTDOWN_TIMEOUT: %s must be longer than REQUEST_TIMEOUT (%s), or shutdown cuts requests short", c.ShutdownTimeout, c.RequestTimeout)
	}
	if c.TrustedOnly && c.PersistedDocuments == "" {
		return fmt.Errorf("TRUSTED_DOCUMENTS_ONLY: needs PERSISTED_DOCUMENTS, the manifest of trusted documents")
	}
	if c.PProf && c.MetricsAddr == "" {
		return fmt.Errorf("PPROF: needs METRICS_ADDR, the admin port it is served on")
	}
	if c.GraphiQLAssets == "" {
		// The e2e folder's packages, when installed (npm ci in e2e/).
		if _, err := os.Stat("e2e/node_modules/graphiql/graphiql.min.js"); err == nil {
			c.GraphiQLAssets = "e2e/node_modules"
		}
	} else if _, err := os.Stat(filepath.Join(c.GraphiQLAssets, "graphiql", "graphiql.min.js")); err != nil {
		return fmt.Errorf("GRAPHIQL_ASSETS: %q has no graphiql/graphiql.min.js (run npm ci in e2e/)", c.GraphiQLAssets)
	}
	return nil
}

// LogAttrs is the effective configuration for the start-up log line: every
// setting by its variable's name, with the secret reduced to whether it is set.
func (c Config) LogAttrs() []any {
	var out []any
	for _, s := range c.settings() {
		if s.value != nil {
			out = append(out, s.name, s.value())
		}
	}
	return out
}
