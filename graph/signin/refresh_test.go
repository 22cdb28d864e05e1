package signin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/graph/signin"
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
		// The sealed tokens are read as the bytes they are: as base64, a
		// ciphertext this long holds "eyJ" by chance in one session of 200.
		var stored map[string]any
		if json.Unmarshal([]byte(v), &stored) == nil {
			if sealed, ok := stored["sealed"].(string); ok {
				raw, err := base64.StdEncoding.DecodeString(sealed)
				if err != nil {
					t.Fatalf("the sealed tokens under %q: %v", k, err)
				}
				delete(stored, "sealed")
				rest, _ := json.Marshal(stored)
				v = string(rest) + string(raw)
			}
		}
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
	if r.Status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.SessionUnavailable {
		t.Errorf("a cookie request with Redis frozen: %d %s, want 503 SESSION_UNAVAILABLE", r.Status, r.Raw)
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

// TestAFailingProviderGetsOneRefreshPerBackoff: while the token endpoint fails,
// a session whose access token has expired is refreshed once per backoff, by
// whichever of two replicas comes first, however many requests it sends (each
// answered at once with a coded error and its retryAfter); a Retry-After from
// the provider is honoured; once the provider is back, the session works.
func TestAFailingProviderGetsOneRefreshPerBackoff(t *testing.T) {
	a, b := twoReplicas(t, servicetest.StartRedis(t))
	br := newBrowser(t, a)
	br.signIn("aisha", "/")
	cookie := "Cookie: reflect_session=" + br.cookie()
	a.Fake.ExpireUserTokens()
	a.Clock.Add(2 * time.Hour) // the session's access token expired by its own clock too
	a.Fake.FailTokens(http.StatusServiceUnavailable)
	a.Fake.ResetStats()
	herd := func(n int) (retryAfter []any) {
		t.Helper()
		for i := range n {
			env := []*servicetest.Env{a, b}[i%2]
			r := servicetest.Do(t, newRequest(t, http.MethodPost, env.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
				"Content-Type: application/json", "X-CSRF: 1", cookie))
			if r.Status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.Upstream {
				t.Fatalf("a request while the token endpoint fails: %d %s, want 503 UPSTREAM_ERROR", r.Status, r.Raw)
			}
			retryAfter = append(retryAfter, r.Errors[0].Extensions["retryAfter"])
		}
		return retryAfter
	}
	refreshes := func(want int, when string) {
		t.Helper()
		if got := a.Fake.Stats().TokenRequests; got != want {
			t.Errorf("%s: %d requests at the token endpoint, want %d", when, got, want)
		}
	}
	if ra := herd(40); ra[0] == nil || ra[39] == nil {
		t.Errorf("the answers' retryAfter: %v, want one on each", ra)
	}
	refreshes(1, "40 requests on two replicas")
	session := servicetest.Do(t, newRequest(t, http.MethodGet, b.Base+"/auth/session", "", cookie))
	if session.Status != http.StatusServiceUnavailable || session.Header.Get("Retry-After") == "" {
		t.Errorf("/auth/session while backing off: %d, Retry-After %q, want 503 with one", session.Status, session.Header.Get("Retry-After"))
	}
	refreshes(1, "and /auth/session")
	a.Clock.Add(3 * time.Second) // past the first backoff: 2 s, plus up to a quarter
	herd(40)
	refreshes(2, "40 more after the first backoff")
	a.Clock.Add(6 * time.Second) // past the second: 4 s, plus up to a quarter
	a.Fake.FailTokensRetryAfter(http.StatusTooManyRequests, "120")
	herd(10)
	refreshes(3, "10 more after the second backoff")
	a.Clock.Add(90 * time.Second) // a backoff of its own would have passed; Retry-After has not
	herd(10)
	refreshes(3, "90 s into the provider's Retry-After of 120 s")
	a.Fake.FailTokens(0)
	a.Clock.Add(60 * time.Second) // 150 s: past 120 s and its quarter
	if r := servicetest.Do(t, newRequest(t, http.MethodPost, b.Endpoint, `{"query":"{ viewer { user { username } } }"}`,
		"Content-Type: application/json", "X-CSRF: 1", cookie)); viewerName(r) != "aisha" {
		t.Errorf("once the provider is back: %s", r.Raw)
	}
	if st := a.Fake.Stats(); st.Refreshes != 1 || st.RefreshReuses != 0 {
		t.Errorf("%d refreshes answered and %d spent tokens sent again, want 1 and 0", st.Refreshes, st.RefreshReuses)
	}
}

// TestAFullStoreKeepsSessionsAndTheirRefreshTokens: Redis runs under
// noeviction and fills up while a session's refresh is at the provider (a
// flood of other writes): the refreshed tokens are saved all the same, so the
// session goes on with its new refresh token and the spent one is never sent
// again. A refresh that starts while Redis is full is taken and saved too;
// a new session, which would grow the store, is refused with a coded error.
func TestAFullStoreKeepsSessionsAndTheirRefreshTokens(t *testing.T) {
	url := servicetest.StartRedis(t)
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = url }})
	rc := servicetest.RedisClient(t, url)
	ctx := context.Background()
	if err := rc.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.ConfigSet(ctx, "maxmemory", "0") })
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	full := func() {
		t.Helper()
		if err := rc.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil { // any use is over it
			t.Fatal(err)
		}
		if err := rc.Set(ctx, "filler", strings.Repeat("x", 1<<10), 0).Err(); err == nil || !strings.Contains(err.Error(), "OOM") {
			t.Fatalf("a write to the full Redis: %v, want OOM", err)
		}
	}

	env.Fake.ExpireUserTokens()
	env.Clock.Add(2 * time.Hour)
	env.Fake.ResetStats()
	reached, release := env.Fake.HoldRefreshes()
	defer release()
	answer := make(chan servicetest.Response, 1)
	go func() { answer <- b.query(viewerQuery) }()
	<-reached
	full() // while the refresh token is at the provider
	release()
	if r := <-answer; viewerName(r) != "aisha" {
		t.Errorf("the request whose refresh was saved in a full Redis: %s", r.Raw)
	}
	env.Fake.ExpireUserTokens() // and again, Redis still full
	env.Clock.Add(2 * time.Hour)
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Errorf("a refresh that starts in a full Redis: %s", r.Raw)
	}
	if r := b.query(viewerQuery); viewerName(r) != "aisha" || b.session()["signedIn"] != true {
		t.Errorf("after the refreshes: %s", r.Raw)
	}
	if st := env.Fake.Stats(); st.Refreshes != 2 || st.RefreshReuses != 0 {
		t.Errorf("%d refreshes and %d spent refresh tokens sent again, want 2 and 0", st.Refreshes, st.RefreshReuses)
	}
	other := newBrowser(t, env)
	resp, body := other.do(http.MethodGet, other.authorize("/", "bilal").String(), nil, "Accept: application/json")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, errcode.SessionUnavailable) {
		t.Errorf("a new sign-in with Redis full: %d %s, want 503 %s", resp.StatusCode, body, errcode.SessionUnavailable)
	}
}

