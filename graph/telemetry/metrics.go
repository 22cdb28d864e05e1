package telemetry

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Metrics are the service's Prometheus metrics. It also serves as the upstream
// client's Observer. A nil *Metrics records nothing.
type Metrics struct {
	operations     *prometheus.CounterVec
	opDuration     *prometheus.HistogramVec
	guard          *prometheus.CounterVec
	upstreamCalls  *prometheus.CounterVec
	upstreamTime   *prometheus.HistogramVec
	retries        *prometheus.CounterVec
	inFlight       prometheus.Gauge
	limit, queued  prometheus.Gauge
	breaker        *prometheus.GaugeVec
	tokenFetches   *prometheus.CounterVec
	batchSize      *prometheus.HistogramVec
	lookups        *prometheus.CounterVec
	dedupeSaved    *prometheus.CounterVec
	persistedOps   *prometheus.CounterVec
	shared         *prometheus.CounterVec
	signIns        *prometheus.CounterVec
	refreshes      *prometheus.CounterVec
	storeErrors    *prometheus.CounterVec
	verseLoads     *prometheus.CounterVec
	verseCopy      *prometheus.GaugeVec
	verseComplete  prometheus.Gauge
	operationNames operationNames
}

// NewMetrics registers the metrics, with the Go runtime and process collectors,
// on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphql_operations_total",
			Help: "GraphQL requests by operation name (unknown names folded into \"other\") and outcome: ok, partial (data with errors), error (no data), rejected (refused before execution).",
		}, []string{"operation", "outcome"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "graphql_operation_duration_seconds",
			Help:    "Time to answer a GraphQL request, by operation name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		guard: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphql_guard_rejections_total",
			Help: "Requests refused by a query guard, by the code of the limit hit.",
		}, []string{"limit"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upstream_requests_total",
			Help: "HTTP calls (attempts) to the upstream, by endpoint and status class (2xx, 4xx, 5xx, or error when no answer came).",
		}, []string{"endpoint", "status_class"}),
		upstreamTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "upstream_request_duration_seconds",
			Help:    "Duration of upstream calls, by endpoint.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upstream_retries_total",
			Help: "Upstream lookups tried again after a retryable failure, by endpoint.",
		}, []string{"endpoint"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "upstream_in_flight",
			Help: "Upstream calls in flight.",
		}),
		limit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "upstream_concurrency_limit",
			Help: "The adaptive limit on upstream calls in flight (between its floor and UPSTREAM_MAX_IN_FLIGHT).",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "upstream_queued_calls",
			Help: "Upstream calls waiting for the limit to admit them.",
		}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "upstream_circuit_breaker_state",
			Help: "Circuit breaker state per upstream host: 0 closed, 1 half-open, 2 open.",
		}, []string{"host"}),
		tokenFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upstream_token_fetches_total",
			Help: "Requests for the service's own client-credentials token, by result (ok, error).",
		}, []string{"result"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loader_batch_size",
			Help:    "Distinct keys fetched per loader batch, by endpoint.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100},
		}, []string{"endpoint"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loader_lookups_total",
			Help: "Lookups that operations asked for (aliases and duplicate keys included), by endpoint.",
		}, []string{"endpoint"}),
		dedupeSaved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loader_dedupe_saved_total",
			Help: "Lookups served from another lookup of the same operation instead of an upstream call, by endpoint.",
		}, []string{"endpoint"}),
		persistedOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphql_persisted_queries_total",
			Help: "Persisted-query lookups by result: hit, miss (PERSISTED_QUERY_NOT_FOUND), register (a document sent with its hash), trusted (served from the manifest).",
		}, []string{"result"}),
		shared: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loader_shared_lookups_total",
			Help: "Lookups that cost no upstream call of their own across requests, by endpoint and how: cache, or coalesced (joined another request's call).",
		}, []string{"endpoint", "how"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signin_steps_total",
			Help: "Browser sign-in steps by step (login: started, callback: completed, logout) and result (ok, or why it failed: rate_limited, provider_unavailable, unknown_state, not_completed, refused, session_store, not_configured, csrf).",
		}, []string{"step", "result"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "session_refreshes_total",
			Help: "Refreshes of browser sessions' tokens by result: ok, ended (invalid_grant, or no answer: the session is ended), failed (the token endpoint failed; the session backs off), backoff (not tried: the session is backing off), unrenewable (no refresh token: the session is ended).",
		}, []string{"result"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "session_store_errors_total",
			Help: "Calls to the store of sessions that failed, by operation (read, write, lease, delete).",
		}, []string{"op"}),
		verseLoads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verse_copy_loads_total",
			Help: "Loads of the copy of the Quran's text held in memory, by result: ok, or failed (a part could not be loaded: the copy keeps what the last load brought of it).",
		}, []string{"result"}),
		verseCopy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "verse_copy_verses",
			Help: "Verses the copy of the text holds, by part: uthmani, or translation:<resource id>; of 6236.",
		}, []string{"part"}),
		verseComplete: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verse_copy_complete",
			Help: "1 when the copy holds every verse's text, every chapter and every preloaded translation (every verse field is then served from memory), else 0.",
		}),
		operationNames: operationNames{max: 100, known: make(map[string]struct{}), reserved: make(map[string]struct{})},
	}
	reg.MustRegister(m.operations, m.opDuration, m.guard, m.upstreamCalls, m.upstreamTime, m.retries,
		m.inFlight, m.limit, m.queued, m.breaker, m.tokenFetches, m.batchSize, m.lookups, m.dedupeSaved, m.persistedOps, m.shared,
		m.signIns, m.refreshes, m.storeErrors, m.verseLoads, m.verseCopy, m.verseComplete, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

var _ upstream.Observer = (*Metrics)(nil)

// SignInStep counts a step of a browser sign-in (signin.Observer).
func (m *Metrics) SignInStep(step, result string) {
	if m != nil {
		m.signIns.WithLabelValues(step, result).Inc()
	}
}

// SessionRefresh counts a session refresh by result (signin.Observer).
func (m *Metrics) SessionRefresh(result string) {
	if m != nil {
		m.refreshes.WithLabelValues(result).Inc()
	}
}

// VerseCopy records a load of the copy of the Quran's text: its result, and
// what the copy served after it holds (verses with text, chapters, verses per
// translation).
func (m *Metrics) VerseCopy(result string, verses, chapters int, translations map[int]int, complete bool) {
	if m == nil {
		return
	}
	m.verseLoads.WithLabelValues(result).Inc()
	m.verseCopy.WithLabelValues("uthmani").Set(float64(verses))
	for id, n := range translations {
		m.verseCopy.WithLabelValues("translation:" + strconv.Itoa(id)).Set(float64(n))
	}
	if complete {
		m.verseComplete.Set(1)
	} else {
		m.verseComplete.Set(0)
	}
}

// SessionStoreError counts a failed call to the store of sessions
// (signin.Observer).
func (m *Metrics) SessionStoreError(op string) {
	if m != nil {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

// Attempt implements upstream.Observer; it also counts the call on the request's
// record, for the access log.
func (m *Metrics) Attempt(ctx context.Context, endpoint string, status int, d time.Duration) {
	if rec := recordFrom(ctx); rec != nil {
		rec.upstreamCalls.Add(1)
	}
	if m == nil {
		return
	}
	m.upstreamCalls.WithLabelValues(endpoint, statusClass(status)).Inc()
	m.upstreamTime.WithLabelValues(endpoint).Observe(d.Seconds())
}

// Retry implements upstream.Observer.
func (m *Metrics) Retry(_ context.Context, endpoint string) {
	if m != nil {
		m.retries.WithLabelValues(endpoint).Inc()
	}
}

// InFlight implements upstream.Observer.
func (m *Metrics) InFlight(delta int) {
	if m != nil {
		m.inFlight.Add(float64(delta))
	}
}

// Concurrency implements upstream.Observer.
func (m *Metrics) Concurrency(limit, queued int) {
	if m != nil {
		m.limit.Set(float64(limit))
		m.queued.Set(float64(queued))
	}
}

// Breaker implements upstream.Observer.
func (m *Metrics) Breaker(host, state string) {
	if m == nil {
		return
	}
	v := map[string]float64{"closed": 0, "half-open": 1, "open": 2}[state]
	m.breaker.WithLabelValues(host).Set(v)
}

// TokenFetch implements upstream.Observer.
func (m *Metrics) TokenFetch(err error, d time.Duration) {
	if m == nil {
		return
	}
	result, class := "ok", "2xx"
	if err != nil {
		result, class = "error", "error"
		var te *upstream.TokenError
		if errors.As(err, &te) && te.Status != 0 {
			class = statusClass(te.Status)
		}
	}
	m.tokenFetches.WithLabelValues(result).Inc()
	m.upstreamCalls.WithLabelValues(upstream.EndpointToken, class).Inc()
	m.upstreamTime.WithLabelValues(upstream.EndpointToken).Observe(d.Seconds())
}

func (m *Metrics) operation(name, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	name = m.operationNames.fold(name)
	m.operations.WithLabelValues(name, outcome).Inc()
	m.opDuration.WithLabelValues(name).Observe(d.Seconds())
}

// Shared counts a lookup of endpoint served by sharing across requests (how:
// cache or coalesced).
func (m *Metrics) Shared(endpoint, how string) {
	if m != nil {
		m.shared.WithLabelValues(endpoint, how).Inc()
	}
}

// Persisted counts a persisted-query lookup by result.
func (m *Metrics) Persisted(result string) {
	if m != nil {
		m.persistedOps.WithLabelValues(result).Inc()
	}
}

// GuardRejected counts a request refused before execution, by code.
func (m *Metrics) GuardRejected(code string) {
	if m != nil {
		m.guard.WithLabelValues(code).Inc()
	}
}

// Batch records one loader batch of endpoint: size distinct keys fetched.
func (m *Metrics) Batch(endpoint string, size int) {
	if m != nil {
		m.batchSize.WithLabelValues(endpoint).Observe(float64(size))
	}
}

// Lookup records one lookup a resolver asked endpoint's loader for; repeated
// when the operation had already asked for the same key (it costs no call).
func (m *Metrics) Lookup(endpoint string, repeated bool) {
	if m == nil {
		return
	}
	m.lookups.WithLabelValues(endpoint).Inc()
	if repeated {
		m.dedupeSaved.WithLabelValues(endpoint).Inc()
	}
}

func statusClass(status int) string {
	switch status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return "error"
}

// operationNames bounds the operation label: the first max well-formed names seen
// keep their own series; later ones, and names no client would write, are
// "other"; an operation without a name is "anonymous". Names of trusted
// documents are reserved beforehand and do not count against max, so no flood
// of invented names can push a real operation into "other".
type operationNames struct {
	mu       sync.Mutex
	max      int
	known    map[string]struct{}
	reserved map[string]struct{}
}

// ReserveOperationNames gives each name its own series, whatever other names
// come first: the trusted documents' operations.
func (m *Metrics) ReserveOperationNames(names []string) {
	if m == nil {
		return
	}
	o := &m.operationNames
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range names {
		if wellFormedName(n) {
			o.reserved[n] = struct{}{}
		}
	}
}

// wellFormedName reports whether s is a GraphQL name of at most 64 characters:
// only such operation names reach labels, spans and logs.
func wellFormedName(s string) bool {
	if s == "" || len(s) > 64 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (o *operationNames) fold(name string) string {
	switch {
	case name == "":
		return "anonymous"
	case !wellFormedName(name):
		return "other"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.reserved[name]; ok {
		return name
	}
	if _, ok := o.known[name]; ok {
		return name
	}
	if len(o.known) >= o.max {
		return "other"
	}
	o.known[name] = struct{}{}
	return name
}
