package signin_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/persisted"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// floodSessions, floodAddresses and floodEach are the figures: 25
// browsers signed in, then 10 addresses each registering the 100 documents
// their budget allows at once.
const floodSessions, floodAddresses, floodEach = 25, 10, 100

// floodLate is how many browsers sign in after the flood: more than the
// few KiB a full Redis may have left would hold.
const floodLate = 25

// TestSessionsSurviveARegistrationFlood (issue 20, finding 1): 25 browsers
// sign in; then 10 addresses register 100 persisted queries each, 16 KiB
// apiece (a comment pads `{ __typename }`), into Redis servers of 8 MB
// (maxmemory). Every session is still signed in afterwards, and another
// browser can still sign in:
//   - one Redis for everything, under either eviction policy, flooded by
//     anonymous callers (the case): their share of the store takes
//     none of it (4 KiB at most), and takes 500 of 1,000 documents of 4 KiB
//     (2 MiB);
//   - one Redis, flooded by callers with proven tokens, whose share is
//     scaled down here (200 documents) to stand for one that fits the Redis:
//     a share that fits is what keeps one Redis safe;
//   - the layout the README advises, sessions in a Redis of their own with
//     noeviction and the rest in one with allkeys-lru, flooded by proven
//     callers with the default share (2,000 × 16 KiB, four times that Redis):
//     the LRU Redis evicts, the sessions' never sees the flood.
func TestSessionsSurviveARegistrationFlood(t *testing.T) {
	scaled := persisted.DefaultLimits(24 * time.Hour)
	scaled.Proven.Documents = 200
	for _, tt := range []struct {
		name           string
		queries, apart string // eviction policies; apart "": one Redis
		proven         bool
		size           int // of each document: 16 KiB unless said
		limits         *persisted.Limits
	}{
		{name: "one redis, allkeys-lru, anonymous", queries: "allkeys-lru"},
		{name: "one redis, noeviction, anonymous", queries: "noeviction"},
		{name: "one redis, allkeys-lru, anonymous, 4 KiB", queries: "allkeys-lru", size: 4 << 10},
		{name: "one redis, allkeys-lru, proven, a share that fits", queries: "allkeys-lru", proven: true, limits: &scaled},
		{name: "one redis, noeviction, proven, a share that fits", queries: "noeviction", proven: true, limits: &scaled},
		{name: "sessions apart (noeviction), queries in allkeys-lru, proven", queries: "allkeys-lru", apart: "noeviction", proven: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			queries := servicetest.StartRedisServer(t, "--maxmemory", "8mb", "--maxmemory-policy", tt.queries)
			sessions := queries
			if tt.apart != "" {
				sessions = servicetest.StartRedisServer(t, "--maxmemory", "8mb", "--maxmemory-policy", tt.apart)
			}
			env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
				c.RedisURL, c.SessionRedisURL = queries.URL, sessions.URL
				c.TrustedProxies = viewer.Proxies{netip.MustParsePrefix("127.0.0.1/32")}
				// Many accounts' worth of budget: the shares are what is tested.
				c.CallerLimit.Burst = floodAddresses * floodEach
			}, Deps: service.Deps{PersistedLimits: tt.limits}})
			browsers := signInMany(t, env, floodSessions)
			var tokens []string
			if tt.proven {
				tokens = []string{"demo-aisha", "demo-bilal", "demo-fatima"}
				for _, tok := range tokens { // proven by an upstream call each
					if r := env.Post(t, viewerQuery, nil, "Authorization: Bearer "+tok); viewerName(r) == nil {
						t.Fatalf("proving %s: %s", tok, r.Raw)
					}
				}
			}
			if tt.size == 0 {
				tt.size = 16 << 10
			}
			flood(t, env, tt.size, tokens)
			signedIn := 0
			for i, b := range browsers {
				if viewerName(b.query(viewerQuery)) == demoUser(i) {
					signedIn++
				}
			}
			// Then more browsers sign in.
			late := 0
			var step string
			var status int
			for range floodLate {
				if step, status = trySignIn(t, env, "bilal"); status == http.StatusSeeOther {
					late++
				}
			}
			stats := func(r servicetest.Redis) string {
				info := servicetest.RedisClient(t, r.URL).Info(t.Context(), "stats", "memory").Val()
				return fmt.Sprintf("evicted_keys %s, used_memory %s", infoField(info, "evicted_keys"), infoField(info, "used_memory_human"))
			}
			redises := "Redis: " + stats(queries)
			if tt.apart != "" {
				redises = "queries' Redis: " + stats(queries) + "; sessions' Redis: " + stats(sessions)
			}
			t.Logf("%d of %d sessions signed in after %d registrations from %d addresses; %d of %d new sign-ins completed (%s)",
				signedIn, floodSessions, floodAddresses*floodEach, floodAddresses, late, floodLate, redises)
			if signedIn != floodSessions {
				t.Errorf("%d of %d sessions signed in after the flood, want all", signedIn, floodSessions)
			}
			if late != floodLate {
				t.Errorf("%d of %d sign-ins after the flood completed, want all (the last failed: %s answered %d)", late, floodLate, step, status)
			}
		})
	}
}

