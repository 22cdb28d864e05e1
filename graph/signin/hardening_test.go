package signin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/graph/signin"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// TestSignInsAreBudgeted: each /auth/login sends the browser to the provider
// with a sealed cookie, so one address may start 30 at once (one more every
// 2 s), and a returnTo over 2 KiB is not kept.
func TestSignInsAreBudgeted(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	long := "/" + strings.Repeat("a", 3000)
	if got := b.signIn("aisha", long); got != "/" {
		t.Errorf("a 3,000-byte returnTo: sent to %.40q…, want /", got)
	}
	// Under 2 KiB, but six times longer once sealed (JSON escapes <): the
	// cookie would be too big for browsers to keep.
	if got := b.signIn("aisha", "/"+strings.Repeat("<", 2000)); got != "/" {
		t.Errorf("a returnTo whose sealed cookie would be too big: sent to %.40q…, want /", got)
	}
	refused := 0
	for range 40 {
		resp, _ := b.do(http.MethodGet, env.Base+"/auth/login?returnTo=/", nil)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
			refused++
		}
	}
	if refused != 12 { // 30 in all, two spent above
		t.Errorf("%d of 40 sign-ins refused, want 12", refused)
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

// TestALoginFloodHoldsNothing: /auth/login from 340 addresses, 30 each with a
// 2 KiB returnTo (10,200 sign-ins; before, each stored 2 KiB for ten minutes,
// and 100,000 filled the in-memory store), stores nothing: the sign-ins under
// way are sealed in the browsers' cookies, so no number of them can fill the
// store or memory. Another visitor then signs in as usual, and the process's
// heap stays far under 200 MB. (FLOOD_ADDRESSES=3400 runs the 102,000.)
func TestALoginFloodHoldsNothing(t *testing.T) {
	var writes atomic.Int64
	env := servicetest.New(t, servicetest.Options{Quiet: true,
		Config: func(c *service.Config) { c.TrustedProxies = viewer.Proxies{netip.MustParsePrefix("127.0.0.1/32")} },
		Deps:   service.Deps{WrapSessions: func(s signin.Store) signin.Store { return countingStore{s, &writes} }}})
	addresses, each := 340, 30
	if n, err := strconv.Atoi(os.Getenv("FLOOD_ADDRESSES")); err == nil && n > 0 {
		addresses = n
	}
	returnTo := url.QueryEscape("/" + strings.Repeat("r", 2040))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	var redirected, other atomic.Int64
	next := atomic.Int64{}
	for range 8 {
		wg.Go(func() {
			for a := next.Add(1) - 1; a < int64(addresses); a = next.Add(1) - 1 {
				for range each {
					req, _ := http.NewRequest(http.MethodGet, env.Base+"/auth/login?returnTo="+returnTo, nil)
					req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.1", a/250, a%250))
					resp, err := client.Do(req)
					if err != nil {
						other.Add(1)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusFound {
						redirected.Add(1)
					} else {
						other.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	if redirected.Load() != int64(addresses*each) || other.Load() != 0 {
		t.Errorf("%d sign-ins sent to the provider and %d not, want %d and 0", redirected.Load(), other.Load(), addresses*each)
	}
	if n := writes.Load(); n != 0 {
		t.Errorf("the flood wrote %d items to the session store, want none", n)
	}
	b := newBrowser(t, env)
	if got := b.signIn("aisha", "/after"); got != "/after" || viewerName(b.query(viewerQuery)) != "aisha" {
		t.Errorf("a visitor after the flood: sent to %q, %s", got, b.query(viewerQuery).Raw)
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("after %d sign-ins: heap in use %.1f MB, %d session store writes", addresses*each, float64(m.HeapInuse)/1e6, writes.Load())
	if m.HeapInuse > 200e6 {
		t.Errorf("heap in use after the flood: %.0f MB, want under 200 MB", float64(m.HeapInuse)/1e6)
	}
}

// countingStore counts the writes to a Store.
type countingStore struct {
	signin.Store
	writes *atomic.Int64
}

func (c countingStore) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	c.writes.Add(1)
	return c.Store.Set(ctx, key, val, ttl)
}

// TestPendingSignInsAreTheBrowsers: a browser keeps at most four sign-ins
// under way (the oldest are dropped); a pending sign-in's cookie that was
// tampered with, or moved under another state's name, completes nothing.
func TestPendingSignInsAreTheBrowsers(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	b := newBrowser(t, env)
	var callbacks []*url.URL
	for range 6 {
		callbacks = append(callbacks, b.authorize("/", "aisha"))
	}
	u, _ := url.Parse(env.Base)
	var pending []*http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "reflect_signin_") {
			pending = append(pending, c)
		}
	}
	if len(pending) != 4 {
		t.Errorf("%d sign-ins under way in the browser, want 4", len(pending))
	}
	if resp, _ := b.do(http.MethodGet, callbacks[0].String(), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the oldest of six sign-ins: %d, want 400 (dropped)", resp.StatusCode)
	}
	// Another browser given this one's pending cookies under swapped names,
	// or with a flipped byte, completes nothing.
	for name, forge := range map[string]func(a, b *http.Cookie) *http.Cookie{
		"moved":    func(a, b *http.Cookie) *http.Cookie { return &http.Cookie{Name: a.Name, Value: b.Value} },
		"tampered": func(a, _ *http.Cookie) *http.Cookie { return &http.Cookie{Name: a.Name, Value: "A" + a.Value[1:]} },
	} {
		other := newBrowser(t, env)
		cb := other.authorize("/", "aisha")
		var mine, theirs *http.Cookie
		for _, c := range other.c.Jar.Cookies(u) {
			if strings.HasPrefix(c.Name, "reflect_signin_") {
				mine = c
			}
		}
		theirs = pending[0]
		if mine.Value[0] == 'A' {
			mine.Value = "B" + mine.Value[1:]
		}
		other.c.Jar.SetCookies(u, []*http.Cookie{forge(mine, theirs)})
		if resp, _ := other.do(http.MethodGet, cb.String(), nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: the callback answered %d, want 400", name, resp.StatusCode)
		}
	}
	if resp, _ := b.do(http.MethodGet, callbacks[5].String(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the newest sign-in: %d, want 303", resp.StatusCode)
	}

	// Long returnTo values: the pending cookies stay within 6,000 bytes in
	// all (a proxy's header line is often 8 KiB), the newest kept; a cookie
	// of the same prefix that this service cannot open is left alone.
	long := newBrowser(t, env)
	foreign := &http.Cookie{Name: "reflect_signin_0123456789abcdef", Value: "another-service"}
	long.c.Jar.SetCookies(u, []*http.Cookie{foreign})
	var last *url.URL
	for i := range 4 {
		last = long.authorize(fmt.Sprintf("/%d/%s", i, strings.Repeat("p", 1900)), "aisha")
	}
	total, kept, foreignKept := 0, 0, false
	for _, c := range long.c.Jar.Cookies(u) {
		switch {
		case c.Name == foreign.Name:
			foreignKept = true
		case strings.HasPrefix(c.Name, "reflect_signin_"):
			total, kept = total+len(c.Name)+len(c.Value), kept+1
		}
	}
	if total > 6000 || kept < 1 || !foreignKept {
		t.Errorf("%d pending cookies of %d bytes in all (want at most 6,000), another service's kept: %v", kept, total, foreignKept)
	}
	if resp, _ := long.do(http.MethodGet, last.String(), nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/3/") {
		t.Errorf("the newest of the long sign-ins: %d %s, want 303 to /3/…", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestAuthRoutesShowInLogsAndMetrics: every /auth/* request writes an access-log
// line (route, status, the code it failed with, never the query string), and
// sign-ins started, completed and failed (by reason), refreshes and session
// store errors are counted.
func TestAuthRoutesShowInLogsAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	var broken atomic.Bool
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{Registry: reg,
		WrapSessions: func(s signin.Store) signin.Store { return breakableStore{s, &broken} }}})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")                                                           // login ok, callback ok
	b.do(http.MethodGet, env.Base+"/auth/callback?state=nope&code=secret-code", nil) // unknown_state
	b.do(http.MethodGet, b.authorize("/", "").String(), nil)                         // login ok, callback not_completed
	env.Fake.ExpireUserTokens()
	env.Clock.Add(2 * time.Hour)
	b.query(viewerQuery) // a refresh, ok
	env.Fake.ExpireUserTokens()
	env.Clock.Add(2 * time.Hour)
	env.Fake.FailTokens(http.StatusBadGateway)
	b.query(viewerQuery) // failed
	b.query(viewerQuery) // backoff
	env.Fake.FailTokens(0)
	broken.Store(true)
	b.query(viewerQuery)                                             // a store read fails
	b.do(http.MethodPost, env.Base+"/auth/logout", nil, "X-CSRF: 1") // session_store
	broken.Store(false)
	b.do(http.MethodPost, env.Base+"/auth/logout", nil)              // csrf
	b.do(http.MethodPost, env.Base+"/auth/logout", nil, "X-CSRF: 1") // ok

	want := map[string]float64{
		`signin_steps_total{result="ok",step="login"}`:               2,
		`signin_steps_total{result="ok",step="callback"}`:            1,
		`signin_steps_total{result="unknown_state",step="callback"}`: 1,
		`signin_steps_total{result="not_completed",step="callback"}`: 1,
		`signin_steps_total{result="session_store",step="logout"}`:   1,
		`signin_steps_total{result="csrf",step="logout"}`:            1,
		`signin_steps_total{result="ok",step="logout"}`:              1,
		`session_refreshes_total{result="ok"}`:                       1,
		`session_refreshes_total{result="failed"}`:                   1,
		`session_refreshes_total{result="backoff"}`:                  1,
		`session_store_errors_total{op="read"}`:                      1,
		`session_store_errors_total{op="lease"}`:                     1,
	}
	got := gather(t, reg)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	logs := env.Logs.String()
	lines := 0
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "msg=request") && strings.Contains(l, "route=/auth/") {
			lines++
		}
	}
	if lines != 8 { // 2 logins, 3 callbacks, 3 logouts (the provider's pages are not ours)
		t.Errorf("%d access-log lines for /auth/*, want 8:\n%s", lines, logs)
	}
	for _, want := range []string{"route=/auth/callback status=400", "codes=[SIGNIN_FAILED]", "route=/auth/logout status=503", "codes=[SESSION_UNAVAILABLE]"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %q", want)
		}
	}
	if strings.Contains(logs, "secret-code") || strings.Contains(logs, "state=nope") {
		t.Error("an access-log line carries the query string")
	}
}

// breakableStore fails every call while broken is set.
type breakableStore struct {
	signin.Store
	broken *atomic.Bool
}

var errBroken = errors.New("the store is broken on purpose")

func (s breakableStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.broken.Load() {
		return nil, false, errBroken
	}
	return s.Store.Get(ctx, key)
}

func (s breakableStore) Lease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) bool, func(), bool, error) {
	if s.broken.Load() {
		return nil, nil, false, errBroken
	}
	return s.Store.Lease(ctx, key, ttl)
}

// gather is every counter and gauge of reg, by name{labels} as Prometheus
// writes them (labels in name order).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := f.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestAHugeRetryAfterHoldsTheLongest: a token endpoint's Retry-After too large
// for a duration (here, seconds that overflow nanoseconds) holds refreshes for
// the longest backoff, 5 minutes, as any Retry-After over it does; it is not
// read as a few hundred milliseconds, or as none.
func TestAHugeRetryAfterHoldsTheLongest(t *testing.T) {
	for _, ra := range []string{"18446744074", "9223372036854775807", "99999999999999999999"} {
		t.Run(ra, func(t *testing.T) {
			env := servicetest.New(t, servicetest.Options{})
			b := newBrowser(t, env)
			b.signIn("aisha", "/")
			env.Fake.ExpireUserTokens()
			env.Clock.Add(2 * time.Hour)
			env.Fake.FailTokensRetryAfter(http.StatusTooManyRequests, ra)
			env.Fake.ResetStats()
			r := b.query(viewerQuery)
			secs := -1
			if len(r.Errors) == 1 {
				secs, _ = strconv.Atoi(fmt.Sprint(r.Errors[0].Extensions["retryAfter"]))
			}
			if secs < 300 || secs > 375 { // 5 minutes, plus up to a quarter
				t.Errorf("Retry-After: %s → %s, want retryAfter 300 to 375", ra, r.Raw)
			}
			env.Clock.Add(4 * time.Minute)
			b.query(viewerQuery)
			if got := env.Fake.Stats().TokenRequests; got != 1 {
				t.Errorf("Retry-After: %s: %d requests at the token endpoint in 4 minutes, want 1", ra, got)
			}
		})
	}
}

// failingSets is a session store that refuses every new key, as a full Redis
// under noeviction does.
type failingSets struct{ signin.Store }

func (failingSets) Set(context.Context, string, []byte, time.Duration) error {
	return errors.New("OOM command not allowed when used memory > 'maxmemory'")
}

// TestACallbackThatFailsRevokesItsTokens: a callback that exchanged the code
// but then makes no session (the session store refuses it, or the ID token is
// not this sign-in's) revokes the refresh token it got: nothing holds it, and
// it would stay live at the provider for its whole life.
func TestACallbackThatFailsRevokesItsTokens(t *testing.T) {
	t.Run("the store refuses the session", func(t *testing.T) {
		env := servicetest.New(t, servicetest.Options{Deps: service.Deps{WrapSessions: func(s signin.Store) signin.Store { return failingSets{s} }}})
		b := newBrowser(t, env)
		callback := b.authorize("/", "aisha")
		env.Fake.ResetStats()
		resp, body := b.do(http.MethodGet, callback.String(), nil, "Accept: application/json")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, errcode.SessionUnavailable) {
			t.Errorf("callback with the store refusing: %d %s, want 503 %s", resp.StatusCode, body, errcode.SessionUnavailable)
		}
		if st := env.Fake.Stats(); st.CodeExchanges != 1 || st.Revocations != 1 {
			t.Errorf("%d code exchanges and %d revocations, want 1 and 1", st.CodeExchanges, st.Revocations)
		}
	})
	t.Run("the ID token is not this sign-in's", func(t *testing.T) {
		env := servicetest.New(t, servicetest.Options{})
		env.Fake.SetIDTokenFault(fake.IDTokenFault{Nonce: "another"})
		b := newBrowser(t, env)
		callback := b.authorize("/", "aisha")
		env.Fake.ResetStats()
		if resp, _ := b.do(http.MethodGet, callback.String(), nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("callback with another nonce: %d, want 400", resp.StatusCode)
		}
		if st := env.Fake.Stats(); st.CodeExchanges != 1 || st.Revocations != 1 {
			t.Errorf("%d code exchanges and %d revocations, want 1 and 1", st.CodeExchanges, st.Revocations)
		}
	})
}

// heldElsewhere is a session store in which, while armed, another replica
// holds every session's lease and, after the first read, reads fail.
type heldElsewhere struct {
	signin.Store
	armed *atomic.Bool
	reads *atomic.Int64
}

func (h heldElsewhere) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if h.armed.Load() && h.reads.Add(1) > 1 {
		return nil, false, errBroken
	}
	return h.Store.Get(ctx, key)
}

func (h heldElsewhere) Lease(ctx context.Context, key string, ttl time.Duration) (func(context.Context) bool, func(), bool, error) {
	if h.armed.Load() {
		return nil, nil, false, nil
	}
	return h.Store.Lease(ctx, key, ttl)
}

// TestAStoreFailingWhileWaitingForARefreshIsSessionUnavailable: a request
// waiting for another replica's refresh of its session, whose store then
// fails, is SESSION_UNAVAILABLE like any other failing read, not an internal
// error.
func TestAStoreFailingWhileWaitingForARefreshIsSessionUnavailable(t *testing.T) {
	var armed atomic.Bool
	var reads atomic.Int64
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{WrapSessions: func(s signin.Store) signin.Store {
		return heldElsewhere{s, &armed, &reads}
	}}})
	b := newBrowser(t, env)
	b.signIn("aisha", "/")
	env.Fake.ExpireUserTokens()
	env.Clock.Add(2 * time.Hour)
	armed.Store(true)
	r := b.query(viewerQuery)
	if r.Status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.SessionUnavailable {
		t.Errorf("the store failing while a refresh elsewhere is awaited: %d %s, want 503 %s", r.Status, r.Raw, errcode.SessionUnavailable)
	}
}
