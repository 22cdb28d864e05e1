package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// refresh renews seen's tokens once, for every request of this process that
// needs it (singleflight) and every replica (the store's lease): a refresh
// token is spent by its use, and the provider takes a reused one for theft.
func (s *Sessions) refresh(ctx context.Context, id string, seen *Session) (*Session, error) {
	return shared(ctx, &s.flight, sessionKey(id), func() (*Session, error) {
		// The refresh outlives the request that started it: the others wait
		// for it too.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*leaseTTL)
		defer cancel()
		return s.refreshLeased(ctx, id, seen)
	})
}

// shared runs fn once for every caller with key at the same time, each
// waiting for its result at most until its own ctx ends (fn runs on).
func shared[T any](ctx context.Context, g *singleflight.Group, key string, fn func() (T, error)) (T, error) {
	ch := g.DoChan(key, func() (any, error) { return fn() })
	select {
	case r := <-ch:
		v, _ := r.Val.(T)
		return v, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (s *Sessions) refreshLeased(ctx context.Context, id string, seen *Session) (*Session, error) {
	lease := sessionKey(id) + ":refresh"
	var renew func(context.Context) bool
	var release func()
	for {
		var ok bool
		var err error
		renew, release, ok, err = s.store.Lease(ctx, lease, leaseTTL)
		if err != nil {
			return nil, storeError(err)
		}
		if ok {
			break
		}
		// Another replica is refreshing: its result is in the store when done.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		if cur, err := s.load(ctx, id); err != nil || cur.Version > seen.Version {
			return cur, storeError(err)
		}
	}
	defer release()
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(leaseTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				renew(ctx)
			}
		}
	}()
	// Read again under the lease: a replica may have refreshed just before,
	// or a refresh failed and set a backoff.
	cur, err := s.load(ctx, id)
	if err != nil || cur.Version > seen.Version {
		return cur, storeError(err)
	}
	if err := s.backingOff(cur); err != nil {
		return nil, err
	}
	conf, err := s.oauth(ctx)
	if err != nil {
		return nil, &viewer.SessionError{Err: err}
	}
	// The refreshed tokens must be saved, or the session is lost with its
	// spent refresh token: the store is proven writable first, by writing the
	// session as it is (a full Redis refuses the write, and nothing is spent).
	if err := s.save(ctx, id, cur, true); err != nil {
		return nil, storeError(err)
	}
	// The lease must still be ours when the refresh token goes out: lost
	// (evicted, expired in a stall), another replica may be sending it.
	if !renew(ctx) {
		return nil, &viewer.SessionError{Store: true, Err: errors.New("the session's refresh lease was lost")}
	}
	var wrote atomic.Bool // the request went out: its token may be spent
	tctx := httptrace.WithClientTrace(s.httpContext(ctx), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }})
	tok, err := conf.TokenSource(tctx, &oauth2.Token{RefreshToken: cur.tokens.Refresh}).Token()
	if err != nil {
		if spent(err, wrote.Load()) {
			// invalid_grant, or sent with no answer: the refresh token may be
			// spent, and sending it again would look like theft. The session
			// ends.
			_ = s.store.Delete(ctx, sessionKey(id))
			s.obs.SessionRefresh("ended")
			return nil, fmt.Errorf("%w (%s)", ErrSignedOut, refreshFailure(err))
		}
		// Answered otherwise (429, 5xx, invalid_client...), or never sent:
		// not spent. The session stays, left alone for a while by every
		// replica; this request fails.
		s.obs.SessionRefresh("failed")
		return nil, s.backOff(ctx, id, cur, err)
	}
	next := *cur
	next.Version++
	next.RetryAt, next.Failures = time.Time{}, 0
	next.tokens.Access, next.AccessExpiry = tok.AccessToken, s.expiry(tok)
	if tok.RefreshToken != "" {
		next.tokens.Refresh = tok.RefreshToken
	}
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		next.tokens.ID = raw
	}
	if err := s.saveRefreshed(ctx, id, &next); err != nil {
		s.obs.SessionRefresh("ended")
		return nil, err
	}
	s.obs.SessionRefresh("ok")
	return &next, nil
}

