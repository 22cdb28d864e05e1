package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// Viewer is the caller on whose behalf the upstream is called: a user's access
// token, or none for an anonymous caller (served with the service's own token).
// It is resolved once per request; nothing below the HTTP handler reads headers.
type Viewer struct {
	Token string
	// Key names the caller for per-caller limits: a hash of the token, or the
	// client's IP address for anonymous callers. Never the token itself.
	Key string
	// IP is the client's address (its /64 for IPv6), whatever the token: tokens
	// the upstream refuses are charged to it, so invented tokens buy nothing.
	IP string
}

// LogValue keeps the token out of logs: a viewer logs as its Key.
func (v Viewer) LogValue() slog.Value { return slog.StringValue(v.Key) }

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "user:" + hex.EncodeToString(sum[:12])
}

type viewerKey struct{}

// WithViewer returns a context that carries v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// viewerFrom returns the viewer in ctx, anonymous when there is none.
func viewerFrom(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

var errAuthScheme = errors.New("the Authorization header must be \"Bearer <access token>\"")

// viewerFromRequest reads the caller's token: "Authorization: Bearer <token>" wins
// over "x-auth-token: <token>" when both are sent. Any other Authorization scheme,
// or a Bearer with no token, is refused rather than silently served anonymously.
func viewerFromRequest(r *http.Request) (Viewer, error) {
	ip := clientIP(r)
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return Viewer{}, errAuthScheme
		}
		return Viewer{Token: token, Key: tokenKey(token), IP: ip}, nil
	}
	if token := strings.TrimSpace(r.Header.Get("X-Auth-Token")); token != "" {
		return Viewer{Token: token, Key: tokenKey(token), IP: ip}, nil
	}
	return Viewer{Key: ip, IP: ip}, nil
}

// clientIP is the peer's address, an IPv6 one cut to its /64 (one host usually
// has the whole /64). Behind a proxy it is the proxy's, so a deployment there
// should raise the limits (or limit at the proxy).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "ip:" + ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return "ip:" + host
}
