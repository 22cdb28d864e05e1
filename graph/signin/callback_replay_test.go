package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestACallbackIsUsedOnce: a callback sent again with its pending sign-in's
// cookie (a navigation the browser retried, or a copy of the request) does not
// exchange the code a second time: the provider takes a code used twice for
// theft and revokes what it issued for it (RFC 6749 4.1.2; Hydra does, and so
// does the fake), which would end the session the first callback made.
func TestACallbackIsUsedOnce(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	callback := b.authorize("/", "aisha")
	u, _ := url.Parse(env.Base)
	var pending []*http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "reflect_signin_") {
			pending = append(pending, c)
		}
	}
	if resp, _ := b.do(http.MethodGet, callback.String(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the callback: %d", resp.StatusCode)
	}
	again := newBrowser(t, env)
	again.c.Jar.SetCookies(u, pending)
	if resp, _ := again.do(http.MethodGet, callback.String(), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the callback sent again with its cookie: %d, want 400", resp.StatusCode)
	}
	if st := env.Fake.Stats(); st.CodeExchanges != 1 {
		t.Errorf("%d code exchanges, want 1", st.CodeExchanges)
	}
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Errorf("the session the first callback made: %s, want still aisha", r.Raw)
	}
}
