package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// The verse panel is quran.com's "Reflections & Lessons" panel under every
// verse, read by signed-out readers: the same answer for everyone, so the
// service may share it across requests. The mode drives it over all 6,236
// verses, the popular ones far more often than the rest (Zipf, s = 1.1), at the
// service with anonymous sharing on, with it off, and at a one-hop proxy that
// makes the one feed call the service would make for the same verse.
//
// Unlike the standard table, the targets do not take turns: sharing is a cache
// that must stay warm, and a turn of the others (minutes at the defaults)
// would let it expire, so each target gets its warm-up and its measurement in
// one go, the proxy first.

// panelQuery is the panel's operation, as issue 23 names it.
const panelQuery = `query VersePanel($key: String!) { verse(key: $key) { textUthmani translation { text } ` +
	`reflections(first: 10) { nodes { body author { username } references { verses { key } } } } } }`

// The mode's defaults, for the flags left unset.
const (
	panelLatency  = 20 * time.Millisecond
	panelConns    = 64
	panelDuration = 30 * time.Second
)

// zipfS is the skew of the readers' choice of verse: how much more often the
// popular verses are read.
const zipfS = 1.1

// keyPicker draws verse keys, the nth most popular (by index: 1:1 first) with
// a probability falling as 1/n^1.1. One per connection: rand.Zipf is not safe
// for concurrent use.
type keyPicker struct{ z *rand.Zipf }

// newKeyPicker is a picker whose sequence seed fixes, so that a run repeats.
func newKeyPicker(seed uint64) keyPicker {
	r := rand.New(rand.NewPCG(seed, 0x5eed23))
	return keyPicker{rand.NewZipf(r, zipfS, 1, upstream.Verses-1)}
}

// index is the next verse's cumulative index, 1 to upstream.Verses.
func (p keyPicker) index() int { return int(p.z.Uint64()) + 1 }

// panelBodies are the panel's request bodies, by verse index (0 unused): built
// once, so that the load spends no time on them.
func panelBodies() ([][]byte, error) {
	bodies := make([][]byte, upstream.Verses+1)
	for i := 1; i <= upstream.Verses; i++ {
		k, ok := upstream.VerseAt(i)
		if !ok {
			return nil, fmt.Errorf("verse %d has no key", i)
		}
		b, err := json.Marshal(map[string]any{"query": panelQuery, "variables": map[string]string{"key": k.String()}})
		if err != nil {
			return nil, err
		}
		bodies[i] = b
	}
	return bodies, nil
}

// verseFeedQuery is the feed page the service asks for a verse's
// reflections(first: 10) with the field's defaults (tab QDC, latest first,
// reflections only, verified authors, no language): the first page at the
// feed's own page size, which the service asks whatever first is.
func verseFeedQuery(k upstream.VerseKey) (upstream.FeedQuery, error) {
	verified := true
	q, err := upstream.NewFeedQuery(upstream.FeedFilter{
		References:   []upstream.VerseRange{{ChapterID: k.Chapter, From: k.Verse, To: k.Verse}},
		PostTypeIDs:  []int{1},
		VerifiedOnly: &verified,
	}, upstream.FeedTabQDC, upstream.PostSortLatest, nil)
	if err != nil {
		return upstream.FeedQuery{}, err
	}
	return q.AtPage(1, upstream.EndpointFeed.MaxLimit), nil
}