// Refresh backoff: after a failure the token endpoint is left alone for its
// Retry-After (at most maxBackoff), or for minBackoff doubling with each
// failure in a row (at most maxDefaultBackoff), give or take a quarter so that
// sessions that failed together do not come back together.
const (
	minBackoff        = 2 * time.Second
	maxDefaultBackoff = time.Minute
	maxBackoff        = 5 * time.Minute
)

// backOff records a refresh the token endpoint failed (cause), so that no
// replica refreshes the session again before its RetryAt, and returns the
// error for the request.
func (s *Sessions) backOff(ctx context.Context, id string, cur *Session, cause error) error {
	wait := min(minBackoff<<min(cur.Failures, 10), maxDefaultBackoff)
	var re *oauth2.RetrieveError
	if errors.As(cause, &re) && re.Response != nil {
		if ra := retryAfter(re.Response.Header.Get("Retry-After"), s.now()); ra > 0 {
			wait = min(ra, maxBackoff)
		}
	}
	wait += time.Duration(mrand.Int64N(int64(wait/4) + 1))
	next := *cur
	next.Failures++
	next.RetryAt = s.now().Add(wait)
	_ = s.save(ctx, id, &next, true) // best effort: the store was writable a moment ago
	return &viewer.SessionError{RetryAfter: wait, Err: errors.New("the token endpoint failed: " + refreshFailure(cause))}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date (0: none).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	// Seconds too many for a Duration (ParseInt gives the nearest bound on
	// ErrRange) are the longest one: the caller caps it.
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return time.Duration(min(max(n, 0), math.MaxInt64/int64(time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// storeError names a failure of the session store as such (nil stays nil;
// a session that is not there stays ErrNoSession).
func storeError(err error) error {
	if err == nil || errors.Is(err, ErrNoSession) {
		return err
	}
	return &viewer.SessionError{Store: true, Err: err}
}

// spent reports a refresh failure after which the refresh token must not be
// sent again: the provider said invalid_grant, or the request may have reached
// it and no answer came back (it may have rotated the token).
func spent(err error, wrote bool) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode == "invalid_grant"
	}
	return wrote // no answer: spent only if the request went out
}

// saveRefreshed stores a refreshed session, which must happen: the old
// refresh token is spent. A session signed out meanwhile stays signed out
// (the save only replaces). If the store keeps failing, the session is
// deleted rather than left with the spent token (the store lets a deletion
// through even while it pauses a failing Redis); if even that fails, the next
// refresh sends the spent token and the provider ends the sign-in.
func (s *Sessions) saveRefreshed(ctx context.Context, id string, next *Session) error {
	var err error
	for range 3 {
		if err = s.save(ctx, id, next, true); err == nil || errors.Is(err, ErrNoSession) {
			return err
		}
	}
	_ = s.store.Delete(context.WithoutCancel(ctx), sessionKey(id))
	return fmt.Errorf("%w (the refreshed session could not be saved in the session store: %v)", ErrSignedOut, err)
}

// expiry is when tok expires by the sessions' clock: x/oauth2 reckons
// expires_in from the wall clock.
func (s *Sessions) expiry(tok *oauth2.Token) time.Time {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		return s.now().Add(time.Duration(v) * time.Second)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return s.now().Add(time.Duration(n) * time.Second)
		}
	}
	return tok.Expiry
}

// refreshFailure names a refresh failure for logs, without the provider's body.
func refreshFailure(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return re.ErrorCode
		}
		if re.Response != nil {
			return fmt.Sprintf("HTTP %d", re.Response.StatusCode)
		}
	}
	return "no answer"
}
