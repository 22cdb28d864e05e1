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