// feedPaths are the path and query of each verse's feed page (by verse index,
// 0 unused), exactly as the upstream client sends them: each query goes
// through Client.Feed once, to a transport that notes the request and answers
// 404, so that the proxy's calls cannot drift from the service's encoding.
func feedPaths() ([]string, error) {
	rec := &recorder{}
	cfg := upstream.DefaultConfig()
	cfg.APIBaseURL, cfg.ClientID, cfg.MaxRetries = "http://upstream.invalid", fake.DemoClientID, 0
	cfg.ServiceTokens = fixedToken("recorder")
	c := upstream.New(cfg, &http.Client{Transport: rec})
	paths := make([]string, upstream.Verses+1)
	for i := 1; i <= upstream.Verses; i++ {
		k, _ := upstream.VerseAt(i)
		q, err := verseFeedQuery(k)
		if err != nil {
			return nil, fmt.Errorf("verse %s: %w", k, err)
		}
		rec.uri = ""
		_, _ = c.Feed(context.Background(), q, "")
		if rec.uri == "" {
			return nil, fmt.Errorf("verse %s: the upstream client sent no request", k)
		}
		paths[i] = rec.uri
	}
	return paths, nil
}

// recorder is a transport that notes the last request's path and query and
// answers 404 (a 4xx is neither retried nor held against the host).
type recorder struct{ uri string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.uri = req.URL.RequestURI()
	return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")),
		Request: req}, nil
}

// fixedToken is a token provider that always has the same token.
type fixedToken string

func (t fixedToken) Token(context.Context) (string, error) { return string(t), nil }

// servePanelProxy serves panelProxy on loopback.
func servePanelProxy(upstreamURL string) error {
	paths, err := feedPaths()
	if err != nil {
		return err
	}
	tokens := upstream.NewServiceTokens(context.Background(), upstream.ServiceTokensConfig{
		AuthBaseURL: upstreamURL, ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, FetchTimeout: 5 * time.Second,
	})
	return serveOnLoopback(panelProxy(upstreamURL, paths, tokens, upstreamClient()))
}

