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
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return Viewer{}, errAuthScheme
		}
		return Viewer{Token: token, Key: tokenKey(token)}, nil
	}
	if token := strings.TrimSpace(r.Header.Get("X-Auth-Token")); token != "" {
		return Viewer{Token: token, Key: tokenKey(token)}, nil
	}
	// Anonymous: the peer's address. Behind a proxy that is the proxy's, so a
	// deployment there should raise the limit (or limit at the proxy).
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return Viewer{Key: "ip:" + host}, nil
}
