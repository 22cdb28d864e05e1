package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
)

// stateTTL is how long a sign-in may take, from /auth/login to the callback.
const stateTTL = 10 * time.Minute

// Handler serves /auth/login, /auth/callback, /auth/logout and /auth/session.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/login", s.login)
	mux.HandleFunc("GET /auth/callback", s.callback)
	mux.HandleFunc("POST /auth/logout", s.logout)
	mux.HandleFunc("GET /auth/session", s.session)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// maxReturnTo bounds returnTo: it is sealed in the pending sign-in's cookie,
// which must stay under the browsers' 4 KiB.
const maxReturnTo = 2 << 10

// maxPendingCookie bounds a pending sign-in's sealed value, within the 4,096
// bytes browsers keep of a cookie's name, value and attributes.
const maxPendingCookie = 3800

// safeReturn keeps returnTo when it is a path on this service, or a URL on
// an origin sign-in may return to (SIGNIN_RETURN_ORIGINS), written exactly
// as the allowed origin followed by nothing, a path, a query or a fragment;
// never with a backslash (browsers read \ as /) or a control character.
// Anything else becomes "/".
func (s *Service) safeReturn(returnTo string) string {
	if returnTo == "" || len(returnTo) > maxReturnTo || strings.ContainsAny(returnTo, "\\") ||
		strings.ContainsFunc(returnTo, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	if returnTo[0] == '/' && !strings.HasPrefix(returnTo, "//") {
		if u, err := url.Parse(returnTo); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			return "/"
		}
		return returnTo
	}
	if s.onReturnOrigin(returnTo) {
		return returnTo
	}
	return "/"
}

// onReturnOrigin reports whether returnTo starts with an allowed origin,
// character for character, that ends there: app.example.org.evil.com,
// app.example.org@evil.com, another port or scheme, upper case, a trailing
// dot or percent-encoding are other strings, so they are refused. The URL
// as parsed must name that origin too, with no user info.
func (s *Service) onReturnOrigin(returnTo string) bool {
	for _, o := range s.cfg.ReturnOrigins {
		rest, ok := strings.CutPrefix(returnTo, o)
		if !ok || rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) {
			continue
		}
		u, err := url.Parse(returnTo)
		return err == nil && u.User == nil && u.Opaque == "" && u.Scheme+"://"+u.Host == o
	}
	return false
}

func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	if !s.Configured() {
		s.cfg.Observer.SignInStep("login", "not_configured")
		s.fail(w, r, http.StatusNotImplemented, errcode.SignInNotConfigured,
			"sign-in is not configured on this server (it needs QF_CLIENT_SECRET)")
		return
	}
	if err := s.logins.Take(s.clientAddr(r)); err != nil {
		var le *errcode.LimitedError
		if errors.As(err, &le) {
			w.Header().Set("Retry-After", fmt.Sprint(int(le.RetryAfter.Seconds())))
		}
		s.cfg.Observer.SignInStep("login", "rate_limited")
		s.fail(w, r, http.StatusTooManyRequests, errcode.RateLimited, "too many sign-ins from this address; retry later")
		return
	}
	p, err := s.provider(r.Context())
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "signin: the provider's discovery document cannot be read", "err", err.Error())
		s.cfg.Observer.SignInStep("login", "provider_unavailable")
		s.fail(w, r, http.StatusServiceUnavailable, errcode.SignInFailed, "the Quran Foundation's sign-in cannot be reached; try again later")
		return
	}
	state, nonce, verifier := randomHex(), randomHex(), oauth2.GenerateVerifier()
	name := pendingName(state)
	pend := pending{Verifier: verifier, Nonce: nonce, ReturnTo: s.safeReturn(r.URL.Query().Get("returnTo")),
		State: idHash(state), Expires: s.cfg.Now().Add(stateTTL).Unix()}
	sealed := s.sealPending(s.cookieName(name), pend)
	if len(sealed) > maxPendingCookie {
		// A returnTo that JSON writes long (escaped characters): a browser
		// would drop the cookie, and the sign-in with it.
		pend.ReturnTo = "/"
		sealed = s.sealPending(s.cookieName(name), pend)
	}
	s.dropOldPending(w, r, len(s.cookieName(name))+len(sealed))
	s.setCookie(w, name, sealed, stateTTL)
	s.cfg.Observer.SignInStep("login", "ok")
	http.Redirect(w, r, p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce)), http.StatusFound)
}