// panelProxy is the bare one-hop facade of the verse panel: it takes the
// service's POST, reads the verse key from its variables, makes the feed call
// the service would make (paths, from feedPaths) with the same kind of token
// (the service's own, client credentials) and copies the bytes back. It does
// none of the rest (verse text, translation, shaping the answer).
func panelProxy(upstreamURL string, paths []string, tokens upstream.TokenProvider, client *http.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var op struct {
			Variables struct {
				Key string `json:"key"`
			} `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&op); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		k, err := upstream.ParseVerseKey(op.Variables.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		token, err := tokens.Token(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, upstreamURL+paths[k.Index()], nil)
		req.Header.Set("x-auth-token", token)
		req.Header.Set("x-client-id", fake.DemoClientID)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}

// calls are the fake's API calls in a span of time, by kind of route.
type calls struct{ feed, content, other int }

func (c calls) total() int { return c.feed + c.content + c.other }

// callsBetween sorts the fake's calls by route between two of its snapshots:
// the feed, the Content API (every route under /content/) and the rest.
func callsBetween(before, after map[string]int) calls {
	var c calls
	for route, n := range after {
		n -= before[route]
		switch {
		case route == fake.RouteFeed:
			c.feed += n
		case strings.HasPrefix(route, "GET /content/"):
			c.content += n
		default:
			c.other += n
		}
	}
	return c
}

// panelTarget is one thing the panel loads.
type panelTarget struct {
	name    string
	url     string
	graphql bool
	watch   *child
}

// panelResult is one target's warm-up and measurement.
type panelResult struct {
	warm, measured           result
	warmCalls, measuredCalls calls
	peak                     peaks
	wrong                    error // its answers differed from the proxy's after its run
}

// drivePanel runs conns closed loops at t, each drawing its verses with its
// own picker: warmup, then d measured, each phase bounded by maxRequests.
// The loops stop between the phases, so that every call the fake counts in a
// phase was made for a request of that phase.
func drivePanel(t panelTarget, bodies [][]byte, conns int, warmup, d time.Duration, maxRequests int, fakeURL string) panelResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	pickers := make([]keyPicker, conns)
	for i := range pickers {
		pickers[i] = newKeyPicker(uint64(i) + 1)
	}
	phase := func(d time.Duration) result {
		var (
			mu    sync.Mutex
			res   = result{codes: map[string]int{}}
			count int
			wg    sync.WaitGroup
		)
		begin := time.Now()
		deadline := begin.Add(d)
		for i := range conns {
			wg.Go(func() {
				var lats []time.Duration
				var httpErr, gqlErr int
				codes := map[string]int{}
				for time.Now().Before(deadline) {
					mu.Lock()
					if count >= maxRequests {
						mu.Unlock()
						break
					}
					count++
					mu.Unlock()
					req, _ := http.NewRequest(http.MethodPost, t.url+"/query", bytes.NewReader(bodies[pickers[i].index()]))
					req.Header.Set("Content-Type", "application/json")
					start := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						lats = append(lats, time.Since(start))
						httpErr++
						continue
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					lats = append(lats, time.Since(start))
					switch {
					case err != nil || resp.StatusCode != http.StatusOK:
						httpErr++
					case t.graphql && bytes.Contains(body, []byte(`"errors"`)):
						gqlErr++
						codes[errorCode(body)]++
					}
				}
				mu.Lock()
				res.latencies = append(res.latencies, lats...)
				res.httpErrors += httpErr
				res.gqlErrors += gqlErr
				for c, n := range codes {
					res.codes[c] += n
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		res.elapsed = time.Since(begin)
		res.requests = len(res.latencies)
		slices.Sort(res.latencies)
		return res
	}
	var out panelResult
	before := fakeCalls(fakeURL)
	if warmup > 0 {
		out.warm = phase(warmup)
	}
	mid := fakeCalls(fakeURL)
	stop := func() {}
	if t.watch != nil {
		stop = out.peak.watch(t.watch)
	}
	out.measured = phase(d)
	stop()
	after := fakeCalls(fakeURL)
	out.warmCalls, out.measuredCalls = callsBetween(before, mid), callsBetween(mid, after)
	return out
}

// panelCheck sends t one panel request (for 2:255) and says what is wrong
// with its answer, if anything: a target that cannot answer is not measured.
func panelCheck(t panelTarget, bodies [][]byte) error {
	k, _ := upstream.ParseVerseKey("2:255")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(t.url+"/query", "application/json", bytes.NewReader(bodies[k.Index()]))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	case t.graphql && bytes.Contains(body, []byte(`"errors"`)):
		return fmt.Errorf("%s", errorCode(body))
	case t.graphql && !bytes.Contains(body, []byte(`"textUthmani"`)):
		return fmt.Errorf("no verse in its answer: %.200s", body)
	}
	return nil
}

// panelAgrees checks that the proxy fetches the page the service reads: for
// the most read verses (the first 50) and 2:255, the bodies of the service's
// reflections are those of the first ten posts of the proxy's feed page, in
// order. A proxy that fetched less, or another page, would flatter the
// service. It says how many of the verses have reflections at all.
func panelAgrees(service, proxy panelTarget, bodies [][]byte) (withPosts int, err error) {
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(t panelTarget, i int, into any) error {
		resp, err := client.Post(t.url+"/query", "application/json", bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d", t.name, resp.StatusCode)
		}
		return json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(into)
	}
	k, _ := upstream.ParseVerseKey("2:255")
	verses := []int{k.Index()}
	for i := 1; i <= 50; i++ {
		verses = append(verses, i)
	}
	for _, i := range verses {
		var page struct {
			Data []struct {
				Body string `json:"body"`
			} `json:"data"`
		}
		var answer struct {
			Data struct {
				Verse *struct {
					Reflections struct {
						Nodes []struct {
							Body string `json:"body"`
						} `json:"nodes"`
					} `json:"reflections"`
				} `json:"verse"`
			} `json:"data"`
		}
		if err := post(proxy, i, &page); err != nil {
			return 0, err
		}
		if err := post(service, i, &answer); err != nil {
			return 0, err
		}
		var want, got []string
		for _, p := range page.Data[:min(10, len(page.Data))] {
			want = append(want, p.Body)
		}
		if answer.Data.Verse == nil {
			return 0, fmt.Errorf("%s: no verse in its answer for verse %d", service.name, i)
		}
		for _, n := range answer.Data.Verse.Reflections.Nodes {
			got = append(got, n.Body)
		}
		if !slices.Equal(want, got) {
			vk, _ := upstream.VerseAt(i)
			first := func(l []string) string {
				if len(l) == 0 {
					return "none"
				}
				return fmt.Sprintf("%.60q", l[0])
			}
			return 0, fmt.Errorf("verse %s: the service's %d reflections are not the first %d posts of the proxy's feed page (its first %s, the page's %s)",
				vk, len(got), len(want), first(got), first(want))
		}
		if len(want) > 0 {
			withPosts++
		}
	}
	return withPosts, nil
}

// waitQuiet waits until the fake has had no API call for a second (the
// services' start-up loads done), at most 60 s.
func waitQuiet(fakeURL string) error {
	last, still := -1, 0
	for range 240 {
		n := 0
		for _, c := range fakeCalls(fakeURL) {
			n += c
		}
		if n == last {
			if still++; still == 4 {
				return nil
			}
		} else {
			last, still = n, 0
		}
		time.Sleep(250 * time.Millisecond)
	}
	return errors.New("the fake upstream never went quiet: something keeps calling it")
}

// panelOptions are the verse-panel mode's settings.
type panelOptions struct {
	conns            int
	warmup, duration time.Duration
	latency          time.Duration
	maxRequests      int
	server, extraEnv string
}

// The targets for the panel at 64 connections.
const (
	targetSharedCalls = 0.05 // upstream calls per request after warm-up, sharing on, at most
	targetThroughput  = 2.0  // the service's throughput over the proxy's, at least
	targetP99         = 1.0  // the service's p99 over the proxy's, at most
)

// versePanel runs the mode: the proxy, the service with sharing off and on,
// each warmed up and then measured, and prints them against the targets.
func versePanel(o panelOptions) error {
	bodies, err := panelBodies()
	if err != nil {
		return err
	}
	return withFake(o.server, o.latency, func(ctx context.Context, self, server string, up *child) error {
		proxy, err := start(ctx, nil, self, "-role", "panel-proxy", "-upstream", up.url)
		if err != nil {
			return err
		}
		defer proxy.stop()
		extra := splitEnv(o.extraEnv)
		on, err := start(ctx, serviceEnv(up.url, extra...), server)
		if err != nil {
			return err
		}
		defer on.stop()
		off, err := start(ctx, serviceEnv(up.url, append([]string{"PUBLIC_SHARE_TTL=0", "PUBLIC_COALESCE=false"}, extra...)...), server)
		if err != nil {
			return err
		}
		defer off.stop()
		if err := waitQuiet(up.url); err != nil {
			return err
		}
		targets := []panelTarget{
			{name: "one-hop proxy (the feed call)", url: proxy.url},
			{name: "service, sharing off", url: off.url, graphql: true, watch: off},
			{name: "service, sharing on (default)", url: on.url, graphql: true, watch: on},
		}
		fmt.Printf("verse panel: signed-out requests over all %d verses, Zipf s=%.1f, %d connections, loopback, the fake answers in %s;\n",
			upstream.Verses, zipfS, o.conns, o.latency)
		fmt.Printf("each target alone: %s warm-up, then %s measured (at most %d requests each)\n", o.warmup, o.duration, o.maxRequests)
		fmt.Printf("sharing off: PUBLIC_SHARE_TTL=0 PUBLIC_COALESCE=false; on: the defaults (PUBLIC_SHARE_TTL 60s)\n")
		ready := map[string]bool{}
		for _, t := range targets {
			if err := panelCheck(t, bodies); err != nil {
				fmt.Printf("%-30s not measured: %v\n", t.name, err)
				continue
			}
			ready[t.name] = true
		}
		if ready[targets[0].name] && ready[targets[1].name] {
			n, err := panelAgrees(targets[1], targets[0], bodies)
			if err != nil {
				return err
			}
			fmt.Printf("%-30s same reflections as the proxy's feed pages for 51 verses, %d of them with reflections\n", "service, sharing off", n)
		}
		fmt.Println()
		fmt.Printf("%-30s %9s %9s %9s %7s %7s | %-27s | %-27s %7s\n", "", "", "", "", "", "",
			"upstream calls/request, all", "after warm-up", "")
		fmt.Printf("%-30s %9s %9s %9s %7s %7s | %6s %6s %6s %6s | %6s %6s %6s %6s %7s\n", "target", "req/s", "p50", "p99", "httpErr", "gqlErr",
			"feed", "cont.", "other", "total", "feed", "cont.", "other", "total", "peakRSS")
		results := map[string]*panelResult{}
		for _, t := range targets {
			if !ready[t.name] {
				continue
			}
			r := drivePanel(t, bodies, o.conns, o.warmup, o.duration, o.maxRequests, up.url)
			results[t.name] = &r
			panelReport(t.name, r)
		}
		// What a service shares must be what it would have fetched: asked
		// again now, its copies warm, each service must still answer the
		// proxy's pages. A service that answered one verse with another's
		// reflections made fewer calls by being wrong.
		fmt.Println()
		for _, t := range targets[1:] {
			if results[t.name] == nil || !ready[targets[0].name] {
				continue
			}
			n, err := panelAgrees(t, targets[0], bodies)
			if err != nil {
				results[t.name].wrong = err
				fmt.Printf("%-30s WRONG ANSWERS after its run: %v\n", t.name, err)
				continue
			}
			fmt.Printf("%-30s after its run, still the proxy's reflections for 51 verses, %d of them with reflections\n", t.name, n)
		}
		fmt.Println()
		panelTargets(results[targets[0].name], results[targets[1].name], results[targets[2].name], o.conns)
		return nil
	})
}

func panelReport(name string, r panelResult) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	per := func(n, requests int) string { return fmt.Sprintf("%.3f", float64(n)/float64(max(requests, 1))) }
	all := r.warm.requests + r.measured.requests
	c := calls{r.warmCalls.feed + r.measuredCalls.feed, r.warmCalls.content + r.measuredCalls.content, r.warmCalls.other + r.measuredCalls.other}
	m, mc := r.measured, r.measuredCalls
	rss := ""
	if r.peak.rssKB > 0 {
		rss = fmt.Sprintf("%.0fMB", float64(r.peak.rssKB)/1024)
	}
	fmt.Printf("%-30s %9.0f %9s %9s %7d %7d | %6s %6s %6s %6s | %6s %6s %6s %6s %7s\n", name, float64(m.requests)/m.elapsed.Seconds(),
		ms(m.percentile(0.50)), ms(m.percentile(0.99)), r.warm.httpErrors+m.httpErrors, r.warm.gqlErrors+m.gqlErrors,
		per(c.feed, all), per(c.content, all), per(c.other, all), per(c.total(), all),
		per(mc.feed, m.requests), per(mc.content, m.requests), per(mc.other, m.requests), per(mc.total(), m.requests), rss)
	codes := map[string]int{}
	for _, res := range []result{r.warm, m} {
		for code, n := range res.codes {
			codes[code] += n
		}
	}
	if len(codes) > 0 {
		var parts []string
		for code, n := range codes {
			parts = append(parts, fmt.Sprintf("%s %d", code, n))
		}
		slices.Sort(parts)
		fmt.Printf("%-30s errors: %s\n", "", strings.Join(parts, ", "))
	}
}

// panelTargets prints the measurements beside the targets (missing
// ones: the target was not measured).
func panelTargets(proxy, off, on *panelResult, conns int) {
	judge := func(r *panelResult) func(ok bool) string {
		return func(ok bool) string {
			switch {
			case r.wrong != nil:
				return "NOT COUNTED (wrong answers)"
			case ok:
				return "met"
			}
			return "NOT MET"
		}
	}
	rate := func(r result) float64 { return float64(r.requests) / r.elapsed.Seconds() }
	per := func(n, requests int) float64 { return float64(n) / float64(max(requests, 1)) }
	fmt.Printf("against issue 23's targets (set for 64 connections; measured at %d):\n", conns)
	for _, r := range []*panelResult{on, off} {
		if r != nil && r.wrong != nil {
			fmt.Println("  (a service gave wrong answers, above: its figures do not count, whatever they meet)")
			break
		}
	}
	if on != nil {
		verdict := judge(on)
		c := per(on.measuredCalls.total(), on.measured.requests)
		fmt.Printf("  sharing on:  %.3f upstream calls/request after warm-up   target ≤ %.2f   %s\n", c, targetSharedCalls, verdict(c <= targetSharedCalls))
		if proxy != nil && proxy.measured.requests > 0 {
			t := rate(on.measured) / rate(proxy.measured)
			p := float64(on.measured.percentile(0.99)) / float64(max(proxy.measured.percentile(0.99), 1))
			fmt.Printf("  sharing on:  throughput %.2f× the proxy's                 target ≥ %.0f×     %s\n", t, targetThroughput, verdict(t >= targetThroughput))
			fmt.Printf("  sharing on:  p99 %.2f× the proxy's                        target ≤ %.0f×     %s\n", p, targetP99, verdict(p <= targetP99))
		}
	} else {
		fmt.Println("  sharing on:  not measured")
	}
	if off != nil {
		verdict := judge(off)
		c := per(off.measuredCalls.total(), off.measured.requests)
		fmt.Printf("  sharing off: %.3f upstream calls/request after warm-up   target 1        %s\n", c, verdict(c >= 0.99 && c <= 1.01))
		fmt.Printf("  sharing off: %d verse-text (Content API) calls after warm-up   target 0   %s\n", off.measuredCalls.content, verdict(off.measuredCalls.content == 0))
		if proxy != nil && proxy.measured.requests > 0 {
			fmt.Printf("  sharing off: throughput %.2f× the proxy's, p99 %.2f× (no target)\n", rate(off.measured)/rate(proxy.measured),
				float64(off.measured.percentile(0.99))/float64(max(proxy.measured.percentile(0.99), 1)))
		}
	} else {
		fmt.Println("  sharing off: not measured")
	}
}

// runVersePanel checks the flags of the mode, giving those left unset its own
// defaults (set reports whether a flag was given), and runs it.
func runVersePanel(set func(name string) bool, latency, duration, warmup time.Duration, conns string, maxRequests int, server, extraEnv string) error {
	o := panelOptions{conns: panelConns, warmup: warmup, duration: duration, latency: latency,
		maxRequests: maxRequests, server: server, extraEnv: extraEnv}
	if !set("latency") {
		o.latency = panelLatency
	}
	if !set("duration") {
		o.duration = panelDuration
	}
	if set("conns") {
		n, err := strconv.Atoi(strings.TrimSpace(conns))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-conns: one number of connections, 1 to 1024, with -verse-panel, not %q", conns)
		}
		o.conns = n
	}
	switch {
	case o.duration <= 0 || o.duration > 2*time.Minute:
		return errors.New("-duration: between 0 and 2m")
	case o.warmup < 0 || o.warmup > 2*time.Minute:
		return errors.New("-warmup: between 0 and 2m")
	case o.latency < 0 || o.latency > 2*time.Second:
		return errors.New("-latency: between 0 and 2s")
	case maxRequests < 1:
		return errors.New("-requests: at least 1")
	}
	return versePanel(o)
}
