package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The codes a client finds in extensions.code. gqlgen adds its own for documents
// that do not parse (GRAPHQL_PARSE_FAILED) or validate (GRAPHQL_VALIDATION_FAILED).
const (
	CodeBadRequest   = "BAD_REQUEST"     // the HTTP request is not a GraphQL request
	CodeBadUserInput = "BAD_USER_INPUT"  // an argument is invalid, such as a room id
	CodeNotFound     = "NOT_FOUND"       // no room has this id
	CodeUnauthn      = "UNAUTHENTICATED" // no usable token, or the upstream refused it
	CodeForbidden    = "FORBIDDEN"       // the upstream refused access
	CodeRateLimited  = "RATE_LIMITED"    // the upstream asked us to slow down
	CodeUpstream     = "UPSTREAM_ERROR"  // the upstream failed, timed out or sent garbage
	CodeInternal     = "INTERNAL_SERVER_ERROR"
	CodeTooLarge     = "REQUEST_TOO_LARGE"
	// CodeIntrospectionDisabled answers __schema and __type when INTROSPECTION=false.
	CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	CodeUnsupportedTyp        = "UNSUPPORTED_MEDIA_TYPE"
)

// inputError is a problem with what the caller sent; its message is shown as is.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

// errInternal is what a client sees of a panic.
var errInternal = errors.New("internal server error")

// presentError decides what a client sees of an error: a known code and a plain
// message. Details (upstream statuses and messages, URLs) go to the log only: the
// default presenter would send err.Error() verbatim.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
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
				setCode(gqlErr, CodeInternal)
				logger.ErrorContext(ctx, "graphql: error without a code", "path", gqlErr.Path.String(), "err", gqlErr.Message)
				gqlErr.Message = errInternal.Error()
			}
			return gqlErr
		}
		code, msg, level := classify(cause)
		out := &gqlerror.Error{
			Message:    msg,
			Path:       gqlErr.Path,
			Locations:  gqlErr.Locations,
			Extensions: map[string]any{"code": code},
		}
		var se *upstream.StatusError
		var cl *errCallerLimited
		switch {
		case errors.As(cause, &cl):
			out.Extensions["retryAfter"] = int(math.Ceil(cl.retryAfter.Seconds()))
		case code == CodeRateLimited && errors.As(cause, &se) && se.RetryAfter > 0:
			out.Extensions["retryAfter"] = int(math.Ceil(se.RetryAfter.Seconds()))
		case errors.Is(cause, upstream.ErrCircuitOpen):
			out.Extensions["circuitOpen"] = true
		}
		if code == CodeBadUserInput {
			// The message quotes the caller's input, which may be a variable's
			// value: logs never carry those.
			logger.Log(ctx, level, "graphql: field error", "code", code, "path", gqlErr.Path.String())
		} else {
			// Without the room id, which may be a variable's value.
			detail := cause.Error()
			var re *upstream.RoomError
			if errors.As(cause, &re) {
				detail = re.Err.Error()
			}
			logger.Log(ctx, level, "graphql: field error", "code", code, "path", gqlErr.Path.String(), "err", detail)
		}
		return out
	}
}

// classify maps a resolver's error to a code, a client message and a log level.
func classify(err error) (code, msg string, level slog.Level) {
	var (
		cl *errCallerLimited
		in *inputError
		se *upstream.StatusError
		te *upstream.TokenError
		re *upstream.RoomError
	)
	switch {
	case errors.As(err, &in):
		return CodeBadUserInput, in.msg, slog.LevelDebug
	case err.Error() == "introspection disabled": // gqlgen's generated code, when INTROSPECTION=false
		return CodeIntrospectionDisabled, "introspection is turned off on this server", slog.LevelDebug
	case errors.As(err, &cl):
		return CodeRateLimited, "too many upstream calls from this caller; retry later", slog.LevelInfo
	case errors.Is(err, upstream.ErrCircuitOpen):
		return CodeUpstream, "Quran Reflect is failing; calls are paused for a moment", slog.LevelWarn
	case errors.Is(err, upstream.ErrBusy):
		return CodeUpstream, "the service is too busy to reach Quran Reflect; retry later", slog.LevelWarn
	case errors.Is(err, upstream.ErrNoCredentials):
		return CodeUnauthn, "sign-in required: send the user's access token as \"Authorization: Bearer <token>\"", slog.LevelDebug
	case errors.As(err, &te):
		return CodeUpstream, "could not obtain an access token from the Quran Foundation", slog.LevelError
	case errors.As(err, &se):
		switch {
		case se.Status == http.StatusNotFound:
			return CodeNotFound, "room not found", slog.LevelDebug
		case se.Status == http.StatusUnauthorized:
			return CodeUnauthn, "Quran Reflect refused the access token: it is invalid or expired", slog.LevelInfo
		case se.Status == http.StatusForbidden:
			return CodeForbidden, "Quran Reflect refused access to this room", slog.LevelInfo
		case se.Status == http.StatusTooManyRequests:
			return CodeRateLimited, "Quran Reflect is rate limiting requests; retry later", slog.LevelWarn
		default:
			return CodeUpstream, fmt.Sprintf("Quran Reflect answered with HTTP %d", se.Status), slog.LevelWarn
		}
	case errors.Is(err, upstream.ErrMalformed):
		return CodeUpstream, "Quran Reflect sent an answer that could not be read", slog.LevelWarn
	case errors.As(err, &re):
		// Transport failures: refused, reset, timed out, cancelled.
		return CodeUpstream, "Quran Reflect could not be reached", slog.LevelWarn
	default:
		return CodeInternal, errInternal.Error(), slog.LevelError
	}
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// recoverPanic turns a resolver panic into an INTERNAL_SERVER_ERROR for that field
// and logs the stack; the process lives on.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql: panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errInternal
	}
}
