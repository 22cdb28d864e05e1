package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// Viewer is the caller on whose behalf the upstream is called: a user's access
// token, or none for an anonymous caller (served with the service's own token).
// It is resolved once per request; nothing below the HTTP handler reads headers.
type Viewer struct {
	Token string
}

// LogValue keeps the token out of logs: a viewer logs as "anonymous" or as a
// short hash that tells viewers apart without revealing anything.
func (v Viewer) LogValue() slog.Value {
	if v.Token == "" {
		return slog.StringValue("anonymous")
	}
	sum := sha256.Sum256([]byte(v.Token))
	return slog.StringValue("user:" + hex.EncodeToString(sum[:6]))
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
		return Viewer{Token: token}, nil
	}
	return Viewer{Token: strings.TrimSpace(r.Header.Get("X-Auth-Token"))}, nil
}
