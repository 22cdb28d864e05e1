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
