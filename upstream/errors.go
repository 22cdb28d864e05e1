package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrNotFound is matched (with errors.Is) by a *StatusError for HTTP 404.
	ErrNotFound = errors.New("upstream: not found")
	// ErrMalformed means the upstream answered 200 with a body that is not a valid
	// answer: HTML, empty, truncated JSON, too long, or a required field missing.
	ErrMalformed = errors.New("upstream: malformed response")
	// ErrNoCredentials means a caller without a user token asked for data and the
	// service has no client credentials of its own to use instead.
	ErrNoCredentials = errors.New("upstream: no user token and no client credentials configured")
	// ErrCircuitOpen means the upstream has been failing and calls are refused
	// without being sent until the circuit breaker lets a trial call through.
	ErrCircuitOpen = errors.New("upstream: circuit breaker open")
	// ErrBusy means the adaptive limit shed the call: its queue was full, the
	// call's deadline was shorter than the wait it predicted, or the caller
	// gave up while waiting.
	ErrBusy = errors.New("upstream: too many calls in flight")
	// ErrInvalidArgument means a method refused its arguments without calling:
	// an id, slug, page or limit the upstream would not take, or one that could
	// change the path it is put in ("." or "..").
	ErrInvalidArgument = errors.New("upstream: invalid argument")
)

// invalid is the *Error of a call refused before it was made. Its detail never
// quotes the argument, which may be a caller's variable.
func invalid(endpoint, key, detail string) error {
	return &Error{Endpoint: endpoint, Key: key, Err: fmt.Errorf("%w: %s", ErrInvalidArgument, detail)}
}

// Error is a failed call of one endpoint: every error a Client's endpoint method
// returns is one. Endpoint names the endpoint ("room", as in Endpoint.Name), Key
// what was asked for (the room id; "" when nothing was). Err says what went wrong:
// a *StatusError, ErrMalformed, ErrNoCredentials, ErrCircuitOpen, ErrBusy, a
// *TokenError, or a transport error (refused, timed out, cancelled).
type Error struct {
	Endpoint string
	Resource string // what the endpoint is about: "room" for a room's members too
	Key      string
	// Refusal is the endpoint's Refusal: what a 400 from it means, for a
	// person (never the upstream's own words).
	Refusal string
	Err     error
}

// Error reads like "upstream: room 42: HTTP 404 not_found: Room not found".
func (e *Error) Error() string {
	s := "upstream: " + e.Endpoint
	if e.Key != "" {
		s += " " + e.Key
	}
	return s + ": " + strings.TrimPrefix(e.Err.Error(), "upstream: ")
}

func (e *Error) Unwrap() error { return e.Err }

// StatusError is an upstream answer with a status other than 200. Type and Message
// come from the gateway's error envelope when it had one; they are for logs only.
// Message is the envelope's message followed by what the upstream's own body,
// nested under "details", adds to it: a code such as ALREADY_A_MEMBER, or the
// fields a 422 found invalid.
type StatusError struct {
	Status     int
	Type       string
	Message    string
	RetryAfter time.Duration // from Retry-After; 0 when absent or unreadable
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("upstream: HTTP %d", e.Status)
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is lets errors.Is(err, ErrNotFound) match a 404.
func (e *StatusError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// TokenError is a failure to obtain the service's own client-credentials token.
// Code is the OAuth2 error code (such as "invalid_client") when the server sent one.
// It never holds the response body or the secret.
type TokenError struct {
	Status int
	Code   string
	Err    error
}

func (e *TokenError) Error() string {
	s := "upstream: service token"
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TokenError) Unwrap() error { return e.Err }

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
