package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// The two response media types of GraphQL over HTTP.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// Transport serves GraphQL over HTTP at one endpoint: POST with a JSON body,
// and GET with the request in the URL (queries only). It replaces gqlgen's POST and
// GET transports, which answer a malformed body with an error that has no code and
// echo the body back: here every failure has a code and nothing the caller sent is
// repeated.
type Transport struct {
	// MaxBodyBytes bounds a POST body (larger: 413, REQUEST_TOO_LARGE).
	MaxBodyBytes int64
	Metrics      *telemetry.Metrics
	// PublicMaxAge lets shared caches keep answers to GET queries without a
	// user token that have no errors, for this long (0: never).
	PublicMaxAge time.Duration
	// Refusals is a budget, per client address, of documents refused by the
	// parser, the guard or validation: each costs one, and an address with
	// none left is refused before validation runs, so repeating a document
	// that is cheap to send and costly to refuse buys little. By address, not
	// token: an invented token per request buys no fresh budget (nil: none).
	Refusals *guard.CallerLimits
	// Validated reports a document the service has already parsed and
	// validated (the query cache): it holds none of the budget.
	Validated func(ctx context.Context, query string) bool
	// Idempotency keeps the answers of mutations sent with an
	// Idempotency-Key (nil: the header means nothing), and Calls says how
	// many upstream calls an operation made (loader.Calls; nil: assume
	// some): an answer is kept only when the operation made one.
	Idempotency *idempotency.Keeper
	Calls       func(ctx context.Context) int
	Logger      *slog.Logger // nil: none
}

// The bounds of any one answer: what a document can make the service write.
const (
	maxErrors        = 100     // errors in one answer; the last one says how many more there were
	maxResponseBytes = 4 << 20 // bytes of one answer
)

// capErrors keeps the first maxErrors-1 errors and says how many were left out.
func capErrors(errs gqlerror.List) gqlerror.List {
	if len(errs) <= maxErrors {
		return errs
	}
	kept := append(gqlerror.List(nil), errs[:maxErrors-1]...)
	return append(kept, errcode.Newf(errcode.TooManyErrors, "%d more errors were left out", len(errs)-(maxErrors-1)))
}

var _ graphql.Transport = Transport{}

// Supports claims every request to the endpoint, so that a wrong method or content
// type is answered here, in GraphQL's shape, not by gqlgen's codeless fallback.
// That includes requests with an Upgrade header: this service serves no
// websockets, and curl --http2 sends "Upgrade: h2c" on plain HTTP, which Go
// answers as HTTP/1.1.
func (Transport) Supports(*http.Request) bool { return true }

func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMediaType(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media+"; charset=utf-8")

	params := &graphql.RawParams{Headers: r.Header}
	params.ReadTime.Start = graphql.Now()
	switch r.Method {
	case http.MethodPost:
		if status, err := t.readPOST(w, r, params); err != nil {
			t.fail(w, r, status, err)
			return
		}
	case http.MethodGet:
		if err := readGET(r.URL.RawQuery, params); err != nil {
			t.fail(w, r, http.StatusBadRequest, err)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		t.fail(w, r, http.StatusMethodNotAllowed, errcode.New(errcode.BadRequest, "GraphQL is served over GET and POST only"))
		return
	}
	params.ReadTime.End = graphql.Now()
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		t.fail(w, r, http.StatusBadRequest, errcode.New(errcode.BadRequest, "the request has no query"))
		return
	}

	// The document's hash as the client named it, before a persisted hash
	// is resolved to its document: either way, the same fingerprint.
	keyed := t.Idempotency != nil && len(r.Header.Values(idempotency.Header)) > 0
	var docHash string
	if keyed {
		docHash = documentHash(params)
	}
	ctx := r.Context()
	ip := viewer.From(ctx).IP
	var release func(refused bool) // a unit of the budget held, if any
	if t.Refusals != nil {
		// A document never validated before holds a unit of the budget while
		// it is parsed and validated, so that clients sending costly documents
		// at once cannot all pass a check made before any was refused; the
		// unit is spent only if the document is refused.
		var err error
		if params.Query != "" && (t.Validated == nil || !t.Validated(ctx, params.Query)) {
			release, err = t.Refusals.Hold(ip)
		} else {
			err = t.Refusals.Allows(ip)
		}
		if err != nil {
			e := limited(err)
			w.Header().Set("Retry-After", fmt.Sprint(e.Extensions["retryAfter"]))
			t.fail(w, r, http.StatusTooManyRequests, e)
			return
		}
	}
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	switch refused := errs != nil && refusedDocument(errs); {
	case release != nil:
		release(refused)
	case refused && t.Refusals != nil:
		_ = t.Refusals.Take(ip)
	}
	if errs != nil {
		errs = capErrors(errs)
		// The document did not parse or validate, or the variables did not fit.
		// application/json answers 200 with the errors; the newer media type
		// answers 400 and, as its spec asks, no data member.
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		t.rejected(ctx, resp.Errors)
		if media == mediaGraphQLResponse {
			writeRequestError(w, http.StatusBadRequest, resp.Errors...)
			return
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		t.fail(w, r, http.StatusMethodNotAllowed, errcode.New(errcode.BadRequest, "GET serves queries only; send other operations with POST"))
		return
	}
	if keyed && opCtx.Operation.Operation == ast.Mutation {
		t.idempotent(w, r, exec, opCtx, media, docHash, params.Variables)
		return
	}
	t.execute(w, r, exec, opCtx, media)
}

