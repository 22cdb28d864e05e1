package fake

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// The authorization endpoint and its sign-in page. Nothing is asked but which
// demo user to be: the page is the demo's stand-in for the provider's login and
// consent screens.

var signinPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to the Quran Foundation (demo)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
button { display: block; width: 100%; margin: .5rem 0; padding: .7rem 1rem; font-size: 1rem; text-align: left; cursor: pointer; }
button[data-action=cancel] { text-align: center; margin-top: 1.5rem; }
small { color: #666; }
</style>
</head>
<body>
<h1>Sign in to the Quran Foundation (demo)</h1>
<p>This demo stands in for the Quran Foundation's sign-in page. Choose a demo user; no password is needed.</p>
<form method="post" action="/oauth2/auth/approve">
<input type="hidden" name="request" value="{{.Request}}">
{{range .Users}}<button type="submit" name="username" value="{{.Username}}" data-username="{{.Username}}">{{.Name}} <small>@{{.Username}}</small></button>
{{end}}<button type="submit" name="cancel" value="cancel" data-action="cancel">Cancel</button>
</form>
<p><small>The app asks for: {{.Scope}}</small></p>
</body>
</html>
`))

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222; }</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
`))

// handleAuthorize checks an authorization request and shows the sign-in page.
// A bad client or redirect_uri gets an error page, never a redirect; other
// errors go back to the redirect_uri, with the state.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirectURI := q.Get("redirect_uri")
	s.mu.Lock()
	registered := s.oidc.redirects[redirectURI]
	s.mu.Unlock()
	switch {
	case q.Get("client_id") != s.opts.ClientID:
		writePage(w, http.StatusBadRequest, "Sign-in error", "The app asking you to sign in is unknown (client_id).")
		return
	case redirectURI == "" || !registered:
		writePage(w, http.StatusBadRequest, "Sign-in error",
			"The redirect_uri is missing or is not one registered for this app, so the sign-in cannot go back to it.")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		redirect(w, withQuery(redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {state}}))
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "Only response_type=code is supported.")
		return
	case !hasScope(q.Get("scope"), "openid"):
		fail("invalid_request", "The scope must include openid.")
		return
	case q.Get("code_challenge_method") != "S256" || !validChallenge(q.Get("code_challenge")):
		fail("invalid_request", "PKCE is required: a code_challenge with code_challenge_method=S256.")
		return
	}
	id := randomID("")
	scope := strings.Join(strings.Fields(q.Get("scope")), " ")
	s.mu.Lock()
	now := s.opts.Now()
	for k, req := range s.oidc.requests {
		if !now.Before(req.expires) {
			delete(s.oidc.requests, k)
		}
	}
	s.oidc.requests[id] = &authRequest{clientID: s.opts.ClientID, redirectURI: redirectURI, state: state,
		nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), scope: scope, expires: now.Add(authRequestLifetime)}
	s.mu.Unlock()
	render(w, http.StatusOK, signinPage, map[string]any{"Request": id, "Users": s.oidc.users, "Scope": scope})
}

// validChallenge tells whether c can be an S256 code challenge: 43 characters of
// unpadded base64url.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, ch := range c {
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

// handleApprove takes the sign-in page's answer: a user, or cancel. It spends
// the request and sends the browser back with a code, or with access_denied.
func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in error", "The form could not be read.")
		return
	}
	location, problem := s.approve(r.PostForm)
	if problem != "" {
		writePage(w, http.StatusBadRequest, "Sign-in error", problem)
		return
	}
	redirect(w, location)
}

// approve spends the request the form answers and returns where to send the
// browser, or what is wrong.
func (s *Server) approve(form url.Values) (location, problem string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := form.Get("request")
	req, ok := s.oidc.requests[id]
	now := s.opts.Now()
	if !ok || !now.Before(req.expires) {
		return "", "This sign-in has expired or was already used. Start again from the app."
	}
	if form.Get("cancel") != "" {
		delete(s.oidc.requests, id)
		return withQuery(req.redirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The user cancelled the sign-in."}, "state": {req.state}}), ""
	}
	u, ok := s.oidc.user(form.Get("username"))
	if !ok {
		return "", "There is no such demo user."
	}
	delete(s.oidc.requests, id)
	for k, c := range s.oidc.codes {
		if !c.used && !now.Before(c.expires) {
			delete(s.oidc.codes, k)
		}
	}
	code := randomID("fake-ac-")
	s.oidc.codes[code] = &authCode{
		grant: &grant{clientID: req.clientID, userID: u.ID, username: u.Username, name: u.Name,
			nonce: req.nonce, scope: req.scope, authTime: now},
		redirectURI: req.redirectURI, challenge: req.challenge, expires: now.Add(codeLifetime),
	}
	return withQuery(req.redirectURI, url.Values{"code": {code}, "state": {req.state}}), ""
}

// withQuery adds v, less its empty values, to the query of uri, keeping what
// uri has already.
func withQuery(uri string, v url.Values) string {
	for k, vs := range v {
		if len(vs) == 0 || vs[0] == "" {
			delete(v, k)
		}
	}
	if len(v) == 0 {
		return uri
	}
	base, fragment, hasFragment := strings.Cut(uri, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	base += v.Encode()
	if hasFragment {
		base += "#" + fragment
	}
	return base
}

// redirect answers 302 to location, as it is.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// writePage answers a small HTML page.
func writePage(w http.ResponseWriter, status int, title, message string) {
	render(w, status, messagePage, map[string]string{"Title": title, "Message": message})
}

func render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
