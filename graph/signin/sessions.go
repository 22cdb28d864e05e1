package signin

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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

// Errors a session can end with.
var (
	// ErrNoSession: the cookie names no session (never, expired, or signed out).
	ErrNoSession = errors.New("signin: no such session")
	// ErrSignedOut: the provider stopped refreshing the session (invalid_grant,
	// or a refresh whose answer was lost and must not be sent again); it is
	// ended.
	ErrSignedOut = fmt.Errorf("signin: %w", viewer.ErrSessionEnded)
)

// User is who a session is for.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// Session is a signed-in browser's state. The tokens never leave the server:
// in the store they are sealed with a key derived from the session id, which
// only the browser's cookie holds (the store keys sessions by the id's hash).
type Session struct {
	User         User      `json:"user"`
	Scopes       []string  `json:"scopes"`
	Expires      time.Time `json:"expires"`      // the session's end (SESSION_TTL)
	AccessExpiry time.Time `json:"accessExpiry"` // the access token's
	Version      int       `json:"version"`      // one more at each refresh
	Sealed       []byte    `json:"sealed"`       // tokens, AES-GCM
	// After the token endpoint failed a refresh (answered 429 or 5xx, or
	// could not be reached), no replica refreshes before RetryAt: the
	// provider's Retry-After, or a backoff doubling with Failures.
	RetryAt  time.Time `json:"retryAt,omitzero"`
	Failures int       `json:"failures,omitempty"`

	tokens tokens
}

type tokens struct {
	Access  string `json:"a"`
	Refresh string `json:"r"`
	ID      string `json:"i"`
}

// AccessToken is the session's current access token.
func (s *Session) AccessToken() string { return s.tokens.Access }

// refreshMargin: an access token this close to its expiry is refreshed before
// it is used.
const refreshMargin = time.Minute

// leaseTTL bounds how long a refresh may hold its session's lease without
// renewing it (a replica that dies mid-refresh blocks the next for at most this).
const leaseTTL = 10 * time.Second

// Sessions keeps sessions in a Store and refreshes their tokens: at most one
// refresh per session at a time across every replica (a lease in the store),
// shared by every request of that session that needs it.
type Sessions struct {
	store       Store
	obs         Observer
	oauth       func(ctx context.Context) (*oauth2.Config, error)
	httpContext func(ctx context.Context) context.Context // the token endpoint's HTTP client
	now         func() time.Time
	flight      singleflight.Group
}

func idHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// sessionKey is where a session lives: its id's hash, never the id.
func sessionKey(id string) string { return "reflect-graphql:session:v1:" + idHash(id) }

// Handle is a session's stand-in in logs, limits and metrics: part of the
// id's hash.
func Handle(id string) string { return "session:" + idHash(id)[:24] }

func sealKey(id string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(id), nil, "reflect-graphql session tokens v1", 32)
	if err != nil {
		panic(err) // only for an impossible length
	}
	return k
}

func seal(id string, t tokens) ([]byte, error) {
	block, _ := aes.NewCipher(sealKey(id)) // 32 bytes: never an error
	gcm, _ := cipher.NewGCM(block)
	plain, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, nil), nil
}