func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	state := q.Get("state")
	var pend pending
	found := false
	if state != "" {
		// The sign-in is used up whatever comes of it: its cookie is cleared.
		name := pendingName(state)
		if sealed := s.cookie(r, name); sealed != "" {
			s.setCookie(w, name, "", -1)
			pend, found = s.openPending(s.cookieName(name), sealed)
			found = found && pend.State == idHash(state)
		}
	}
	switch {
	case !found:
		s.cfg.Observer.SignInStep("callback", "unknown_state")
		s.fail(w, r, http.StatusBadRequest, errcode.SignInFailed, "this sign-in is unknown, expired, already used, or was started in another browser; sign in again")
		return
	case q.Get("error") != "":
		// The provider's error code is a fixed vocabulary (access_denied...);
		// its description is not echoed.
		msg := "sign-in was not completed"
		if q.Get("error") == "access_denied" {
			msg = "sign-in was cancelled or refused"
		}
		s.cfg.Observer.SignInStep("callback", "not_completed")
		s.fail(w, r, http.StatusBadRequest, errcode.SignInFailed, msg)
		return
	}
	// The code is exchanged once per sign-in, on whichever replica: a
	// callback sent again with its cookie (a retried navigation, a copy)
	// would have the provider take the code for stolen and revoke what it
	// issued, ending the session the first callback made.
	first, err := s.cfg.Store.Claim(ctx, claimKey(pend.State), time.Unix(pend.Expires, 0).Sub(s.cfg.Now())+time.Minute)
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "signin: the session store cannot mark a sign-in used", "err", err.Error())
		s.cfg.Observer.SignInStep("callback", "session_store")
		s.fail(w, r, http.StatusServiceUnavailable, errcode.SessionUnavailable, "sign-in cannot complete right now (the session store is failing or full); sign in again later")
		return
	}
	if !first {
		s.cfg.Observer.SignInStep("callback", "unknown_state")
		s.fail(w, r, http.StatusBadRequest, errcode.SignInFailed, "this sign-in was already completed; sign in again")
		return
	}
	sess, id, err := s.complete(ctx, q.Get("code"), pend)
	if errors.Is(err, errSessionStore) {
		s.cfg.Logger.ErrorContext(ctx, "signin: the session store refused a new session", "err", err.Error())
		s.cfg.Observer.SignInStep("callback", "session_store")
		s.fail(w, r, http.StatusServiceUnavailable, errcode.SessionUnavailable, "signed in, but the session cannot be saved right now (the session store is failing or full); sign in again later")
		return
	}
	if err != nil {
		s.cfg.Logger.InfoContext(ctx, "signin: callback refused", "err", err.Error())
		s.cfg.Observer.SignInStep("callback", "refused")
		s.fail(w, r, http.StatusBadRequest, errcode.SignInFailed, "sign-in failed; sign in again")
		return
	}
	s.cfg.Logger.InfoContext(ctx, "signin: signed in", "session", Handle(id), "user", sess.ID)
	s.cfg.Observer.SignInStep("callback", "ok")
	s.endPrevious(ctx, s.cookie(r, sessionCookie), id)
	s.setCookie(w, sessionCookie, id, s.cfg.SessionTTL)
	http.Redirect(w, r, pend.ReturnTo, http.StatusSeeOther)
}

// endPrevious ends the session the browser held before it signed in again
// (old, "" for none), and revokes its refresh token: the new cookie replaces
// the old one, so nothing could use or end that session any more, and its
// refresh token would stay live at the provider for the session's whole life.
func (s *Service) endPrevious(ctx context.Context, old, current string) {
	if old == "" || old == current {
		return
	}
	prev, err := s.sessions.End(ctx, old)
	switch {
	case errors.Is(err, ErrNoSession):
	case err != nil:
		s.cfg.Logger.WarnContext(ctx, "signin: ending the previous session", "session", Handle(old), "err", err.Error())
	default:
		s.revoke(ctx, prev.tokens.Refresh)
		s.cfg.Logger.InfoContext(ctx, "signin: previous session ended", "session", Handle(old))
	}
}

// complete exchanges the code (with the verifier, as the confidential client)
// and checks the ID token (the provider's keys and issuer, the audience, the
// expiry, the nonce) before it creates a session.
func (s *Service) complete(ctx context.Context, code string, pend pending) (User, string, error) {
	p, err := s.provider(ctx)
	if err != nil {
		return User{}, "", err
	}
	ctx = s.httpContext(ctx)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		return User{}, "", errors.New("the code exchange failed: " + refreshFailure(err))
	}
	// From here on, a failure makes no session: the refresh token just
	// issued is revoked, or it would stay live with nothing to use or end it.
	fail := func(err error) (User, string, error) {
		s.revoke(context.WithoutCancel(ctx), tok.RefreshToken)
		return User{}, "", err
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return fail(errors.New("no ID token (is openid among SIGNIN_SCOPES?)"))
	}
	idt, err := p.verifier.Verify(ctx, rawID)
	if err != nil {
		return fail(err)
	}
	if idt.Nonce != pend.Nonce {
		return fail(errors.New("the ID token's nonce is not this sign-in's"))
	}
	var claims struct {
		Username string `json:"preferred_username"`
		Name     string `json:"name"`
	}
	_ = idt.Claims(&claims)
	user := User{ID: idt.Subject, Username: claims.Username, Name: claims.Name}
	scopes := strings.Fields(fmtScope(tok.Extra("scope")))
	id, err := s.sessions.create(ctx, user, scopes, tok, rawID, s.cfg.SessionTTL)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", errSessionStore, err))
	}
	return user, id, nil
}

// errSessionStore: the code was exchanged, but the session store refused the
// new session.
var errSessionStore = errors.New("signin: storing the new session")

