// Package errcode is the one place that decides what a client sees of an error:
// the codes of extensions.code, the errors the other packages return for what a
// caller did wrong, and the presenter that maps every error to a code and a plain
// message while the detail goes to the log.
package errcode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The codes a client finds in extensions.code. gqlgen adds its own for documents
// that do not parse (GRAPHQL_PARSE_FAILED) or validate (GRAPHQL_VALIDATION_FAILED).
const (
	BadRequest           = "BAD_REQUEST"     // the HTTP request is not a GraphQL request
	BadUserInput         = "BAD_USER_INPUT"  // an argument is invalid, such as a room id
	NotFound             = "NOT_FOUND"       // the upstream has nothing under this key
	Unauthenticated      = "UNAUTHENTICATED" // no usable token, or the upstream refused it
	Forbidden            = "FORBIDDEN"       // the upstream refused access
	Conflict             = "CONFLICT"        // the state changed elsewhere while a write ran
	RateLimited          = "RATE_LIMITED"    // the upstream, or this caller's budget, says slow down
	Upstream             = "UPSTREAM_ERROR"  // the upstream failed, timed out or sent garbage
	Internal             = "INTERNAL_SERVER_ERROR"
	RequestTooLarge      = "REQUEST_TOO_LARGE"
	UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	// IntrospectionDisabled answers __schema and __type when INTROSPECTION=false.
	IntrospectionDisabled = "INTROSPECTION_DISABLED"
	// ValidationFailed is gqlgen's code, also used for what the guard finds invalid.
	ValidationFailed = "GRAPHQL_VALIDATION_FAILED"

	// The query guard's refusals; each names the limit that was hit.
	TooManyTokens     = "TOO_MANY_TOKENS"
	TooDeep           = "QUERY_TOO_DEEP"
	TooManyAliases    = "TOO_MANY_ALIASES"
	TooManyRootFields = "TOO_MANY_ROOT_FIELDS"
	TooManyDirectives = "TOO_MANY_DIRECTIVES"
	TooManySelections = "TOO_MANY_SELECTIONS"
	TooManyIDs        = "TOO_MANY_IDS"
	// TooManyCalls stops an operation's upstream calls past MAX_UPSTREAM_CALLS.
	TooManyCalls = "TOO_MANY_UPSTREAM_CALLS"
	// TooManyErrors ends an answer whose errors were cut; it says how many.
	TooManyErrors = "TOO_MANY_ERRORS"
	// ResponseTooLarge replaces an answer over the size any answer may have.
	ResponseTooLarge     = "RESPONSE_TOO_LARGE"
	IntrospectionTooDeep = "INTROSPECTION_TOO_DEEP"
	TooComplex           = "COMPLEXITY_LIMIT_EXCEEDED" // gqlgen's own code for its complexity limit

	// Sign-in: a cookie request that could be a cross-site forgery, and the
	// sign-in flow's own failures (on /auth/*, never in GraphQL answers).
	CSRFCheckFailed     = "CSRF_CHECK_FAILED"
	SignInNotConfigured = "SIGNIN_NOT_CONFIGURED"
	SignInFailed        = "SIGNIN_FAILED"
	// SessionUnavailable (in GraphQL answers too): a signed-in browser's
	// session cannot be read or saved right now, its store failing; the
	// session is kept, and a retry may succeed.
	SessionUnavailable = "SESSION_UNAVAILABLE"

	// Idempotency-Key on a mutation: the key was used for another request,
	// its first request is still running, or its store cannot be reached
	// (the write is not run rather than risk running it twice).
	IdempotencyKeyReused   = "IDEMPOTENCY_KEY_REUSED"
	IdempotencyKeyInFlight = "IDEMPOTENCY_KEY_IN_FLIGHT"
	IdempotencyUnavailable = "IDEMPOTENCY_UNAVAILABLE"

	// Persisted queries: Apollo's codes, so that its links react to them.
	PersistedNotFound  = "PERSISTED_QUERY_NOT_FOUND"
	PersistedNotInList = "PERSISTED_QUERY_NOT_IN_LIST"
)

