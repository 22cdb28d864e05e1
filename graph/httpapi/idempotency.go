package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// unavailableRetry is the Retry-After of IDEMPOTENCY_UNAVAILABLE, in seconds:
// the pause the service gives a failing Redis.
const unavailableRetry = 5

// idempotent runs a mutation sent with an Idempotency-Key: it claims the
// caller's key for the request's fingerprint, then runs the mutation and keeps
// its answer when it made an upstream call (else it gives the key back: nothing
// ran); or replays the answer kept for the same request, or refuses a key used
// for another request (422), one whose first request is running (409), and any
// write while the store cannot be reached (503: never a write run twice).
func (t Transport) idempotent(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor,
	opCtx *graphql.OperationContext, media, docHash string, variables map[string]any) {
	ctx := r.Context()
	keys := r.Header.Values(idempotency.Header)
	if len(keys) != 1 || !idempotency.ValidKey(keys[0]) {
		t.fail(w, r, http.StatusBadRequest, errcode.Newf(errcode.BadRequest,
			"the %s header must be one value of 1 to %d printable ASCII characters", idempotency.Header, idempotency.MaxKeyLength))
		return
	}
	fp, err := idempotency.Fingerprint(docHash, opCtx.Operation.Name, variables)
	if err != nil {
		t.fail(w, r, http.StatusBadRequest, errcode.New(errcode.BadRequest, "the variables cannot be read"))
		return
	}
	req, kept, err := t.Idempotency.Begin(ctx, viewer.From(ctx).Key, keys[0], fp)
	switch {
	case errors.Is(err, idempotency.ErrReused):
		t.fail(w, r, http.StatusUnprocessableEntity, errcode.New(errcode.IdempotencyKeyReused,
			"this Idempotency-Key was used for another request (another document, operation or variables); use a new key for a new request"))
		return
	case errors.Is(err, idempotency.ErrInFlight):
		w.Header().Set("Retry-After", "1")
		e := errcode.New(errcode.IdempotencyKeyInFlight, "the first request with this Idempotency-Key is still running; retry shortly")
		e.Extensions["retryAfter"] = 1
		t.fail(w, r, http.StatusConflict, e)
		return
	case err != nil:
		t.log().WarnContext(ctx, "idempotency: the store cannot be reached; the write was not run", "err", err.Error())
		w.Header().Set("Retry-After", fmt.Sprint(unavailableRetry))
		e := errcode.New(errcode.IdempotencyUnavailable,
			"writes with an Idempotency-Key cannot be served right now (its store is failing); nothing ran, retry shortly")
		e.Extensions["retryAfter"] = unavailableRetry
		t.fail(w, r, http.StatusServiceUnavailable, e)
		return
	case kept != nil:
		replay(w, *kept)
		return
	}

	rec := &recorder{header: w.Header()}
	var opDone context.Context // the operation's context, once it ran
	settled := false
	defer func() {
		// A panic (a bug: resolvers' panics are caught per field) leaves
		// the key claimed until its lease ends if anything was sent.
		if !settled && (opDone == nil || t.calls(opDone) == 0) {
			_ = req.Release(ctx)
		}
	}()
	// A client that goes away does not cancel a keyed write: it runs on to
	// its answer, within the request's deadline, and the answer is kept for
	// the client's retry (which is what the key is for).
	run := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		run, cancel = context.WithDeadline(run, deadline)
		defer cancel()
	}
	opDone = t.execute(rec, r.WithContext(run), exec, opCtx, media)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	answer := idempotency.Answer{Status: rec.status, ContentType: w.Header().Get("Content-Type"), Body: rec.body.Bytes()}
	settled = true
	if t.calls(opDone) == 0 {
		// Refused before any upstream call (sign-in required, an invalid
		// argument, a budget): nothing ran, so the key may be sent again.
		if err := req.Release(ctx); err != nil {
			t.log().WarnContext(ctx, "idempotency: a key could not be given back; it is refused as in flight until its lease ends", "err", err.Error())
		}
	} else if err := req.Keep(ctx, answer); err != nil {
		t.log().WarnContext(ctx, "idempotency: an answer could not be kept; its key is refused as in flight until its lease ends, then runs again", "err", err.Error())
	} else if len(answer.Body) > idempotency.MaxAnswerBytes {
		t.log().InfoContext(ctx, "idempotency: an answer was kept without its body, which is over the limit", "bytes", len(answer.Body))
	}
	w.WriteHeader(answer.Status)
	_, _ = w.Write(answer.Body)
}

// calls is the operation's count of upstream calls; without a counter, every
// operation may have made some.
func (t Transport) calls(ctx context.Context) int {
	if t.Calls == nil {
		return 1
	}
	return t.Calls(ctx)
}

func (t Transport) log() *slog.Logger {
	if t.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Logger
}

// replay writes a kept answer: byte for byte, or, when its body was too large
// to keep, an error that says so (the write ran).
func replay(w http.ResponseWriter, a idempotency.Answer) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set(idempotency.ReplayedHeader, "true")
	if a.Omitted {
		writeRequestError(w, a.Status, errcode.Newf(errcode.ResponseTooLarge,
			"the first request with this Idempotency-Key ran, but its answer was larger than %d bytes and was not kept; query the state instead", idempotency.MaxAnswerBytes))
		return
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// documentHash is the SHA-256 of the request's document, or the persisted
// query's hash when only that was sent (the same value: a hash sent with its
// document must be the document's).
func documentHash(params *graphql.RawParams) string {
	if params.Query != "" {
		return idempotency.DocumentHash(params.Query)
	}
	if ext, ok := params.Extensions["persistedQuery"].(map[string]any); ok {
		if h, ok := ext["sha256Hash"].(string); ok {
			return strings.ToLower(h)
		}
	}
	return ""
}

// recorder holds an answer until it is kept: its headers are the real
// writer's, its status and body wait.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*recorder)(nil)

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