func unseal(id string, sealed []byte) (tokens, error) {
	block, _ := aes.NewCipher(sealKey(id))
	gcm, _ := cipher.NewGCM(block)
	var t tokens
	if len(sealed) < gcm.NonceSize() {
		return t, errors.New("signin: sealed tokens too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil)
	if err != nil {
		return t, fmt.Errorf("signin: unsealing tokens: %w", err)
	}
	return t, json.Unmarshal(plain, &t)
}

// create stores a new session for tok and returns its id, the cookie's value.
func (s *Sessions) create(ctx context.Context, user User, scopes []string, tok *oauth2.Token, idToken string, ttl time.Duration) (string, error) {
	id := randomHex() + randomHex() // 256 bits
	sess := &Session{User: user, Scopes: scopes, Expires: s.now().Add(ttl), AccessExpiry: s.expiry(tok),
		tokens: tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: idToken}}
	return id, s.save(ctx, id, sess, false)
}

// save stores sess; with replace, only over a session still there (a
// refresh must not bring back a session signed out meanwhile).
func (s *Sessions) save(ctx context.Context, id string, sess *Session, replace bool) error {
	sealed, err := seal(id, sess.tokens)
	if err != nil {
		return err
	}
	sess.Sealed = sealed
	raw, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	ttl := sess.Expires.Sub(s.now())
	if ttl <= 0 {
		return ErrNoSession
	}
	if replace {
		ok, err := s.store.Replace(ctx, sessionKey(id), raw, ttl)
		if err == nil && !ok {
			return ErrNoSession
		}
		return err
	}
	return s.store.Set(ctx, sessionKey(id), raw, ttl)
}

// load reads a session as it is in the store.
func (s *Sessions) load(ctx context.Context, id string) (*Session, error) {
	raw, ok, err := s.store.Get(ctx, sessionKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoSession
	}
	var sess Session
	if err := json.Unmarshal(raw, &sess); err != nil {
		return nil, fmt.Errorf("signin: a stored session: %w", err)
	}
	if sess.tokens, err = unseal(id, sess.Sealed); err != nil {
		return nil, err
	}
	if !s.now().Before(sess.Expires) {
		return nil, ErrNoSession
	}
	return &sess, nil
}

// Current returns the session with an access token that is good for a while,
// refreshing it first when it is about to expire.
func (s *Sessions) Current(ctx context.Context, id string) (*Session, error) {
	sess, err := s.load(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	if sess.AccessExpiry.IsZero() || sess.AccessExpiry.Sub(s.now()) > refreshMargin {
		return sess, nil
	}
	if sess.tokens.Refresh == "" {
		if s.now().Before(sess.AccessExpiry) {
			return sess, nil // nothing to refresh with: the token works until it expires
		}
		return nil, s.endUnrenewable(ctx, id)
	}
	if err := s.backingOff(sess); err != nil {
		if s.now().Before(sess.AccessExpiry) {
			return sess, nil
		}
		return nil, err
	}
	next, err := s.refresh(ctx, id, sess)
	var se *viewer.SessionError
	if errors.As(err, &se) && s.now().Before(sess.AccessExpiry) {
		return sess, nil // refreshing ahead failed for now: the token still works
	}
	return next, err
}

// backingOff is the error of a session whose last refresh failed at the token
// endpoint, until its RetryAt: every request of it, on every replica, is
// answered from the session as it is rather than by another refresh.
func (s *Sessions) backingOff(sess *Session) error {
	wait := sess.RetryAt.Sub(s.now())
	if wait <= 0 {
		return nil
	}
	s.obs.SessionRefresh("backoff")
	return &viewer.SessionError{RetryAfter: wait, Err: fmt.Errorf("%w: the token endpoint failed %d time(s) in a row; next try in %s", errBackingOff, sess.Failures, wait.Round(time.Second))}
}

// errBackingOff: a request of a session left alone after a failed refresh
// (logged as a debug record: a herd of them is what the backoff answers).
var errBackingOff = errors.New("backing off")

// Renew returns the session with another access token than failed, which the
// upstream refused: the one another request already got, or a refreshed one.
func (s *Sessions) Renew(ctx context.Context, id, failed string) (*Session, error) {
	sess, err := s.load(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	if sess.tokens.Access != failed {
		return sess, nil
	}
	if sess.tokens.Refresh == "" {
		return nil, s.endUnrenewable(ctx, id)
	}
	if err := s.backingOff(sess); err != nil {
		return nil, err
	}
	return s.refresh(ctx, id, sess)
}

// endUnrenewable ends a session whose access token no longer works and that
// has no refresh token to get another (signed in without offline_access): it
// can never work again, so it is deleted and its caller signed out, rather than
// answered "try again later" for the rest of its life.
func (s *Sessions) endUnrenewable(ctx context.Context, id string) error {
	s.obs.SessionRefresh("unrenewable")
	_ = s.store.Delete(ctx, sessionKey(id))
	return fmt.Errorf("%w (no refresh token: signed in without offline_access)", ErrSignedOut)
}

// End deletes the session and returns it as it was (to revoke its newest
// refresh token). It waits for a refresh under way (it takes the session's
// lease, for at most a lease's time), so that the token revoked is the one
// the refresh brought, and the refresh does not bring the session back.
func (s *Sessions) End(ctx context.Context, id string) (*Session, error) {
	lease := sessionKey(id) + ":refresh"
	wait, cancel := context.WithTimeout(ctx, leaseTTL)
	defer cancel()
	for {
		_, release, ok, err := s.store.Lease(wait, lease, leaseTTL)
		if err != nil {
			return nil, err // the store is failing: nothing can be ended now
		}
		if ok {
			defer release()
			break
		}
		select {
		case <-wait.Done(): // end it anyway: a refresh's save only replaces
		case <-time.After(25 * time.Millisecond):
			continue
		}
		break
	}
	sess, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return sess, s.store.Delete(ctx, sessionKey(id))
}

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
