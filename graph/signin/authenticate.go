package signin

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// wantsSession reports whether a request carries what a web app's fetch
// sends to be signed in by cookie.
func wantsSession(r *http.Request) bool {
	return r.Header.Get("X-CSRF") != "" || r.Header.Get("Apollo-Require-Preflight") != ""
}

// Authenticate makes a request without a token of its own but with a session
// cookie run as the session's user, once it has shown it is not a cross-site
// forgery. A token in a header wins over the cookie. A cookie naming no
// session is cleared and the request runs anonymously; a session the provider
// ended is UNAUTHENTICATED. Either way, and when a web app's request came
// without the cookie, the answer says why (SessionHeader).
func (s *Service) Authenticate(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (status int, err *gqlerror.Error) {
	if !v.Anonymous() {
		return 0, nil // a token in a header: its cookies are not even read
	}
	id := s.cookie(r, sessionCookie)
	if id == "" {
		if wantsSession(r) {
			w.Header().Set(SessionHeader, noCookie)
		}
		return 0, nil
	}
	if !s.CrossSiteSafe(r) {
		return http.StatusForbidden, errcode.New(errcode.CSRFCheckFailed,
			"a request signed in by cookie must send X-CSRF: 1 (or Content-Type: application/json) from this service's origin or an allowed one")
	}
	sess, serr := s.sessions.Current(r.Context(), id)
	switch {
	case errors.Is(serr, ErrNoSession):
		s.setCookie(w, sessionCookie, "", -1)
		w.Header().Set(SessionHeader, unknownSession)
		return 0, nil
	case errors.Is(serr, ErrSignedOut):
		s.setCookie(w, sessionCookie, "", -1)
		w.Header().Set(SessionHeader, sessionEnded)
		return http.StatusUnauthorized, errcode.New(errcode.Unauthenticated, "your session has ended; sign in again")
	case serr != nil:
		s.cfg.Logger.Log(r.Context(), sessionLogLevel(serr), "signin: a cookie request cannot use its session", "session", Handle(id), "err", serr.Error())
		code, msg, _ := errcode.Classify(serr)
		e := errcode.New(code, msg)
		if secs := setRetryAfter(w, serr); secs > 0 {
			e.Extensions["retryAfter"] = secs
		}
		return http.StatusServiceUnavailable, e
	}
	v.Token = upstream.UserToken(sess.AccessToken())
	v.Key = Handle(id)
	// A session found ended by a renewal (the upstream refused its token, and
	// the provider its refresh) is answered as one found ended before: the
	// cookie cleared, and why. Renewals may run at once, from several fields.
	var gone sync.Once
	v.Renew = func(ctx context.Context, failed upstream.UserToken) (upstream.UserToken, error) {
		sess, err := s.sessions.Renew(ctx, id, string(failed))
		switch {
		case errors.Is(err, ErrSignedOut) || errors.Is(err, ErrNoSession):
			why := sessionEnded
			if errors.Is(err, ErrNoSession) {
				why = unknownSession
			}
			gone.Do(func() {
				s.setCookie(w, sessionCookie, "", -1)
				w.Header().Set(SessionHeader, why)
			})
			return "", ErrSignedOut
		case err != nil:
			return "", err // a *viewer.SessionError, or the caller left
		}
		return upstream.UserToken(sess.AccessToken()), nil
	}
	return 0, nil
}

// setRetryAfter sets Retry-After from a session's error that says when to
// retry, and returns its seconds (0: none).
func setRetryAfter(w http.ResponseWriter, err error) int {
	var se *viewer.SessionError
	if !errors.As(err, &se) || se.RetryAfter <= 0 {
		return 0
	}
	secs := int(math.Ceil(se.RetryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return secs
}

// sessionLogLevel: a warning, but a debug record for a request of a session
// backing off (the failure that started it was warned of).
func sessionLogLevel(err error) slog.Level {
	if errors.Is(err, errBackingOff) {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
