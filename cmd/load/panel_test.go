package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// TestKeyPicker: a connection's picker draws only verses that exist, the first
// verses far more often than the last, and the same seed draws the same keys.
func TestKeyPicker(t *testing.T) {
	const draws = 200_000
	counts := make([]int, upstream.Verses+2)
	for seed := range uint64(4) {
		p := newKeyPicker(seed + 1)
		for range draws / 4 {
			i := p.index()
			if _, ok := upstream.VerseAt(i); !ok {
				t.Fatalf("seed %d drew index %d, which is no verse", seed+1, i)
			}
			counts[i]++
		}
	}
	// Zipf with s = 1.1: verse 1 is drawn about 10^1.1 ≈ 12.6 times as often
	// as verse 10; a uniform picker would draw them alike.
	if counts[1] < 8*counts[10] || counts[10] == 0 {
		t.Errorf("verse 1 drawn %d times, verse 10 %d: not the skew of s = 1.1", counts[1], counts[10])
	}
	a, b := newKeyPicker(7), newKeyPicker(7)
	for range 100 {
		if x, y := a.index(), b.index(); x != y {
			t.Fatalf("two pickers with seed 7 drew %d and %d", x, y)
		}
	}
}

// TestPanelBodies: each verse's request names its own key.
func TestPanelBodies(t *testing.T) {
	bodies, err := panelBodies()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"1:1", "2:255", "114:6"} {
		k, _ := upstream.ParseVerseKey(key)
		var op struct {
			Query     string            `json:"query"`
			Variables map[string]string `json:"variables"`
		}
		if err := json.Unmarshal(bodies[k.Index()], &op); err != nil {
			t.Fatal(err)
		}
		if op.Variables["key"] != key || op.Query != panelQuery {
			t.Errorf("body of %s: %s", key, bodies[k.Index()])
		}
	}
}