// demoUser is the demo user browser i signs in as.
func demoUser(i int) string {
	users := []string{"aisha", "bilal", "fatima"}
	return users[i%len(users)]
}

// signInMany signs in n browsers, browser i as demoUser(i).
func signInMany(t *testing.T, env *servicetest.Env, n int) []*browser {
	t.Helper()
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = newBrowser(t, env)
		browsers[i].signIn(demoUser(i), "/")
		if viewerName(browsers[i].query(viewerQuery)) != demoUser(i) {
			t.Fatalf("browser %d is not signed in", i)
		}
	}
	return browsers
}

// flood registers floodEach distinct documents of size bytes from each of
// floodAddresses addresses (X-Forwarded-For, believed from loopback), the
// addresses in parallel: anonymously, or with tokens in turn.
func flood(t *testing.T, env *servicetest.Env, size int, tokens []string) {
	t.Helper()
	var wg sync.WaitGroup
	for a := range floodAddresses {
		wg.Go(func() {
			for i := range floodEach {
				head := fmt.Sprintf("# %d.%d ", a, i)
				doc := head + strings.Repeat("x", size-len(head)-len("\n{ __typename }")) + "\n{ __typename }"
				headers := []string{fmt.Sprintf("X-Forwarded-For: 10.0.0.%d", a+1)}
				if len(tokens) > 0 {
					headers = append(headers, "Authorization: Bearer "+tokens[(a*floodEach+i)%len(tokens)])
				}
				env.APQ(t, http.MethodPost, doc, true, headers...)
			}
		})
	}
	wg.Wait()
}

// trySignIn goes through a whole sign-in as username in a new browser and
// returns the first step that did not answer as it should, with its status,
// or the callback's (303 when signed in).
func trySignIn(t *testing.T, env *servicetest.Env, username string) (step string, status int) {
	t.Helper()
	b := newBrowser(t, env)
	// From an address of its own: the 25 before spent most of loopback's
	// budget of sign-ins.
	resp, _ := b.do(http.MethodGet, env.Base+"/auth/login?returnTo=/", nil, "X-Forwarded-For: 10.1.0.1")
	if resp.StatusCode != http.StatusFound {
		return "/auth/login", resp.StatusCode
	}
	page, _ := resp.Location()
	resp, body := b.do(http.MethodGet, page.String(), nil)
	m := requestField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the provider's sign-in page: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"request": {m[1]}, "username": {username}}
	approve := page.ResolveReference(&url.URL{Path: "/oauth2/auth/approve"})
	resp, _ = b.do(http.MethodPost, approve.String(), strings.NewReader(form.Encode()), "Content-Type: application/x-www-form-urlencoded")
	callback, err := resp.Location()
	if err != nil {
		t.Fatalf("approving: %d", resp.StatusCode)
	}
	resp, _ = b.do(http.MethodGet, callback.String(), nil)
	if resp.StatusCode == http.StatusSeeOther && viewerName(b.query(viewerQuery)) != username {
		t.Errorf("the sign-in as %s completed, but the browser is not signed in", username)
	}
	return "/auth/callback", resp.StatusCode
}

// infoField is one field of Redis's INFO answer.
func infoField(info, name string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:(\S+)`).FindStringSubmatch(info)
	if m == nil {
		return "?"
	}
	return m[1]
}
