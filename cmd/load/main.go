// Command load measures the service against two baselines in one run, all on
// loopback: the fake upstream hit directly, and a bare one-hop proxy (the ceiling
// of any facade that makes one upstream call per request). It starts the fake,
// the proxy and the service as child processes in its own session and process
// group (a new session gets its own scheduler group on this kind of machine,
// which would skew the comparison), drives each with a closed loop of
// connections, and prints requests/s, p50/p90/p99 latency, errors and upstream
// calls per request, and the service's throughput and p99 against the proxy's.
// The targets take turns (-rounds), so that a machine whose speed drifts
// during the run does not favour one of them. Every run is bounded in time and
// in requests. With -verse-panel it measures quran.com's verse panel instead
// (panel.go).
//
//	go run ./cmd/load                       # the standard table
//	go run ./cmd/load -duration 5s -conns 1,4,32
//	go run ./cmd/load -verse-panel          # 60s warm-up, then 30s measured, per target
//	go run ./cmd/load -verse-panel -duration 20s -warmup 5s
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

func main() {
	role := flag.String("role", "", "internal: run as the fake upstream (fake) or the bare proxy (proxy)")
	upstreamURL := flag.String("upstream", "", "internal: the fake's URL, for the proxy")
	latency := flag.Duration("latency", 0, "the fake upstream's latency per answer")
	duration := flag.Duration("duration", 5*time.Second, "how long each measurement runs")
	rounds := flag.Int("rounds", 5, "split each measurement into this many turns, taken by the targets in turn")
	maxRequests := flag.Int("requests", 2_000_000, "at most this many requests per measurement")
	connsFlag := flag.String("conns", "1,4,32", "concurrent connections to measure with")
	server := flag.String("server", "", "the service binary (default: go build . into a temporary folder)")
	serviceEnvFlag := flag.String("service-env", "", "extra environment for the service only, comma-separated (e.g. GOGC=400)")
	sharing := flag.Bool("sharing", true, "also measure 32 anonymous clients on 10 hot rooms with sharing off and on")
	latencyBound := flag.Bool("latency-bound", false, "the latency-bound preset: -latency 50ms -conns 256,1024 -sharing=false -duration 10s")
	floor := flag.Bool("floor", false, "also measure gqlgen alone (the service's schema, one upstream GET, nothing else): the ceiling of any facade built on the same stack")
	degradeFlag := flag.Bool("degrade", false, "256 clients on the service for 15 s; the fake answers in 50 ms, then 2 s from the 5th second, then 50 ms again from the 10th: prints each second")
	versePanelFlag := flag.Bool("verse-panel", false, "signed-out verse panels over all 6,236 verses (Zipf s=1.1) at the service with sharing on and off and at a one-hop proxy of the feed; its own defaults: -latency 20ms -conns 64 (one number) -duration 30s; each target runs alone, warm-up then measurement (-rounds does not apply)")
	warmup := flag.Duration("warmup", time.Minute, "-verse-panel: how long each target runs before it is measured")
	flag.Parse()
	if *versePanelFlag && *role == "" {
		given := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if err := runVersePanel(func(name string) bool { return given[name] }, *latency, *duration, *warmup, *connsFlag, *maxRequests, *server, *serviceEnvFlag); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if *degradeFlag {
		if err := degrade(*server); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if *latencyBound {
		*latency, *connsFlag, *sharing, *duration = 50*time.Millisecond, "256,1024", false, 10*time.Second
	}

	var err error
	switch *role {
	case "fake":
		err = serveFake(*latency)
	case "proxy":
		err = serveProxy(*upstreamURL)
	case "floor":
		err = serveFloor(*upstreamURL)
	case "panel-proxy":
		err = servePanelProxy(*upstreamURL)
	case "":
		err = run(*duration, *rounds, *maxRequests, *connsFlag, *server, *latency, *sharing, *floor, *serviceEnvFlag)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// target is one thing to load: how to make its request and check its answer.
type target struct {
	name    string
	method  string
	url     string
	body    []byte
	headers map[string]string
	graphql bool
	watch   *child // the process whose peak memory and goroutines to report, if any
}

// request is one request to t.
func (t target) request() *http.Request {
	req, _ := http.NewRequest(t.method, t.url, bytes.NewReader(t.body))
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	return req
}

type result struct {
	requests, httpErrors, gqlErrors int
	elapsed                         time.Duration
	latencies                       []time.Duration
	upstreamCalls                   int
	codes                           map[string]int // answers with errors, by their first error's code
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

// drive runs conns closed loops against t for d (or until max requests).
func drive(t target, conns int, d time.Duration, max int, fakeURL string) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var (
		mu    sync.Mutex
		res   = result{codes: map[string]int{}}
		count int
		wg    sync.WaitGroup
	)
	send := func() (time.Duration, bool, bool) {
		req := t.request()
		begin := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return time.Since(begin), false, false
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		lat := time.Since(begin)
		okHTTP := err == nil && resp.StatusCode == http.StatusOK
		okGQL := !t.graphql || !bytes.Contains(body, []byte(`"errors"`))
		if !okGQL {
			mu.Lock()
			res.codes[errorCode(body)]++
			mu.Unlock()
		}
		return lat, okHTTP, okGQL
	}
	// Warm up connections, caches and the service's token.
	warm := time.Now()
	for time.Since(warm) < 300*time.Millisecond {
		send()
	}
	before := fakeStats(fakeURL)
	begin := time.Now()
	deadline := begin.Add(d)
	for range conns {
		wg.Go(func() {
			var lats []time.Duration
			var httpErr, gqlErr int
			for time.Now().Before(deadline) {
				mu.Lock()
				if count >= max {
					mu.Unlock()
					break
				}
				count++
				mu.Unlock()
				lat, okHTTP, okGQL := send()
				lats = append(lats, lat)
				if !okHTTP {
					httpErr++
				} else if !okGQL {
					gqlErr++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lats...)
			res.httpErrors += httpErr
			res.gqlErrors += gqlErr
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(begin)
	res.requests = len(res.latencies)
	res.upstreamCalls = fakeStats(fakeURL) - before
	slices.Sort(res.latencies)
	return res
}

const singleRoom = `{"query":"query Room { room(id: \"1\") { id name roomType createdAt isOwner privateToken mutualFollowersCount mutualFollowers { id username createdAt verified postsCount } } }"}`

func run(d time.Duration, rounds, max int, connsFlag, server string, latency time.Duration, sharing, floor bool, extraEnv string) error {
	var conns []int
	for c := range strings.SplitSeq(connsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-conns: %q", c)
		}
		conns = append(conns, n)
	}
	if d <= 0 || d > 2*time.Minute {
		return errors.New("-duration: between 0 and 2m")
	}
	if rounds < 1 || rounds > 20 || d/time.Duration(rounds) < 500*time.Millisecond {
		return errors.New("-rounds: between 1 and 20, of at least 500ms each")
	}
	return withFake(server, latency, func(ctx context.Context, self, server string, up *child) error {
		proxy, err := start(ctx, nil, self, "-role", "proxy", "-upstream", up.url)
		if err != nil {
			return err
		}
		defer proxy.stop()
		serviceEnv := func(extra ...string) []string {
			return serviceEnv(up.url, append(splitEnv(extraEnv), extra...)...)
		}
		svc, err := start(ctx, serviceEnv(), server)
		if err != nil {
			return err
		}
		defer svc.stop()

		auth := map[string]string{"Authorization": "Bearer demo-aisha"}
		gqlHeaders := map[string]string{"Authorization": "Bearer demo-aisha", "Content-Type": "application/json"}
		targets := []target{
			{name: "fake upstream, direct GET", method: http.MethodGet, url: up.url + "/quran-reflect/v1/rooms/1",
				headers: map[string]string{"x-auth-token": "demo-aisha", "x-client-id": fake.DemoClientID}},
			{name: "bare one-hop proxy", method: http.MethodPost, url: proxy.url + "/query", body: []byte(singleRoom), headers: auth},
			{name: "service: room + mutual followers", method: http.MethodPost, url: svc.url + "/query", body: []byte(singleRoom), headers: gqlHeaders, graphql: true, watch: svc},
		}
		if floor {
			fl, err := start(ctx, nil, self, "-role", "floor", "-upstream", up.url)
			if err != nil {
				return err
			}
			defer fl.stop()
			t := targets[2]
			t.name, t.url, t.watch = floorName, fl.url+"/query", fl
			if err := sameAnswers(targets[2], t); err != nil {
				return err
			}
			targets = append(targets, t)
		}
		fmt.Printf("load: %s per measurement, in %d turns taken by the targets in turn, loopback, %d CPUs; the fake answers in %s\n\n", d, rounds, goruntime.NumCPU(), latency)
		fmt.Printf("%-36s %5s %10s %9s %9s %9s %8s %8s %10s %9s %6s\n", "target", "conns", "req/s", "p50", "p90", "p99", "httpErr", "gqlErr", "upstr/req", "peakRSS", "gorout")
		for _, c := range conns {
			ms := measure(targets, c, rounds, d, max, up.url)
			for _, m := range ms {
				report(m.t.name, c, m.r, m.peak)
			}
			compare(ms, "proxy", targets[1].name, targets[2].name)
			compare(ms, "floor", floorName, targets[2].name)
		}
		if sharing {
			fmt.Printf("\n32 anonymous clients, each request reading the same 10 hot rooms:\n")
			hot := func(url string) target {
				var b bytes.Buffer
				b.WriteString(`{"query":"{ `)
				for i := range 10 {
					fmt.Fprintf(&b, `r%d: room(id: \"%d\") { id name } `, i, i+1)
				}
				b.WriteString(`}"}`)
				return target{method: http.MethodPost, url: url + "/query", body: b.Bytes(),
					headers: map[string]string{"Content-Type": "application/json"}, graphql: true}
			}
			for _, mode := range []struct {
				name string
				env  []string
			}{
				{"sharing off", nil},
				{"sharing on (coalesce, 10s cache)", []string{"ROOM_CACHE_TTL=10s", "ROOM_COALESCE=true"}},
			} {
				s, err := start(ctx, serviceEnv(mode.env...), server)
				if err != nil {
					return err
				}
				t := hot(s.url)
				t.name = "service, " + mode.name
				var peak peaks
				stop := peak.watch(s)
				r := drive(t, 32, d, max, up.url)
				stop()
				report(t.name, 32, r, peak)
				fmt.Printf("%-36s upstream calls/s: %.0f\n", "", float64(r.upstreamCalls)/r.elapsed.Seconds())
				s.stop()
			}
		}
		return nil
	})
}

func report(name string, conns int, r result, p peaks) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	rss, gor := "", ""
	if p.rssKB > 0 {
		rss, gor = fmt.Sprintf("%.0fMB", float64(p.rssKB)/1024), fmt.Sprint(p.goroutines)
	}
	fmt.Printf("%-36s %5d %10.0f %9s %9s %9s %8d %8d %10.2f %9s %6s\n", name, conns, float64(r.requests)/r.elapsed.Seconds(),
		ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)), r.httpErrors, r.gqlErrors,
		float64(r.upstreamCalls)/float64(max(r.requests, 1)), rss, gor)
	if len(r.codes) > 0 {
		var parts []string
		for code, n := range r.codes {
			parts = append(parts, fmt.Sprintf("%s %d", code, n))
		}
		slices.Sort(parts)
		fmt.Printf("%-36s errors: %s\n", "", strings.Join(parts, ", "))
	}
}