// TestFeedPaths: the proxy's feed call for a verse is the request the upstream
// client itself sends for the verse's feed page, over HTTP, and it filters to
// that one verse as the service's reflections field does.
func TestFeedPaths(t *testing.T) {
	paths, err := feedPaths()
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != upstream.Verses+1 || slices.Contains(paths[1:], "") {
		t.Fatalf("%d paths, some empty", len(paths))
	}
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[],"total":0,"currentPage":1,"limit":20,"pages":0}`))
	}))
	defer srv.Close()
	cfg := upstream.DefaultConfig()
	cfg.APIBaseURL, cfg.ClientID, cfg.ServiceTokens = srv.URL, fake.DemoClientID, fixedToken("t")
	c := upstream.New(cfg, srv.Client())
	for _, key := range []string{"1:1", "2:255", "114:6"} {
		k, _ := upstream.ParseVerseKey(key)
		q, err := verseFeedQuery(k)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		_, _ = c.Feed(context.Background(), q, "")
		if len(got) != 1 || got[0] != paths[k.Index()] {
			t.Errorf("%s: the client sent %q, the proxy sends %q", key, got, paths[k.Index()])
		}
		for _, want := range []string{
			"/quran-reflect/v1/posts/feed?",
			"filter[references][0][chapterId]=" + strings.Split(key, ":")[0],
			"filter[references][0][from]=" + strings.Split(key, ":")[1] + "&filter[references][0][to]=" + strings.Split(key, ":")[1] + "&",
			"filter[postTypeIds]=1", "filter[verifiedOnly]=true", "tab=qdc", "sortBy=latest", "page=1&limit=20",
		} {
			if !strings.Contains(paths[k.Index()], want) {
				t.Errorf("%s: %q lacks %q", key, paths[k.Index()], want)
			}
		}
		if strings.Contains(paths[k.Index()], "filter[references][1]") {
			t.Errorf("%s: %q filters more than one verse", key, paths[k.Index()])
		}
	}
}

// startPanelProxy is the fake and the panel's proxy in front of it.
func startPanelProxy(t *testing.T) (*fake.Server, *httptest.Server, [][]byte) {
	t.Helper()
	f := fake.New(fake.Options{})
	up := httptest.NewServer(f)
	t.Cleanup(up.Close)
	paths, err := feedPaths()
	if err != nil {
		t.Fatal(err)
	}
	tokens := upstream.NewServiceTokens(context.Background(), upstream.ServiceTokensConfig{
		AuthBaseURL: up.URL, ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret,
		HTTPClient: up.Client(), FetchTimeout: 5 * time.Second,
	})
	proxy := httptest.NewServer(panelProxy(up.URL, paths, tokens, up.Client()))
	t.Cleanup(proxy.Close)
	bodies, err := panelBodies()
	if err != nil {
		t.Fatal(err)
	}
	return f, proxy, bodies
}

// TestPanelProxy: the proxy answers a panel request with the fake's feed
// page for that verse, in one feed call, with the service's kind of token.
func TestPanelProxy(t *testing.T) {
	f, proxy, bodies := startPanelProxy(t)
	k, _ := upstream.ParseVerseKey("2:255")
	before := f.Stats().Calls
	if err := panelCheck(panelTarget{name: "proxy", url: proxy.URL}, bodies); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(proxy.URL+"/query", "application/json", strings.NewReader(string(bodies[k.Index()])))
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("proxy: %d, %v", resp.StatusCode, err)
	}
	c := callsBetween(before, f.Stats().Calls)
	if c != (calls{feed: 2}) {
		t.Errorf("two panel requests cost %+v, want two feed calls and nothing else", c)
	}
}

// TestCallsBetween: the fake's calls are told apart by route.
func TestCallsBetween(t *testing.T) {
	before := map[string]int{fake.RouteFeed: 3, "GET /content/api/v4/verses/by_range": 1}
	after := map[string]int{fake.RouteFeed: 10, "GET /content/api/v4/verses/by_range": 4,
		"GET /content/api/v4/quran/verses/uthmani": 1, fake.RouteRoom: 2}
	if got, want := callsBetween(before, after), (calls{feed: 7, content: 4, other: 2}); got != want {
		t.Errorf("callsBetween = %+v, want %+v", got, want)
	}
}

// TestErrorCode: an error's message is quoted past its escaped quotes.
func TestErrorCode(t *testing.T) {
	body := []byte(`{"errors":[{"message":"Cannot query field \"verse\" on type \"Query\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`)
	if got, want := errorCode(body), `GRAPHQL_VALIDATION_FAILED (Cannot query field \"verse\" on type \"Query\".)`; got != want {
		t.Errorf("errorCode = %s, want %s", got, want)
	}
}

// TestPanelAgrees: the run goes on only when the service's reflections are
// the first ten posts of the proxy's feed page, verse by verse.
func TestPanelAgrees(t *testing.T) {
	_, proxy, bodies := startPanelProxy(t)
	// service answers as the service would, from the proxy's page cut by cut.
	service := func(cut func(posts []map[string]any) []map[string]any) panelTarget {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			resp, err := http.Post(proxy.URL, "application/json", r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			var page struct {
				Data []map[string]any `json:"data"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"verse": map[string]any{
				"textUthmani": "…", "reflections": map[string]any{"nodes": cut(page.Data)}}}})
		}))
		t.Cleanup(s.Close)
		return panelTarget{name: "service", url: s.URL, graphql: true}
	}
	p := panelTarget{name: "proxy", url: proxy.URL}
	n, err := panelAgrees(service(func(posts []map[string]any) []map[string]any { return posts[:min(10, len(posts))] }), p, bodies)
	if err != nil || n == 0 {
		t.Errorf("the first ten posts: %d verses with reflections, err %v; want agreement on some", n, err)
	}
	// 2:255 has more than ten posts in the demo data: the last ten are not the first.
	if _, err := panelAgrees(service(func(posts []map[string]any) []map[string]any { return posts[max(0, len(posts)-10):] }), p, bodies); err == nil {
		t.Error("the last ten posts of each page: agreement, want an error")
	}
	if _, err := panelAgrees(service(func([]map[string]any) []map[string]any { return nil }), p, bodies); err == nil {
		t.Error("no reflections: agreement, want an error")
	}
}
