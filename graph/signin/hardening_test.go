package signin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/graph/signin"
)

// TestSignInsAreBudgeted: each /auth/login stores a pending sign-in for ten
// minutes, so one address may start 30 at once (one more every 2 s), and a
// returnTo over 2 KiB is not kept.
func TestSignInsAreBudgeted(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	long := "/" + strings.Repeat("a", 3000)
	if got := b.signIn("aisha", long); got != "/" {
		t.Errorf("a 3,000-byte returnTo: sent to %.40q…, want /", got)
	}
	refused := 0
	for range 40 {
		resp, _ := b.do(http.MethodGet, env.Base+"/auth/login?returnTo=/", nil)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
			refused++
		}
	}
	if refused != 11 { // 30 in all, one spent above
		t.Errorf("%d of 40 sign-ins refused, want 11", refused)
	}
}

// TestARefreshRefusedForNowKeepsTheSession: a refresh the provider answers
// with something else than invalid_grant (here 429) spent nothing: the
// request fails, the session stays, and the next refresh succeeds.
func TestARefreshRefusedForNowKeepsTheSession(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	env.Fake.ExpireUserTokens()
	env.Fake.FailTokens(http.StatusTooManyRequests)
	if r := b.query(viewerQuery); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != errcode.Upstream {
		t.Errorf("with the token endpoint refusing: %s, want UPSTREAM_ERROR", r.Raw)
	}
	env.Fake.FailTokens(0)
	env.Clock.Add(3 * time.Second) // past the first backoff (2 s, give or take a quarter)
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Errorf("once the token endpoint is back: %s, want the session still signed in", r.Raw)
	}
	if st := env.Fake.Stats(); st.RefreshReuses != 0 {
		t.Errorf("%d spent refresh tokens sent again", st.RefreshReuses)
	}
}

// leaseWatch is a session store that says when a lease is refused: someone
// waits for a refresh under way.
type leaseWatch struct {
	signin.Store
	refused chan struct{}
	once    sync.Once
}

func (l *leaseWatch) Lease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) bool, func(), bool, error) {
	renew, release, ok, err := l.Store.Lease(ctx, key, ttl)
	if err == nil && !ok {
		l.once.Do(func() { close(l.refused) })
	}
	return renew, release, ok, err
}

// TestSigningOutDuringARefresh: a sign-out while the session's refresh is
// under way waits for it, revokes the refresh token it brought, and the
// refresh does not bring the session back.
func TestSigningOutDuringARefresh(t *testing.T) {
	watch := &leaseWatch{refused: make(chan struct{})}
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{WrapSessions: func(s signin.Store) signin.Store {
		watch.Store = s
		return watch
	}}})
	b := newBrowser(t, env)
	b.signIn("bilal", "/")
	env.Fake.ExpireUserTokens()
	env.Fake.ResetStats()
	reached, release := env.Fake.HoldRefreshes()
	defer release()
	queried := make(chan servicetest.Response, 1)
	go func() { queried <- b.query(viewerQuery) }()
	<-reached // the refresh holds the session's lease, at the provider
	out := make(chan int, 1)
	go func() {
		resp, _ := b.do(http.MethodPost, env.Base+"/auth/logout", nil, "X-CSRF: 1")
		out <- resp.StatusCode
	}()
	select {
	case <-watch.refused: // the sign-out waits for the refresh
	case status := <-out:
		t.Fatalf("the sign-out finished (%d) while the refresh was still under way", status)
	}
	release()
	if status := <-out; status != http.StatusOK {
		t.Errorf("logout: %d", status)
	}
	<-queried
	if sess := b.session(); sess["signedIn"] != false {
		t.Errorf("after signing out during a refresh, /auth/session = %v", sess)
	}
	if st := env.Fake.Stats(); st.Refreshes != 1 || st.Revocations != 1 || st.RefreshReuses != 0 {
		t.Errorf("%d refreshes, %d revocations, %d reused refresh tokens; want 1, 1 and 0", st.Refreshes, st.Revocations, st.RefreshReuses)
	}
}

// TestAStaleCookieIsNeverPubliclyCached: an answer that clears a stale
// session cookie is not marked for shared caches.
func TestAStaleCookieIsNeverPubliclyCached(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.PublicMaxAge = time.Minute }})
	r := servicetest.Do(t, newRequest(t, http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(`{ __typename }`), "",
		"X-CSRF: 1", "Cookie: reflect_session=stale"))
	if cc := r.Header.Get("Cache-Control"); strings.Contains(cc, "public") {
		t.Errorf("Cache-Control %q with Set-Cookie %q", cc, r.Header.Get("Set-Cookie"))
	}
	plain := servicetest.Do(t, newRequest(t, http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(`{ __typename }`), ""))
	if cc := plain.Header.Get("Cache-Control"); !strings.Contains(cc, "public") {
		t.Errorf("without cookies Cache-Control = %q, want public", cc)
	}
}

// TestRefreshingAheadFailsSoftly: a refresh ahead of expiry that the provider
// answers 503 does not fail the request while the token still works.
func TestRefreshingAheadFailsSoftly(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	env.Clock.Add(59*time.Minute + 30*time.Second) // the fake's tokens last an hour
	env.Fake.FailTokens(http.StatusServiceUnavailable)
	defer env.Fake.FailTokens(0)
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Errorf("with the token still good and its refresh failing: %s", r.Raw)
	}
}

// TestACallMadeAgainAfterARenewalCounts: when a session's token was refused
// and renewed, the call made again is an upstream call like any other, within
// MAX_UPSTREAM_CALLS: an operation allowed one call gets its answer with a
// fresh token, but not a second call past its allowance.
func TestACallMadeAgainAfterARenewalCounts(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.MaxUpstreamCalls = 1 }})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Fatalf("signed in: %s", r.Raw)
	}
	env.Fake.ExpireUserTokens()
	r := b.query(viewerQuery)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooManyCalls {
		t.Errorf("one call allowed, its token refused: %s, want %s for the call made again", r.Raw, errcode.TooManyCalls)
	}
	if r := b.query(viewerQuery); viewerName(r) != "aisha" {
		t.Errorf("the next operation, with the renewed token: %s", r.Raw)
	}
}
