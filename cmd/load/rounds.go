package main

import (
	"fmt"
	"slices"
	"time"
)

// measured is one target's result over every round, with the service's peaks.
type measured struct {
	t    target
	r    result
	peak peaks
}

// measure runs every target at conns in rounds: each round gives each target
// d/rounds in turn, so that a machine whose speed drifts during the run (other
// tenants, its clock frequency) drifts for every target alike, and the
// comparison between them holds. A target's rounds are summed.
func measure(targets []target, conns, rounds int, d time.Duration, maxRequests int, fakeURL string) []measured {
	out := make([]measured, len(targets))
	for i, t := range targets {
		out[i].t = t
		out[i].r.codes = map[string]int{}
	}
	for range rounds {
		for i, t := range targets {
			var p peaks
			stop := func() {}
			if t.watch != nil {
				stop = p.watch(t.watch)
			}
			r := drive(t, conns, d/time.Duration(rounds), max(maxRequests/rounds, 1), fakeURL)
			stop()
			out[i].r.add(r)
			out[i].peak.rssKB = max(out[i].peak.rssKB, p.rssKB)
			out[i].peak.goroutines = max(out[i].peak.goroutines, p.goroutines)
		}
	}
	for i := range out {
		slices.Sort(out[i].r.latencies)
	}
	return out
}

// add sums o into r; the caller sorts the latencies once at the end.
func (r *result) add(o result) {
	r.requests += o.requests
	r.httpErrors += o.httpErrors
	r.gqlErrors += o.gqlErrors
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
	r.upstreamCalls += o.upstreamCalls
	for code, n := range o.codes {
		r.codes[code] += n
	}
}

// compare prints how the service did against a baseline (the proxy, the
// floor) in the same rounds: the ratio of their throughputs and of their p99
// latencies.
func compare(ms []measured, label, baseline, service string) {
	var p, s *measured
	for i := range ms {
		switch ms[i].t.name {
		case baseline:
			p = &ms[i]
		case service:
			s = &ms[i]
		}
	}
	if p == nil || s == nil || p.r.requests == 0 || s.r.requests == 0 {
		return
	}
	rate := func(r result) float64 { return float64(r.requests) / r.elapsed.Seconds() }
	fmt.Printf("%-36s throughput %.2f of the %s's, p99 %.2f× the %s's\n", "  service against the "+label+":",
		rate(s.r)/rate(p.r), label, float64(s.r.percentile(0.99))/float64(max(p.r.percentile(0.99), 1)), label)
}
