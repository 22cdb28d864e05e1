package signin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestSessionsKeepToTheirOwnRedis: with SESSION_REDIS_URL set, sign-in's keys
// are in that Redis and no other, persisted queries in REDIS_URL's; /readyz
// answers 503 while the sessions' Redis does not answer.
func TestSessionsKeepToTheirOwnRedis(t *testing.T) {
	queries, sessions := servicetest.StartRedisServer(t), servicetest.StartRedisServer(t)
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.RedisURL, c.SessionRedisURL = queries.URL, sessions.URL
	}})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	if r := env.APQ(t, http.MethodPost, "query Kept { __typename }", true); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	for name, want := range map[string]struct {
		url          string
		session, apq bool
	}{"REDIS_URL": {queries.URL, false, true}, "SESSION_REDIS_URL": {sessions.URL, true, false}} {
		var session, apq bool
		for k := range servicetest.RedisKeys(t, servicetest.RedisClient(t, want.url)) {
			session = session || strings.Contains(k, ":session:")
			apq = apq || strings.Contains(k, ":apq")
		}
		if session != want.session || apq != want.apq {
			t.Errorf("%s's Redis holds a session: %v, persisted queries: %v; want %v, %v", name, session, apq, want.session, want.apq)
		}
	}
	if err := sessions.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer sessions.Thaw()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(env.Base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the sessions' Redis frozen = %d, want 503", resp.StatusCode)
	}
}
