package telemetry_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// scrape reads /metrics into "name{labels}" -> value.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := make(map[string]float64)
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metric line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsAfterKnownTraffic(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{Registry: reg}})

	var q strings.Builder
	q.WriteString("query Twenty {")
	for i := range 20 {
		fmt.Fprintf(&q, " r%d: room(id: \"%d\") { id }", i, i%5+1)
	}
	q.WriteString(" }")
	if resp := env.Post(t, q.String(), nil, "Authorization: Bearer demo-aisha"); len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	env.Post(t, `query Missing { room(id: "999") { id } }`, nil, "Authorization: Bearer demo-aisha")
	env.Post(t, `{ a { b { c { d { e { f { g { h { i { j { k } } } } } } } } } } }`, nil)
	env.Post(t, `query Anon { room(id: "2") { id } }`, nil) // fetches the service token

	got := scrape(t, h)
	want := map[string]float64{
		`upstream_requests_total{endpoint="room",status_class="2xx"}`:  6,
		`upstream_requests_total{endpoint="room",status_class="4xx"}`:  1,
		`upstream_requests_total{endpoint="token",status_class="2xx"}`: 1,
		`upstream_token_fetches_total{result="ok"}`:                    1,
		`upstream_in_flight`:                                                 0,
		`loader_lookups_total{endpoint="room"}`:                              22,
		`loader_dedupe_saved_total{endpoint="room"}`:                         15,
		`loader_batch_size_count{endpoint="room"}`:                           3,
		`loader_batch_size_sum{endpoint="room"}`:                             7,
		`graphql_operations_total{operation="Twenty",outcome="ok"}`:          1,
		`graphql_operations_total{operation="Missing",outcome="partial"}`:    1,
		`graphql_operations_total{operation="anonymous",outcome="rejected"}`: 1,
		`graphql_operations_total{operation="Anon",outcome="ok"}`:            1,
		`graphql_guard_rejections_total{limit="QUERY_TOO_DEEP"}`:             1,
		`graphql_operation_duration_seconds_count{operation="Twenty"}`:       1,
		`upstream_request_duration_seconds_count{endpoint="room"}`:           7,
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("the Go runtime collector is missing")
	}
	if _, ok := got["process_resident_memory_bytes"]; !ok {
		t.Error("the process collector is missing")
	}
}

func TestOperationNamesAreBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{Registry: reg}})
	for i := range 130 {
		env.Post(t, fmt.Sprintf("query Op%d { __typename }", i), nil)
	}
	series := 0
	for k := range scrape(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) {
		if strings.HasPrefix(k, "graphql_operations_total{") {
			series++
		}
	}
	if series != 101 { // 100 names, then "other"
		t.Errorf("%d operation series, want 101", series)
	}
}

// TestTrustedOperationNamesKeepTheirSeries: junk names that come first cannot
// push a trusted document's operation into "other".
func TestTrustedOperationNamesKeepTheirSeries(t *testing.T) {
	const trusted = `query RoomCard { room(id: "1") { id name } }`
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	b, _ := json.Marshal(map[string]string{servicetest.SHA(trusted): trusted})
	if err := os.WriteFile(manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{Registry: reg},
		Config: func(c *service.Config) { c.PersistedDocuments = manifest }})
	for i := range 130 {
		env.Post(t, fmt.Sprintf("query Junk%d { __typename }", i), nil)
	}
	env.APQ(t, http.MethodGet, trusted, false)
	got := scrape(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if got[`graphql_operations_total{operation="RoomCard",outcome="ok"}`] != 1 {
		t.Errorf("the trusted operation was not counted under its name after 130 junk names")
	}
}

