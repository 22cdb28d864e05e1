package upstream

import (
	"context"
	"time"
)

// Observer is told what the client does, for metrics and logs. Its methods are
// called on the request's goroutines: they must be cheap and safe for concurrent
// use. A nil Observer in Config observes nothing.
type Observer interface {
	// Attempt reports one HTTP call: status is 0 when no answer came (refused,
	// reset, timed out).
	Attempt(ctx context.Context, endpoint string, status int, d time.Duration)
	// Retry reports that a call will try again.
	Retry(ctx context.Context, endpoint string)
	// InFlight moves the number of calls in flight by delta.
	InFlight(delta int)
	// Concurrency reports the adaptive limit on calls in flight and the
	// number of calls waiting for it, when either changes.
	Concurrency(limit, queued int)
	// Breaker reports the circuit breaker of host entering state ("closed",
	// "half-open", "open").
	Breaker(host, state string)
	// TokenFetch reports one request for the service's own token.
	TokenFetch(err error, d time.Duration)
}

// EndpointToken names the service's own token requests. The other endpoints an
// Observer hears about are named by their descriptors' Name (EndpointRoom in
// rooms.go, and so on).
const EndpointToken = "token"

type nopObserver struct{}

func (nopObserver) Attempt(context.Context, string, int, time.Duration) {}
func (nopObserver) Retry(context.Context, string)                       {}
func (nopObserver) InFlight(int)                                        {}
func (nopObserver) Concurrency(int, int)                                {}
func (nopObserver) Breaker(string, string)                              {}
func (nopObserver) TokenFetch(error, time.Duration)                     {}