// TestAStoreThatRefusesWritesSpendsNoRefreshToken: a session store that
// answers reads but refuses writes (a Redis replica after a failover, say):
// the refresh token is never sent, the request gets SESSION_UNAVAILABLE, and
// once the store takes writes again the session refreshes as usual.
func TestAStoreThatRefusesWritesSpendsNoRefreshToken(t *testing.T) {
	var readOnly atomic.Bool
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{
		WrapSessions: func(s signin.Store) signin.Store { return readOnlyStore{s, &readOnly} }}})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	env.Fake.ExpireUserTokens()
	env.Clock.Add(2 * time.Hour)
	env.Fake.ResetStats()
	readOnly.Store(true)
	if r := b.query(viewerQuery); r.Status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.SessionUnavailable {
		t.Errorf("with the store refusing writes: %d %s, want 503 SESSION_UNAVAILABLE", r.Status, r.Raw)
	}
	if n := env.Fake.Stats().TokenRequests; n != 0 {
		t.Errorf("%d requests at the token endpoint while the store refuses writes, want 0", n)
	}
	readOnly.Store(false)
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Errorf("once the store takes writes: %s", r.Raw)
	}
	if st := env.Fake.Stats(); st.Refreshes != 1 || st.RefreshReuses != 0 {
		t.Errorf("%d refreshes and %d spent refresh tokens sent again, want 1 and 0", st.Refreshes, st.RefreshReuses)
	}
}

// TestARefreshSavedThroughThePausedGate: Redis stalls while a session's
// refresh is at the provider, long enough for the service to leave Redis
// alone for a while (three timeouts in a row), and is back when the new
// tokens come: they are saved (Redis answers), not refused by that pause
// with the session then deleted and its user signed out.
func TestARefreshSavedThroughThePausedGate(t *testing.T) {
	redis := servicetest.StartRedisServer(t)
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = redis.URL }})
	b, other := newBrowser(t, env), newBrowser(t, env)
	b.signIn("aisha", "/")
	other.signIn("bilal", "/")
	env.Fake.ExpireUserTokens()
	env.Clock.Add(2 * time.Hour)
	env.Fake.ResetStats()
	reached, release := env.Fake.HoldRefreshes()
	defer release()
	answer := make(chan servicetest.Response, 1)
	go func() { answer <- b.query(viewerQuery) }()
	<-reached // the refresh token is at the provider
	if err := redis.Freeze(); err != nil {
		t.Fatal(err)
	}
	for range 3 { // each times out reading its session: the service pauses Redis
		if r := other.query(viewerQuery); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != errcode.SessionUnavailable {
			t.Fatalf("a cookie request with Redis frozen: %s", r.Raw)
		}
	}
	if err := redis.Thaw(); err != nil {
		t.Fatal(err)
	}
	release()
	if r := <-answer; viewerName(r) != "aisha" {
		t.Errorf("the request whose refresh came back with Redis answering again: %s, want aisha", r.Raw)
	}
	if st := env.Fake.Stats(); st.Refreshes != 1 || st.RefreshReuses != 0 {
		t.Errorf("%d refreshes and %d spent refresh tokens sent again, want 1 and 0", st.Refreshes, st.RefreshReuses)
	}
}

// readOnlyStore refuses writes (Replace: the lease is a store of its own
// kind) while readOnly is set.
type readOnlyStore struct {
	signin.Store
	readOnly *atomic.Bool
}

func (s readOnlyStore) Replace(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	if s.readOnly.Load() {
		return false, errors.New("READONLY You can't write against a read only replica")
	}
	return s.Store.Replace(ctx, key, val, ttl)
}
