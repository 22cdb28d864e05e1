package signin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestOneRefreshAcrossReplicas: two servers share one Redis; a session's
// access token expires at the provider; 20 concurrent requests on each server
// all succeed, with exactly one refresh at the provider, and no spent refresh
// token is ever sent again (the provider would take it for theft). In each
// layout of Redis.
func TestOneRefreshAcrossReplicas(t *testing.T) {
	servicetest.EachRedis(t, testOneRefreshAcrossReplicas)
}

func testOneRefreshAcrossReplicas(t *testing.T, redisURL string) {
	a, b := twoReplicas(t, redisURL)
	br := newBrowser(t, a)
	br.signIn("aisha", "/")
	cookie := "Cookie: reflect_session=" + br.cookie()
	a.Fake.ExpireUserTokens()
	a.Fake.ResetStats()
	// The first refresh is held at the provider until every request has had
	// its 401 and waits for a new token.
	reached, release := a.Fake.HoldRefreshes()
	defer release()

	const each = 20
	var wg sync.WaitGroup
	failures := make(chan string, 2*each)
	for _, env := range []*servicetest.Env{a, b} {
		for i := range each {
			wg.Go(func() {
				// Different rooms: each request makes its own upstream call.
				q := fmt.Sprintf(`{ viewer { user { username } } room(id: "%d") { id isMember } }`, 1+i%10)
				r := servicetest.Do(t, newRequest(t, http.MethodPost, env.Endpoint, jsonOf(t, map[string]string{"query": q}),
					"Content-Type: application/json", "X-CSRF: 1", cookie))
				if len(r.Errors) > 0 || viewerName(r) != "aisha" {
					failures <- r.Raw
				}
			})
		}
	}
	<-reached
	guard := time.Now().Add(10 * time.Second) // a guard, not a synchronisation
	for a.Fake.Stats().APICalls < 2*2*each {  // each request's two calls, refused
		if time.Now().After(guard) {
			t.Fatalf("only %d of the requests' %d calls reached the provider", a.Fake.Stats().APICalls, 2*2*each)
		}
		runtime.Gosched()
	}
	release()
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("a request with the expired token: %s", f)
	}
	st := a.Fake.Stats()
	if st.Refreshes != 1 || st.RefreshReuses != 0 {
		t.Errorf("%d refreshes and %d spent refresh tokens sent at the provider, want 1 and 0", st.Refreshes, st.RefreshReuses)
	}
	// The refreshed session is every replica's.
	for _, env := range []*servicetest.Env{a, b} {
		r := servicetest.Do(t, newRequest(t, http.MethodPost, env.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
			"Content-Type: application/json", cookie))
		if viewerName(r) != "aisha" {
			t.Errorf("after the refresh: %s", r.Raw)
		}
	}
	if st := a.Fake.Stats(); st.Refreshes != 1 {
		t.Errorf("%d refreshes after more requests, want still 1", st.Refreshes)
	}
}

// TestSessionsLiveInRedis: a session made through one replica is served by
// another, and signing out through either ends it for both. In Redis a
// session is stored under its id's hash, its tokens sealed: neither the
// cookie's value nor a token is there in the clear. In each layout of Redis.
func TestSessionsLiveInRedis(t *testing.T) {
	servicetest.EachRedis(t, testSessionsLiveInRedis)
}

func testSessionsLiveInRedis(t *testing.T, redisURL string) {
	a, b := twoReplicas(t, redisURL)
	br := newBrowser(t, a)
	br.signIn("bilal", "/")
	id := br.cookie()
	for k, v := range servicetest.RedisKeys(t, servicetest.RedisClient(t, redisURL)) {
		if containsAny(k+v, id, "demo-", "eyJ") {
			t.Errorf("Redis holds the session id or a token in the clear under %q", k)
		}
	}
	onB := &browser{t: t, env: b, c: br.c}
	if r := onB.query(viewerQuery); viewerName(r) != "bilal" {
		t.Errorf("the session through the other replica: %s", r.Raw)
	}
	onB.do(http.MethodPost, b.Base+"/auth/logout", nil, "X-CSRF: 1")
	r := servicetest.Do(t, newRequest(t, http.MethodPost, a.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
		"Content-Type: application/json", "Cookie: reflect_session="+url.QueryEscape(id)))
	if servicetest.At(r.Data, "viewer") != nil {
		t.Errorf("signed out through one replica, still signed in through the other: %s", r.Raw)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && len(s) >= len(sub) && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestAFrozenRedisFailsOnlyCookieRequests: sessions live in Redis, so while
// it does not answer (SIGSTOP) a cookie request gets a coded error at once,
// and a Bearer request is served as usual.
func TestAFrozenRedisFailsOnlyCookieRequests(t *testing.T) {
	redis := servicetest.StartRedisServer(t)
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = redis.URL }})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	if err := redis.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer redis.Thaw()
	r := b.query(viewerQuery)
	if r.Status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UPSTREAM_ERROR" {
		t.Errorf("a cookie request with Redis frozen: %d %s, want 503 UPSTREAM_ERROR", r.Status, r.Raw)
	}
	bearer := servicetest.Do(t, newRequest(t, http.MethodPost, env.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
		"Content-Type: application/json", "Authorization: Bearer demo-bilal"))
	if viewerName(bearer) != "bilal" {
		t.Errorf("a Bearer request with Redis frozen: %s", bearer.Raw)
	}
}

// twoReplicas are two services sharing the real Redis at redisURL.
func twoReplicas(t *testing.T, redisURL string) (a, b *servicetest.Env) {
	t.Helper()
	withRedis := func(c *service.Config) { c.RedisURL = redisURL }
	a = servicetest.New(t, servicetest.Options{Config: withRedis})
	b = servicetest.New(t, servicetest.Options{Config: withRedis, Beside: a})
	return a, b
}
