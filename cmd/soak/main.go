// Command soak runs the service against the fake upstream with injected
// failures and several concurrent viewers, all on loopback, bounded in time and
// in requests, and reports what it saw: requests, answers by error code,
// cross-viewer leaks (must be 0), goroutines before and after, peak memory.
//
//	go run ./cmd/soak -duration 20s -requests 50000 -workers 16
//
// It exits 1 if any viewer ever received another viewer's data.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// viewer is one caller: a demo user token, or "" for anonymous.
type viewer struct{ token string }

// view is what one viewer must see of one room: the viewer-specific fields.
type view struct {
	IsOwner              bool    `json:"isOwner"`
	IsMember             *bool   `json:"isMember"`
	PrivateToken         *string `json:"privateToken"`
	MutualFollowersCount *int    `json:"mutualFollowersCount"`
}

const roomFields = `id isOwner isMember privateToken mutualFollowersCount`

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	duration := fs.Duration("duration", 20*time.Second, "stop after this long")
	maxRequests := fs.Int64("requests", 50_000, "stop after this many requests")
	workers := fs.Int("workers", 16, "concurrent clients")
	sharing := fs.Bool("sharing", false, "share lookups across requests (coalescing and a 10s in-memory room cache), as ROOM_COALESCE and ROOM_CACHE_TTL do")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration > 10*time.Minute || *maxRequests > 5_000_000 {
		return fmt.Errorf("bounded run: at most 10m and 5,000,000 requests")
	}
	logger := slog.New(slog.DiscardHandler)

	// The fake upstream, with failures: down, hanging, garbage, rate-limited,
	// and one that fails every other moment.
	f := fake.New(fake.Options{})
	upURL, stopUp, err := serve(f)
	if err != nil {
		return err
	}
	defer stopUp()

	cfg := service.Defaults()
	cfg.APIBaseURL, cfg.AuthBaseURL = upURL, upURL
	cfg.ClientID, cfg.ClientSecret = fake.DemoClientID, fake.DemoClientSecret
	cfg.Upstream.AttemptTimeout, cfg.Upstream.Budget = 100*time.Millisecond, 500*time.Millisecond
	cfg.Upstream.BackoffBase, cfg.Upstream.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
	// A high threshold: the soak's failing rooms must not open the circuit for the others.
	cfg.Upstream.BreakerFailures = 1_000_000
	cfg.CallerLimit = guard.CallerLimit{PerSecond: 1e6, Burst: 1e6}
	cfg.CallerMaxInFlight = int(cfg.Upstream.MaxConcurrent)
	if *sharing {
		cfg.RoomCoalesce, cfg.RoomCacheTTL = true, 10*time.Second
	}
	svc, err := service.New(context.Background(), cfg, service.Deps{Logger: logger})
	if err != nil {
		return err
	}
	defer svc.Close()
	handler := svc.Handler
	svcURL, stopSvc, err := serve(handler)
	if err != nil {
		return err
	}
	defer stopSvc()

	viewers := []viewer{{"demo-aisha"}, {"demo-bilal"}, {"demo-fatima"}, {""}}
	roomIDs := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "9007199254740993", "1234567890123456789"}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}, Timeout: 10 * time.Second}

	// What each viewer must see, read before any fault is injected.
	want := make(map[string]map[string]view) // token -> room -> view
	for _, v := range viewers {
		resp, err := query(httpc, svcURL, v, `{ rooms(ids: [`+quoteAll(roomIDs)+`]) { `+roomFields+` } }`)
		if err != nil || len(resp.Errors) > 0 {
			return fmt.Errorf("baseline for %q: %v %v", v.token, err, resp.Errors)
		}
		want[v.token] = make(map[string]view)
		for i, id := range roomIDs {
			var got view
			if err := json.Unmarshal(resp.Data.Rooms[i], &got); err != nil {
				return err
			}
			want[v.token][id] = got
		}
	}

	f.SetFault("13", fake.Fault{Status: 503})
	f.SetFault("14", fake.Fault{Hang: true})
	f.SetFault("15", fake.Fault{Status: 200, Body: `{"id": 15, "name": "tru`})
	f.SetFault("16", fake.Fault{Status: 429, RetryAfter: "1"})
	f.SetFault("17", fake.Fault{Reset: true})
	faulty := []string{"13", "14", "15", "16", "17", "999"}

	runtime.GC()
	goroutinesBefore := runtime.NumGoroutine()
	var peakHeap atomic.Uint64
	stopSampling := sampleHeap(&peakHeap)

	var (
		requests, roomsServed, leaks atomic.Int64
		mu                           sync.Mutex
		byCode                       = map[string]int{}
		byStatus                     = map[int]int{}
		leakSamples                  []string
	)
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			v := viewers[w%len(viewers)]
			for ctx.Err() == nil && requests.Add(1) <= *maxRequests {
				ids := make([]string, 1+rng.IntN(8))
				for i := range ids {
					if rng.IntN(4) == 0 {
						ids[i] = faulty[rng.IntN(len(faulty))]
					} else {
						ids[i] = roomIDs[rng.IntN(len(roomIDs))]
					}
				}
				resp, err := query(httpc, svcURL, v, `{ rooms(ids: [`+quoteAll(ids)+`]) { `+roomFields+` } one: room(id: "`+ids[0]+`") { `+roomFields+` } }`)
				mu.Lock()
				if err != nil {
					byCode["transport: "+err.Error()]++
					mu.Unlock()
					continue
				}
				byStatus[resp.status]++
				for _, e := range resp.Errors {
					byCode[e.Extensions.Code]++
				}
				mu.Unlock()
				check := func(id string, raw json.RawMessage) {
					if len(raw) == 0 || string(raw) == "null" {
						return
					}
					roomsServed.Add(1)
					var got view
					if json.Unmarshal(raw, &got) != nil || !sameView(got, want[v.token][id]) {
						leaks.Add(1)
						mu.Lock()
						if len(leakSamples) < 5 {
							leakSamples = append(leakSamples, fmt.Sprintf("viewer %q room %s: %s", v.token, id, raw))
						}
						mu.Unlock()
					}
				}
				for i, raw := range resp.Data.Rooms {
					check(ids[i], raw)
				}
				check(ids[0], resp.Data.One)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopSampling()
	sent := min(requests.Load(), *maxRequests)

	httpc.CloseIdleConnections()
	goroutinesAfter := settledGoroutines(goroutinesBefore) // servers still up
	stopSvc()
	stopUp()
	goroutinesShutdown := settledGoroutines(1)

	fmt.Fprintf(out, "soak: %d workers, %d viewers (3 users + anonymous), %s, loopback only, sharing %v\n", *workers, len(viewers), elapsed.Round(time.Millisecond), *sharing)
	fmt.Fprintf(out, "requests:        %d (%.0f/s)\n", sent, float64(sent)/elapsed.Seconds())
	fmt.Fprintf(out, "HTTP statuses:   %v\n", byStatus)
	fmt.Fprintf(out, "rooms served:    %d\n", roomsServed.Load())
	fmt.Fprintf(out, "errors by code:\n")
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(out, "  %-24s %d\n", c, byCode[c])
	}
	fmt.Fprintf(out, "cross-viewer leaks: %d\n", leaks.Load())
	for _, s := range leakSamples {
		fmt.Fprintf(out, "  %s\n", s)
	}
	fmt.Fprintf(out, "goroutines:      %d before the load, %d after it (servers up), %d after shutdown\n",
		goroutinesBefore, goroutinesAfter, goroutinesShutdown)
	fmt.Fprintf(out, "peak heap:       %.1f MiB (peak RSS %s)\n", float64(peakHeap.Load())/(1<<20), peakRSS())
	if leaks.Load() > 0 {
		return fmt.Errorf("%d cross-viewer leaks", leaks.Load())
	}
	return nil
}