// execute runs the operation and writes its answer; it returns the
// operation's context (its loaders, its count of upstream calls).
func (t Transport) execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, opCtx *graphql.OperationContext, media string) context.Context {
	responses, ctx := exec.DispatchOperation(r.Context(), opCtx)
	resp := responses(ctx)
	resp.Errors = capErrors(resp.Errors)
	b, err := marshalResponse(resp)
	if err != nil || len(b) > maxResponseBytes {
		// Too large to send (or, a bug, errors or extensions not encodable;
		// data is gqlgen's own JSON, copied as it wrote it): an error instead,
		// never cached; the newer media type says so with a 5xx, as its spec asks
		// for an answer without data.
		e := errcode.Newf(errcode.ResponseTooLarge, "the answer would be larger than %d bytes; ask for less", maxResponseBytes)
		if err != nil {
			e = errcode.New(errcode.Internal, errcode.ErrInternal.Error())
		}
		telemetry.RecordErrors(ctx, gqlerror.List{e})
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusInternalServerError
		}
		writeRequestError(w, status, e)
		return ctx
	}
	// Never public with cookies either way: a shared cache must not keep an
	// answer that sets one (a cleared session cookie) or was meant for one.
	if t.PublicMaxAge > 0 && r.Method == http.MethodGet && viewer.From(ctx).Anonymous() && len(resp.Errors) == 0 &&
		r.Header.Get("Cookie") == "" && w.Header().Get("Set-Cookie") == "" {
		// Nothing in it belongs to a viewer, and nothing failed: a CDN may keep it.
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(t.PublicMaxAge.Seconds())))
		w.Header().Del("X-Request-ID") // one caller's id must not be served to the next
		w.Header().Add("Vary", "Origin")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return ctx
}

// refusedDocument reports whether errs refuse the document itself (it does not
// parse, validate or pass the guard), not a step of a normal exchange such as
// an unknown persisted-query hash.
func refusedDocument(errs gqlerror.List) bool {
	for _, e := range errs {
		switch c, _ := e.Extensions["code"].(string); c {
		case "GRAPHQL_PARSE_FAILED", errcode.ValidationFailed:
			return true
		default:
			if errcode.IsGuardCode(c) {
				return true
			}
		}
	}
	return false
}

// limited is a budget's refusal as a GraphQL error, with retryAfter.
func limited(err error) *gqlerror.Error {
	var le *errcode.LimitedError
	if !errors.As(err, &le) {
		return errcode.New(errcode.RateLimited, "too many refused documents from this address; retry later")
	}
	e := errcode.New(le.Code, le.Msg)
	e.Extensions["retryAfter"] = int(math.Ceil(le.RetryAfter.Seconds()))
	return e
}

// fail answers a request that is refused before execution.
func (t Transport) fail(w http.ResponseWriter, r *http.Request, status int, err *gqlerror.Error) {
	t.rejected(r.Context(), gqlerror.List{err})
	writeRequestError(w, status, err)
}

// rejected notes errors that stopped a request before execution on its record,
// and counts the guard's refusals.
func (t Transport) rejected(ctx context.Context, errs gqlerror.List) {
	telemetry.RecordErrors(ctx, errs)
	for _, e := range errs {
		if c, _ := e.Extensions["code"].(string); errcode.IsGuardCode(c) {
			t.Metrics.GuardRejected(c)
		}
	}
}