// IsGuardCode reports whether code refuses a request for its size or shape
// before anything ran; metrics count those by code.
func IsGuardCode(code string) bool {
	switch code {
	case TooManyTokens, TooDeep, TooManyAliases, TooManyRootFields, TooManyDirectives,
		TooManySelections, TooManyIDs, IntrospectionTooDeep, TooComplex, RequestTooLarge:
		return true
	}
	return false
}

// InputError is a problem with what the caller sent; its message is shown as is
// (and never logged: it may quote a variable's value).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Inputf makes an InputError.
func Inputf(format string, args ...any) error { return &InputError{Msg: fmt.Sprintf(format, args...)} }

// LimitedError is something this service refuses itself, before any upstream
// call: past a limit (the caller's budget, the operation's allowance of upstream
// calls) or without what it needs (a write without a signed-in user).
type LimitedError struct {
	Code       string        // RateLimited, TooManyCalls or Unauthenticated
	Msg        string        // for the client
	RetryAfter time.Duration // 0: retrying will not help
}

func (e *LimitedError) Error() string { return e.Msg }

// ErrInternal is what a client sees of a panic or a bug.
var ErrInternal = errors.New("internal server error")

// New returns a GraphQL error with code.
func New(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// Newf returns a GraphQL error with code and a formatted message.
func Newf(code, format string, args ...any) *gqlerror.Error {
	return New(code, fmt.Sprintf(format, args...))
}

// Presenter decides what a client sees of an error: a known code and a plain
// message. Details (upstream statuses and messages, URLs) go to the log only: the
// default presenter would send err.Error() verbatim.
func Presenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			gqlErr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
		}
		cause := gqlErr.Unwrap()
		if cause == nil {
			// Made by gqlgen or gqlparser: parse and validation errors carry their
			// own code and a message meant for the client.
			if _, ok := gqlErr.Extensions["code"]; !ok {
				if gqlErr.Extensions == nil {
					gqlErr.Extensions = map[string]any{}
				}
				gqlErr.Extensions["code"] = Internal
				logger.ErrorContext(ctx, "graphql: error without a code", "path", gqlErr.Path.String(), "err", gqlErr.Message)
				gqlErr.Message = ErrInternal.Error()
			}
			return gqlErr
		}
		code, msg, level := Classify(cause)
		out := &gqlerror.Error{
			Message:    msg,
			Path:       gqlErr.Path,
			Locations:  gqlErr.Locations,
			Extensions: map[string]any{"code": code},
		}
		var se *upstream.StatusError
		var le *LimitedError
		var vs *viewer.SessionError
		switch {
		case errors.As(cause, &le):
			if le.RetryAfter > 0 {
				out.Extensions["retryAfter"] = int(math.Ceil(le.RetryAfter.Seconds()))
			}
		case errors.As(cause, &vs):
			if vs.RetryAfter > 0 {
				out.Extensions["retryAfter"] = int(math.Ceil(vs.RetryAfter.Seconds()))
			}
		case code == RateLimited && errors.As(cause, &se) && se.RetryAfter > 0:
			out.Extensions["retryAfter"] = int(math.Ceil(se.RetryAfter.Seconds()))
		case errors.Is(cause, upstream.ErrCircuitOpen):
			out.Extensions["circuitOpen"] = true
		}
		if code == BadUserInput {
			// The message quotes the caller's input, which may be a variable's
			// value: logs never carry those.
			logger.Log(ctx, level, "graphql: field error", "code", code, "path", gqlErr.Path.String())
		} else {
			// Without the key (a room id, say), which may be a variable's value.
			detail := cause.Error()
			var ue *upstream.Error
			if errors.As(cause, &ue) {
				detail = ue.Endpoint + ": " + ue.Err.Error()
			}
			logger.Log(ctx, level, "graphql: field error", "code", code, "path", gqlErr.Path.String(), "err", detail)
		}
		return out
	}
}

