// Package viewer is who a request is for: the caller's token, read once from the
// HTTP request, and the keys that per-caller limits and shared caches use in its
// place. Nothing below the HTTP handler reads headers; everything asks the
// context.
package viewer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Viewer is the caller on whose behalf the upstream is called: a user's access
// token, or none for an anonymous caller (served with the service's own token).
type Viewer struct {
	Token upstream.UserToken
	// Key names the caller for per-caller limits: a hash of the token, or the
	// client's IP address for anonymous callers. Never the token itself.
	Key string
	// IP is the client's address (its /64 for IPv6), whatever the token: tokens
	// the upstream refuses are charged to it, so invented tokens buy nothing.
	IP string
	// Renew is set for a signed-in browser's session (a cookie), whose token
	// the service itself obtained: it returns another token than failed, which
	// the upstream refused (refreshing the session if need be).
	Renew func(ctx context.Context, failed upstream.UserToken) (upstream.UserToken, error)
}

// ErrSessionEnded is what Renew answers once the provider has stopped
// refreshing the session: the user must sign in again.
var ErrSessionEnded = errors.New("the session has ended; sign in again")

// SessionError is why a signed-in browser's session cannot give a working
// token right now while the session itself stays: its store cannot be read or
// written (Store), or the provider's token endpoint failed and is left alone
// until RetryAfter has passed.
type SessionError struct {
	Store      bool
	RetryAfter time.Duration // 0: unknown
	Err        error
}

func (e *SessionError) Error() string {
	if e.Store {
		return "the session store: " + e.Err.Error()
	}
	return "refreshing the session: " + e.Err.Error()
}

func (e *SessionError) Unwrap() error { return e.Err }

// Vouched reports a token the service obtained itself (a session's), not one
// the caller brought: it needs no proof.
func (v Viewer) Vouched() bool { return v.Renew != nil }

// LogValue keeps the token out of logs: a viewer logs as its Key.
func (v Viewer) LogValue() slog.Value { return slog.StringValue(v.Key) }

// Anonymous reports whether the viewer brought no token.
func (v Viewer) Anonymous() bool { return v.Token == "" }

// CacheKey names the viewer in keys of anything shared across requests: the
// token's hash, or "anonymous" (every anonymous caller sees the service token's
// view).
func (v Viewer) CacheKey() string {
	if v.Token == "" {
		return "anonymous"
	}
	return TokenKey(v.Token)
}

// TokenKey is a token's stand-in in keys and limits: a truncated SHA-256, never
// the token.
func TokenKey(token upstream.UserToken) string {
	sum := sha256.Sum256([]byte(token))
	return "user:" + hex.EncodeToString(sum[:12])
}

type ctxKey struct{}

// With returns a context that carries v.
func With(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// From returns the viewer in ctx, anonymous when there is none.
func From(ctx context.Context) Viewer {
	v, _ := ctx.Value(ctxKey{}).(Viewer)
	return v
}

// ErrAuthScheme refuses an Authorization header that is not a Bearer token.
var ErrAuthScheme = errors.New("the Authorization header must be \"Bearer <access token>\"")

// Proxies are the addresses of the proxies in front of the service (a load
// balancer) whose X-Forwarded-For is believed.
type Proxies []netip.Prefix

// FromRequest reads the caller's token: "Authorization: Bearer <token>" wins over
// "x-auth-token: <token>" when both are sent. Any other Authorization scheme, or a
// Bearer with no token, is refused rather than silently served anonymously.
func (p Proxies) FromRequest(r *http.Request) (Viewer, error) {
	ip := p.ClientIP(r)
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return Viewer{}, ErrAuthScheme
		}
		t := upstream.UserToken(token)
		return Viewer{Token: t, Key: TokenKey(t), IP: ip}, nil
	}
	if token := strings.TrimSpace(r.Header.Get("X-Auth-Token")); token != "" {
		t := upstream.UserToken(token)
		return Viewer{Token: t, Key: TokenKey(t), IP: ip}, nil
	}
	return Viewer{Key: ip, IP: ip}, nil
}

// ClientIP is the client's address, an IPv6 one cut to its /64 (one host
// usually has the whole /64): the peer's, or, when the peer is one of the
// proxies, the right-most address of X-Forwarded-For that is not one of them
// (the left-most entries are the client's to write, so only the hops the
// proxies added are believed).
func (p Proxies) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err == nil && p.trusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a hop that is not an address: stop believing
			}
			addr = hop.Unmap()
			if !p.trusted(addr) {
				break
			}
		}
	}
	if err != nil {
		return "ip:" + host
	}
	if addr.Is6() && !addr.Is4In6() {
		pfx, _ := addr.Prefix(64)
		return "ip:" + pfx.String()
	}
	return "ip:" + addr.Unmap().String()
}

func (p Proxies) trusted(a netip.Addr) bool {
	for _, pfx := range p {
		if pfx.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