// drainOversized is how much of an oversized body is read before answering
// 413: as much as net/http itself drains after a handler.
const drainOversized = 256 << 10

func (t Transport) readPOST(w http.ResponseWriter, r *http.Request, params *graphql.RawParams) (int, *gqlerror.Error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != mediaJSON {
		return http.StatusUnsupportedMediaType, errcode.New(errcode.UnsupportedMediaType, "POST bodies must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			// Read on a little (bounded, within the body's deadline) so that a
			// client still sending gets the 413 rather than a reset: the
			// connection closes after it, and closing on unread data resets it.
			_, _ = io.CopyN(io.Discard, r.Body, drainOversized)
			return http.StatusRequestEntityTooLarge, errcode.New(errcode.RequestTooLarge, "the request body is larger than this server accepts")
		}
		var slow *BodyTimeoutError
		if errors.As(err, &slow) {
			return http.StatusRequestTimeout, errcode.New(errcode.BadRequest, slow.Error())
		}
		return http.StatusBadRequest, errcode.New(errcode.BadRequest, "the request body could not be read")
	}
	if err := decodeStrict(body, params); err != nil {
		return http.StatusBadRequest, errcode.New(errcode.BadRequest, "the request body is not a GraphQL request: "+err.Error())
	}
	return 0, nil
}

func readGET(rawQuery string, params *graphql.RawParams) *gqlerror.Error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return errcode.New(errcode.BadRequest, "the URL query string is malformed")
	}
	params.Query = q.Get("query")
	params.OperationName = q.Get("operationName")
	if v := q.Get("variables"); v != "" {
		if err := decodeStrict([]byte(v), &params.Variables); err != nil {
			return errcode.New(errcode.BadRequest, "variables must be a JSON object")
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeStrict([]byte(v), &params.Extensions); err != nil {
			return errcode.New(errcode.BadRequest, "extensions must be a JSON object")
		}
	}
	return nil
}

// decodeStrict decodes one JSON value, keeping numbers as json.Number so that no
// digit of an id is lost, and refuses trailing data. Its errors describe the
// problem without quoting the input.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var typ *json.UnmarshalTypeError
		if !errors.As(err, &typ) {
			return errors.New("invalid JSON") // syntax errors, truncation, empty input
		}
		if typ.Field != "" {
			return errors.New("\"" + typ.Field + "\" has the wrong type")
		}
		return errors.New("it must be a JSON object")
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// responseMediaType picks the response type from Accept: the newer
// application/graphql-response+json when the client names it before
// application/json, else application/json (also for no Accept at all, for older
// clients).
func responseMediaType(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			return mediaJSON
		}
	}
	return mediaJSON
}

// writeRequestError answers a request that never reached execution: errors only,
// no data member.
func writeRequestError(w http.ResponseWriter, status int, errs ...*gqlerror.Error) {
	writeJSON(w, status, struct {
		Errors gqlerror.List `json:"errors"`
	}{errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	switch {
	case err != nil:
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	case len(b) > maxResponseBytes:
		b, _ = json.Marshal(struct {
			Errors gqlerror.List `json:"errors"`
		}{gqlerror.List{errcode.Newf(errcode.ResponseTooLarge, "the answer would be larger than %d bytes; ask for less", maxResponseBytes)}})
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshalResponse writes resp as encoding/json would, with its members in the
// same order (errors, data, extensions), but copies data as gqlgen wrote it,
// where json.Marshal would check and compact it again (a tenth of a one-room
// request's CPU). Incremental delivery's members take json.Marshal.
func marshalResponse(resp *graphql.Response) ([]byte, error) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		return json.Marshal(resp)
	}
	var errs, ext []byte
	var err error
	if len(resp.Errors) > 0 {
		if errs, err = json.Marshal(resp.Errors); err != nil {
			return nil, err
		}
	}
	if len(resp.Extensions) > 0 {
		if ext, err = json.Marshal(resp.Extensions); err != nil {
			return nil, err
		}
	}
	data := resp.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	b := make([]byte, 0, len(`{"errors":,"data":,"extensions":}`)+len(errs)+len(data)+len(ext))
	b = append(b, '{')
	if errs != nil {
		b = append(b, `"errors":`...)
		b = append(b, errs...)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	b = append(b, data...)
	if ext != nil {
		b = append(b, `,"extensions":`...)
		b = append(b, ext...)
	}
	return append(b, '}'), nil
}