func fmtScope(v any) string {
	s, _ := v.(string)
	return s
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	if !s.CrossSiteSafe(r) {
		s.cfg.Observer.SignInStep("logout", "csrf")
		s.fail(w, r, http.StatusForbidden, errcode.CSRFCheckFailed, "send X-CSRF: 1 from this service's origin or an allowed one")
		return
	}
	ctx := r.Context()
	out := map[string]any{"signedOut": true}
	if id := s.cookie(r, sessionCookie); id != "" {
		sess, err := s.sessions.End(ctx, id)
		if err != nil && !errors.Is(err, ErrNoSession) {
			s.cfg.Logger.WarnContext(ctx, "signin: signing out: the session store failed", "session", Handle(id), "err", err.Error())
			s.cfg.Observer.SignInStep("logout", "session_store")
			s.fail(w, r, http.StatusServiceUnavailable, errcode.SessionUnavailable, "signing out is unavailable right now (the session store is failing); try again shortly")
			return
		}
		if err == nil {
			s.revoke(ctx, sess.tokens.Refresh)
			if p, err := s.provider(ctx); err == nil {
				v := url.Values{"post_logout_redirect_uri": {s.cfg.SignOutRedirect}, "state": {randomHex()}}
				if sess.tokens.ID != "" {
					v.Set("id_token_hint", sess.tokens.ID)
				}
				out["logoutUrl"] = p.logoutURL + "?" + v.Encode()
			}
			s.cfg.Logger.InfoContext(ctx, "signin: signed out", "session", Handle(id))
		}
	}
	s.cfg.Observer.SignInStep("logout", "ok")
	s.setCookie(w, sessionCookie, "", -1)
	writeJSON(w, http.StatusOK, out)
}

// revoke revokes a refresh token and the access tokens issued with it (RFC
// 7009). A failure is logged: the session is gone here either way.
func (s *Service) revoke(ctx context.Context, refresh string) {
	p, err := s.provider(ctx)
	if err != nil || refresh == "" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.revokeURL,
		strings.NewReader(url.Values{"token": {refresh}, "token_type_hint": {"refresh_token"}}.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(s.cfg.ClientID), url.QueryEscape(s.cfg.ClientSecret))
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "signin: revoking a refresh token", "err", "no answer")
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.cfg.Logger.WarnContext(ctx, "signin: revoking a refresh token", "status", resp.StatusCode)
	}
}

func (s *Service) session(w http.ResponseWriter, r *http.Request) {
	id := s.cookie(r, sessionCookie)
	if id == "" {
		signedOut(w, noCookie)
		return
	}
	sess, err := s.sessions.Current(r.Context(), id)
	switch {
	case errors.Is(err, ErrNoSession):
		s.setCookie(w, sessionCookie, "", -1)
		signedOut(w, unknownSession)
	case errors.Is(err, ErrSignedOut):
		s.setCookie(w, sessionCookie, "", -1)
		signedOut(w, sessionEnded)
	case err != nil:
		s.cfg.Logger.Log(r.Context(), sessionLogLevel(err), "signin: /auth/session cannot use the session", "session", Handle(id), "err", err.Error())
		code, msg, _ := errcode.Classify(err)
		setRetryAfter(w, err)
		s.fail(w, r, http.StatusServiceUnavailable, code, msg)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"signedIn": true, "user": sess.User, "scopes": sess.Scopes,
			"expiresAt": sess.Expires.UTC().Format(time.RFC3339)})
	}
}

// SessionHeader names, on the answer to a request that meant to be signed in
// by cookie but runs without a session, why: one of the reasons below. A
// request means to be when it carries the session cookie, or X-CSRF or
// Apollo-Require-Preflight (what a web app's fetch sends); /auth/session
// says the same in its answer's "reason".
const SessionHeader = "Reflect-Session"

// Why a request runs without a session.
const (
	// noCookie: no session cookie came. Never signed in or signed out, or
	// the app is on another site than the service: the browser keeps the
	// cookie (SameSite=Lax, host-only) but never sends it there.
	noCookie = "no-cookie"
	// unknownSession: the cookie names no session here (it expired, or
	// was signed out elsewhere); it is cleared.
	unknownSession = "unknown"
	// sessionEnded: the session can no longer work (the provider stopped
	// refreshing it, or its access token expired with no refresh token);
	// it is ended and the cookie cleared.
	sessionEnded = "ended"
)

// signedOut is /auth/session's answer without a session, and why.
func signedOut(w http.ResponseWriter, why string) {
	w.Header().Set(SessionHeader, why)
	writeJSON(w, http.StatusOK, map[string]any{"signedIn": false, "reason": why})
}

var failPage = template.Must(template.New("fail").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Sign-in</title>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto">
<h1>Sign-in did not complete</h1><p>{{.Msg}}</p><p><code>{{.Code}}</code></p>
<p><a href="/">Back</a></p></body></html>
`))

// fail answers a sign-in endpoint's failure: JSON for fetch calls, a short page
// for browsers. Nothing the request or the provider sent is echoed.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	telemetry.NoteCode(r.Context(), code)
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		w.WriteHeader(status)
		_ = failPage.Execute(w, map[string]string{"Code": code, "Msg": msg})
		return
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
