// What the verse panel checks and prints: that the service answers what the
// proxy's feed pages hold, and the results against issue 23's targets.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

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
