package signin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestReturnToAnAllowedOrigin: a web app on its own origin gets its user back
// after signing in: returnTo may be a URL on an origin of SIGNIN_RETURN_ORIGINS
// (by default CORS_ALLOWED_ORIGINS'), written exactly as that origin; every
// look-alike still becomes /.
func TestReturnToAnAllowedOrigin(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.CORSOrigins = []string{"https://app.example.org", "http://localhost:5173"}
	}})
	for returnTo, want := range map[string]string{
		"https://app.example.org/after?tab=2#top": "https://app.example.org/after?tab=2#top",
		"https://app.example.org":                 "https://app.example.org",
		"https://app.example.org?signedIn=1":      "https://app.example.org?signedIn=1",
		"https://app.example.org#/rooms":          "https://app.example.org#/rooms",
		"http://localhost:5173/":                  "http://localhost:5173/",
		"/rooms/1":                                "/rooms/1", // paths on the service as before

		"https://app.example.org.evil.com/":                    "/",
		"https://app.example.org@evil.com/":                    "/", // user info: the host is evil.com
		"https://app.example.org:x@evil.com/":                  "/",
		"https://evil.com@app.example.org/":                    "/",
		"https://evil.com#@app.example.org/":                   "/",
		"https://app.example.org\\@evil.com/":                  "/", // browsers read \ as /
		"https://app.example.org\\.evil.com/":                  "/",
		"https://app.example.org%2eevil.com/":                  "/",
		"https://app.example.org%40evil.com/":                  "/",
		"https://app.example.org\t.evil.com/":                  "/",
		"https://app.example.org\n/":                           "/",
		"https://app.example.org /":                            "/",
		"https://app.example.org./":                            "/", // a trailing dot
		"https://APP.example.org/":                             "/", // origins are matched as browsers write them
		"HTTPS://app.example.org/":                             "/",
		"http://app.example.org/":                              "/", // another scheme
		"https://app.example.org:8443/":                        "/", // another port
		"https://app.example.org:443/":                         "/",
		"https://app.example.org:/":                            "/",
		"http://localhost:51730/":                              "/",
		"http://localhost:5173.evil.com/":                      "/",
		"http://localhost/":                                    "/",
		"//app.example.org/":                                   "/",
		"///app.example.org/":                                  "/",
		"https:app.example.org/":                               "/",
		"https:/app.example.org/":                              "/",
		"app.example.org/":                                     "/",
		"ws://app.example.org/":                                "/",
		"javascript://app.example.org/%0aalert":                "/",
		"https://evil.example/":                                "/",
		"https://app.example.org/" + strings.Repeat("a", 3000): "/", // over 2 KiB
	} {
		env.Clock.Add(2 * time.Second) // one more sign-in in this address's budget
		if got := newBrowser(t, env).signIn("aisha", returnTo); got != want {
			t.Errorf("returnTo %q: sent to %q, want %q", returnTo, got, want)
		}
	}
}

// TestReturnOriginsAreTheirOwnSetting: SIGNIN_RETURN_ORIGINS, when set, is
// the list (CORS_ALLOWED_ORIGINS' origins then are not); "*" in
// CORS_ALLOWED_ORIGINS is never a place to return to.
func TestReturnOriginsAreTheirOwnSetting(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.CORSOrigins = []string{"https://app.example.org"}
		c.SignInReturnOrigins = []string{"https://www.example.org"}
	}})
	for returnTo, want := range map[string]string{
		"https://www.example.org/welcome": "https://www.example.org/welcome",
		"https://app.example.org/":        "/",
	} {
		if got := newBrowser(t, env).signIn("aisha", returnTo); got != want {
			t.Errorf("returnTo %q: sent to %q, want %q", returnTo, got, want)
		}
	}
	star := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CORSOrigins = []string{"*"} }})
	for _, returnTo := range []string{"https://app.example.org/", "*", "https://*/", "http://*"} {
		if got := newBrowser(t, star).signIn("aisha", returnTo); got != "/" {
			t.Errorf("CORS_ALLOWED_ORIGINS=*: returnTo %q sent to %q, want /", returnTo, got)
		}
	}
}