func TestAccessLogLine(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	req, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(`{"query":"query Two { a: room(id: \"1\") { id } b: room(id: \"999\") { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer demo-aisha")
	req.Header.Set("X-Request-ID", "abc-123")
	resp := servicetest.Do(t, req)
	if got := resp.Header.Get("X-Request-ID"); got != "abc-123" {
		t.Errorf("X-Request-ID = %q, want the caller's", got)
	}
	var line string
	for _, l := range strings.Split(env.Logs.String(), "\n") {
		if strings.Contains(l, "msg=request ") {
			line = l
		}
	}
	for _, part := range []string{"request_id=abc-123", "operation=Two", "status=200", "upstream_calls=2", "outcome=partial", "codes=[NOT_FOUND]", "duration_ms="} {
		if !strings.Contains(line, part) {
			t.Errorf("access log line lacks %q: %s", part, line)
		}
	}
	// A request id the service makes itself.
	resp = env.Post(t, `{ __typename }`, nil)
	if id := resp.Header.Get("X-Request-ID"); len(id) != 24 {
		t.Errorf("generated X-Request-ID = %q", id)
	}
}

// TestTraceTree: the caller's traceparent is the parent of the operation span;
// the batch span is its child; each upstream call is the batch's child; and the
// fake upstream received a traceparent naming that call's span.
func TestTraceTree(t *testing.T) {
	// The SDK's in-memory exporter, synchronous: every span is in it once ended.
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{Tracer: tp}})
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	resp := env.Post(t, `query Pair { rooms(ids: ["1", "2"]) { id } }`, nil,
		"Authorization: Bearer demo-aisha", "traceparent: 00-"+callerTrace+"-"+callerSpan+"-01")
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	spans := exp.GetSpans().Snapshots()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
		if s.Name() == "POST /oauth2/token" {
			// The service token serves many requests: its fetch (made at
			// start) is a trace of its own, never a request's child.
			if s.Parent().IsValid() {
				t.Errorf("the token fetch has a parent %s, want a trace of its own", s.Parent().SpanID())
			}
			continue
		}
		if s.SpanContext().TraceID().String() != callerTrace {
			t.Errorf("span %q is in trace %s, want the caller's", s.Name(), s.SpanContext().TraceID())
		}
		for _, a := range s.Attributes() {
			if strings.Contains(a.Value.String(), "demo-aisha") {
				t.Errorf("span %q carries the token in %s", s.Name(), a.Key)
			}
		}
	}
	op, batch, calls := byName["query Pair"], byName["room batch"], byName["GET /quran-reflect/v1/rooms/{id}"]
	if len(op) != 1 || len(batch) != 1 || len(calls) != 2 {
		t.Fatalf("spans: %d operation, %d batch, %d upstream; want 1, 1, 2 (all: %v)", len(op), len(batch), len(calls), names(spans))
	}
	if got := op[0].Parent().SpanID().String(); got != callerSpan || !op[0].Parent().IsRemote() {
		t.Errorf("operation's parent = %s, want the caller's span %s", got, callerSpan)
	}
	if batch[0].Parent().SpanID() != op[0].SpanContext().SpanID() {
		t.Error("the batch span is not the operation's child")
	}
	seen := map[string]bool{}
	for _, tp := range env.Fake.Stats().Traceparents {
		seen[tp] = true
	}
	for _, c := range calls {
		if c.Parent().SpanID() != batch[0].SpanContext().SpanID() {
			t.Errorf("upstream span %s is not the batch's child", c.SpanContext().SpanID())
		}
		want := "00-" + callerTrace + "-" + c.SpanContext().SpanID().String() + "-01"
		if !seen[want] {
			t.Errorf("the upstream never saw traceparent %q (saw %v)", want, seen)
		}
	}
	if len(seen) != 2 {
		t.Errorf("the upstream saw %d traceparents, want 2 (one per call)", len(seen))
	}
	t.Logf("span tree:\n%s", tree(spans))
}

// TestTracingOffPassesTheCallersTraceContext: with tracing off the service
// starts no spans, yet the caller's traceparent still reaches the upstream
// (from the request's context), and a call without one sends none.
func TestTracingOffPassesTheCallersTraceContext(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	resp := env.Post(t, `{ room(id: "1") { id } }`, nil, "Authorization: Bearer demo-aisha", "traceparent: "+caller)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	if got := env.Fake.Stats().Traceparents["1"]; got != caller {
		t.Errorf("the upstream saw traceparent %q, want the caller's %q", got, caller)
	}
	resp = env.Post(t, `{ room(id: "2") { id } }`, nil, "Authorization: Bearer demo-aisha")
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	if got, ok := env.Fake.Stats().Traceparents["2"]; ok {
		t.Errorf("without a caller's trace context the upstream saw traceparent %q", got)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name())
	}
	return n
}

// tree draws the spans as an indented tree, for the closing note.
func tree(spans []sdktrace.ReadOnlySpan) string {
	children := map[string][]sdktrace.ReadOnlySpan{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID().String()] = true
	}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range spans {
		p := s.Parent().SpanID().String()
		if ids[p] {
			children[p] = append(children[p], s)
		} else {
			roots = append(roots, s)
		}
	}
	var b strings.Builder
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		fmt.Fprintf(&b, "%s%s [%s] span=%s parent=%s\n", strings.Repeat("  ", depth), s.Name(), s.SpanKind(),
			s.SpanContext().SpanID(), s.Parent().SpanID())
		for _, c := range children[s.SpanContext().SpanID().String()] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}