func sameView(a, b view) bool {
	eqB := func(x, y *bool) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqS := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqI := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.IsOwner == b.IsOwner && eqB(a.IsMember, b.IsMember) && eqS(a.PrivateToken, b.PrivateToken) &&
		eqI(a.MutualFollowersCount, b.MutualFollowersCount)
}

type response struct {
	status int
	Data   struct {
		Rooms []json.RawMessage `json:"rooms"`
		One   json.RawMessage   `json:"one"`
	} `json:"data"`
	Errors []struct {
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

func query(c *http.Client, url string, v viewer, q string) (response, error) {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, err := http.NewRequest(http.MethodPost, url+"/query", bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if v.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	var r response
	r.status = resp.StatusCode
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return r, fmt.Errorf("undecodable answer (HTTP %d)", resp.StatusCode)
	}
	return r, nil
}

func quoteAll(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = `"` + id + `"`
	}
	return strings.Join(q, ",")
}

// serve runs h on a loopback port until stop is called.
func serve(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	var once sync.Once
	return "http://" + ln.Addr().String(), func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
		})
	}, nil
}

func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// settledGoroutines waits (at most 3s) for goroutines that are winding down,
// such as closing connections, then counts.
func settledGoroutines(target int) int {
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > target && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return runtime.NumGoroutine()
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