// Classify maps a resolver's error to a code, a client message and a log level.
func Classify(err error) (code, msg string, level slog.Level) {
	var (
		in   *InputError
		le   *LimitedError
		se   *upstream.StatusError
		te   *upstream.TokenError
		ue   *upstream.Error
		sess *viewer.SessionError
	)
	what := "item" // what a refusal is about, named by the endpoint
	if errors.As(err, &ue) && ue.Resource != "" {
		what = ue.Resource
	}
	switch {
	case errors.As(err, &in):
		return BadUserInput, in.Msg, slog.LevelDebug
	case err.Error() == "introspection disabled": // gqlgen's generated code, when INTROSPECTION=false
		return IntrospectionDisabled, "introspection is turned off on this server", slog.LevelDebug
	case errors.As(err, &le):
		return le.Code, le.Msg, slog.LevelInfo
	case errors.Is(err, upstream.ErrCircuitOpen):
		return Upstream, "Quran Reflect is failing; calls are paused for a moment", slog.LevelWarn
	case errors.Is(err, upstream.ErrBusy):
		return Upstream, "the service is too busy to reach Quran Reflect; retry later", slog.LevelWarn
	case errors.As(err, &sess) && sess.Store:
		return SessionUnavailable, "your session cannot be read or saved right now (the session store is failing); retry shortly", slog.LevelWarn
	case errors.As(err, &sess):
		return Upstream, "the Quran Foundation's sign-in cannot renew your session right now; retry later", slog.LevelWarn
	case errors.Is(err, viewer.ErrSessionEnded):
		return Unauthenticated, "your session has ended; sign in again", slog.LevelInfo
	case errors.Is(err, upstream.ErrNoCredentials):
		return Unauthenticated, "sign-in required: send the user's access token as \"Authorization: Bearer <token>\"", slog.LevelDebug
	case errors.As(err, &te):
		return Upstream, "could not obtain an access token from the Quran Foundation", slog.LevelError
	case errors.As(err, &se):
		switch {
		case se.Status == http.StatusNotFound:
			return NotFound, what + " not found", slog.LevelDebug
		case se.Status == http.StatusUnauthorized:
			return Unauthenticated, "Quran Reflect refused the access token: it is invalid or expired", slog.LevelInfo
		case se.Status == http.StatusForbidden:
			return Forbidden, "Quran Reflect refused access to this " + what, slog.LevelInfo
		case se.Status == http.StatusBadRequest:
			// What the upstream found wrong (following yourself, say) goes to
			// the log; the client learns it was refused, in the endpoint's
			// words for a person when it has them (what a reflection needs),
			// never the upstream's. A 422 stays an UPSTREAM_ERROR: arguments
			// are checked before any call, so the upstream refusing them is
			// its disagreement with us, not the caller's mistake.
			if ue != nil && ue.Refusal != "" {
				return BadUserInput, ue.Refusal, slog.LevelInfo
			}
			return BadUserInput, "Quran Reflect refused this request as invalid", slog.LevelInfo
		case se.Status == http.StatusTooManyRequests:
			return RateLimited, "Quran Reflect is rate limiting requests; retry later", slog.LevelWarn
		default:
			return Upstream, fmt.Sprintf("Quran Reflect answered with HTTP %d", se.Status), slog.LevelWarn
		}
	case errors.Is(err, upstream.ErrInvalidArgument):
		// The resolvers check arguments first: this is a bug, not the caller's.
		return Internal, ErrInternal.Error(), slog.LevelError
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// Out of time before any call was made: waiting for a slot, or for
		// the verdict on the caller's token.
		return Upstream, "Quran Reflect could not be reached in time", slog.LevelWarn
	case errors.Is(err, upstream.ErrMalformed):
		return Upstream, "Quran Reflect sent an answer that could not be read", slog.LevelWarn
	case ue != nil:
		// Transport failures: refused, reset, timed out, cancelled.
		return Upstream, "Quran Reflect could not be reached", slog.LevelWarn
	default:
		return Internal, ErrInternal.Error(), slog.LevelError
	}
}

// Recover turns a resolver panic into an INTERNAL_SERVER_ERROR for that field
// and logs the stack; the process lives on.
func Recover(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql: panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return ErrInternal
	}
}
