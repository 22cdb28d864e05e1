// Package telemetry is what the service tells its operators: Prometheus metrics
// (also the upstream client's Observer), one access-log line per request with the
// request id on every record logged for it, a span per operation, and the
// OpenTelemetry set-up from the standard OTEL_* variables. It never records a
// token, a secret or a variable's value.
package telemetry

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/propagation"
)

// requestRecord is what the access log and metrics learn about one request as it
// runs: filled in by the transport, the operation interceptor and the upstream
// observer, written out once at the end.
type requestRecord struct {
	id            string
	upstreamCalls atomic.Int64

	mu        sync.Mutex
	operation string
	executed  bool // the operation ran (it was not refused before execution)
	hadData   bool
	codes     []string

	// w is the response writer that remembers the status, allocated with
	// the record.
	w statusWriter
}

func (r *requestRecord) addErrors(errs gqlerror.List) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range errs {
		if c, ok := e.Extensions["code"].(string); ok && !slices.Contains(r.codes, c) {
			r.codes = append(r.codes, c)
		}
	}
}

type recordKey struct{}

func recordFrom(ctx context.Context) *requestRecord {
	r, _ := ctx.Value(recordKey{}).(*requestRecord)
	return r
}

// RecordErrors notes, for the access log, errors that answered the request
// without running an operation (refusals of the transport or the guard).
func RecordErrors(ctx context.Context, errs gqlerror.List) {
	if rec := recordFrom(ctx); rec != nil {
		rec.addErrors(errs)
	}
}

// requestID accepts a caller's X-Request-ID when it is short and plain, and
// otherwise makes one.
func requestID(r *http.Request) string {
	// The server stores header names canonical: a direct lookup makes no
	// canonical copy of the name.
	if ids := r.Header["X-Request-Id"]; len(ids) > 0 && ids[0] != "" && len(ids[0]) <= 64 && wellFormedID(ids[0]) {
		return ids[0]
	}
	// An id need only be unique, not secret: the runtime's per-thread
	// generator (ChaCha8, seeded by the system) costs no system call, where
	// crypto/rand made one per request.
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	return hex.EncodeToString(b[:])
}

func wellFormedID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// AccessLog gives the request an id (echoed in X-Request-ID), accepts the
// caller's W3C trace context, and at the end writes one log line and the
// operation metrics.
func AccessLog(logger *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &requestRecord{id: requestID(r)}
		w.Header()["X-Request-Id"] = []string{rec.id}
		ctx := r.Context()
		if _, ok := r.Header["Traceparent"]; ok { // without it there is no trace context to accept
			ctx = prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		ctx = context.WithValue(ctx, recordKey{}, rec)
		sw := &rec.w
		sw.ResponseWriter = w
		next.ServeHTTP(sw, r.WithContext(ctx))
		d := time.Since(start)

		rec.mu.Lock()
		op, codes, executed, hadData := rec.operation, slices.Clone(rec.codes), rec.executed, rec.hadData
		rec.mu.Unlock()
		outcome := "ok"
		switch {
		case !executed:
			outcome = "rejected"
		case !hadData:
			outcome = "error"
		case len(codes) > 0:
			outcome = "partial"
		}
		m.operation(op, outcome, d)
		if !logger.Enabled(ctx, slog.LevelInfo) {
			return
		}
		logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("operation", op),
			slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.Int64("upstream_calls", rec.upstreamCalls.Load()),
			slog.String("outcome", outcome),
			slog.Any("codes", codes),
		)
	})
}

// RouteLog is AccessLog for routes that are not GraphQL (the sign-in's): the
// request id, then one log line per request with its route (the path, never
// the query string, which carries codes and states), status, duration and the
// error codes it answered with (NoteCode).
func RouteLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &requestRecord{id: requestID(r)}
		w.Header()["X-Request-Id"] = []string{rec.id}
		ctx := context.WithValue(r.Context(), recordKey{}, rec)
		sw := &rec.w
		sw.ResponseWriter = w
		next.ServeHTTP(sw, r.WithContext(ctx))
		if !logger.Enabled(ctx, slog.LevelInfo) {
			return
		}
		rec.mu.Lock()
		codes := slices.Clone(rec.codes)
		rec.mu.Unlock()
		logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Any("codes", codes),
		)
	})
}

// NoteCode notes, for the access log, an error code a request was answered
// with outside GraphQL (a sign-in's failure).
func NoteCode(ctx context.Context, code string) {
	if rec := recordFrom(ctx); rec != nil {
		rec.mu.Lock()
		if !slices.Contains(rec.codes, code) {
			rec.codes = append(rec.codes, code)
		}
		rec.mu.Unlock()
	}
}

// logHandler adds the request id to every record logged with a request's context.
type logHandler struct{ slog.Handler }

// WithRequestIDs wraps h so that records logged with a request's context carry
// its request_id.
func WithRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if rec := recordFrom(ctx); rec != nil {
		r.AddAttrs(slog.String("request_id", rec.id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}
func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
