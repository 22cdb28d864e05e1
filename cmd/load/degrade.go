package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// degrade drives 256 clients at the service for 15 s while the fake slows
// from 50 ms to 2 s in the 5th second and recovers in the 10th, and prints,
// each second: answers, errors by code, p99, the adaptive limit, the queue,
// the service's resident memory and goroutines.
func degrade(server string) error {
	return withFake(server, 50*time.Millisecond, func(ctx context.Context, _, server string, up *child) error {
		return degradeAgainst(ctx, server, up)
	})
}

func degradeAgainst(ctx context.Context, server string, up *child) error {
	const clients, seconds = 256, 15
	svc, err := start(ctx, serviceEnv(up.url, "LOG_LEVEL=error"), server)
	if err != nil {
		return err
	}
	defer svc.stop()
	setLatency := func(d string) {
		if resp, err := http.Post(up.url+"/__latency?d="+d, "text/plain", nil); err == nil {
			resp.Body.Close()
		}
	}

	type second struct {
		ok        int
		codes     map[string]int
		latencies []time.Duration
	}
	stats := make([]second, seconds)
	for i := range stats {
		stats[i].codes = map[string]int{}
	}
	var mu sync.Mutex
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	begin := time.Now()
	deadline := begin.Add(seconds * time.Second)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodPost, svc.url+"/query", strings.NewReader(singleRoom))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer demo-aisha")
				sent := time.Now()
				resp, err := client.Do(req)
				code := "transport"
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					code = "ok"
					if m := codeField.FindSubmatch(body); m != nil {
						code = string(m[1])
					} else if !bytes.Contains(body, []byte(`"data"`)) {
						code = "HTTP " + strconv.Itoa(resp.StatusCode)
					}
				}
				at := int(time.Since(begin) / time.Second)
				if at >= seconds {
					return
				}
				mu.Lock()
				s := &stats[at]
				s.latencies = append(s.latencies, time.Since(sent))
				if code == "ok" {
					s.ok++
				} else {
					s.codes[code]++
				}
				mu.Unlock()
			}
		})
	}
	type gauge struct{ limit, queued, goroutines, rssKB int }
	gauges := make([]gauge, seconds)
	for i := range seconds {
		switch i {
		case 5:
			setLatency("2s")
		case 10:
			setLatency("50ms")
		}
		time.Sleep(time.Until(begin.Add(time.Duration(i+1) * time.Second)))
		m := metrics(svc.url)
		gauges[i] = gauge{limit: m["upstream_concurrency_limit"], queued: m["upstream_queued_calls"],
			goroutines: m["go_goroutines"], rssKB: highWater(svc.cmd.Process.Pid)}
	}
	wg.Wait()
	fmt.Printf("degrade: %d clients on the service; the fake answers in 50 ms, 2 s from second 5, 50 ms again from second 10\n\n", clients)
	fmt.Printf("%4s %6s %9s %6s %6s %6s %8s  %s\n", "sec", "ok", "p99", "limit", "queue", "gorout", "peakRSS", "errors")
	for i, s := range stats {
		slices.Sort(s.latencies)
		p99 := time.Duration(0)
		if n := len(s.latencies); n > 0 {
			p99 = s.latencies[min(n-1, n*99/100)]
		}
		var errs []string
		for code, n := range s.codes {
			errs = append(errs, fmt.Sprintf("%s %d", code, n))
		}
		slices.Sort(errs)
		g := gauges[i]
		fmt.Printf("%4d %6d %9s %6d %6d %6d %7dM  %s\n", i, s.ok, p99.Round(time.Millisecond), g.limit, g.queued, g.goroutines, g.rssKB/1024, strings.Join(errs, ", "))
	}
	return nil
}

// metrics reads the service's /metrics gauges by name (unlabelled ones).
func metrics(base string) map[string]int {
	out := map[string]int{}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && !strings.HasPrefix(name, "#") && !strings.Contains(name, "{") {
			f, _ := strconv.ParseFloat(value, 64)
			out[name] = int(f)
		}
	}
	return out
}
