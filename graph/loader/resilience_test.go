package loader_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// TestFaultsInOneQuery: flaky, failing, reset, slow and rate-limited rooms next
// to healthy ones. Each gets its code after the expected attempts, and the
// healthy fields are served.
func TestFaultsInOneQuery(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.Upstream.AttemptTimeout = 50 * time.Millisecond }})
	// Proven first: a new token's first call goes alone and its others wait
	// for it, which would line the failures up past the breaker's threshold.
	env.Post(t, `{ room(id: "9") { id } }`, nil, "Authorization: Bearer demo-aisha")
	env.Fake.SetFault("1", fake.Fault{Status: 503, Times: 2}) // flaky, then fine
	env.Fake.SetFault("2", fake.Fault{Status: 503})           // down
	env.Fake.SetFault("3", fake.Fault{Reset: true})           // connection reset
	env.Fake.SetFault("4", fake.Fault{Hang: true})            // slow: every attempt times out
	env.Fake.SetFault("5", fake.Fault{Status: 429, RetryAfter: "3600"})
	env.Fake.SetFault("6", fake.Fault{Status: 200, Body: "{\"id\": 6, \"na"})
	resp := env.Post(t, `{
		flaky: room(id: "1") { id } down: room(id: "2") { id } reset: room(id: "3") { id }
		slow: room(id: "4") { id } limited: room(id: "5") { id } garbage: room(id: "6") { id }
		ok: rooms(ids: ["7", "8"]) { id name }
	}`, nil, "Authorization: Bearer demo-aisha")

	for _, c := range []struct {
		path     string
		code     string
		attempts int
	}{
		{"flaky", "", 3}, {"down", errcode.Upstream, 3}, {"reset", errcode.Upstream, 3},
		{"slow", errcode.Upstream, 3}, {"limited", errcode.RateLimited, 1}, {"garbage", errcode.Upstream, 1},
	} {
		if got := resp.Code(c.path); got != c.code {
			t.Errorf("%s: code %q, want %q", c.path, got, c.code)
		}
		id := map[string]string{"flaky": "1", "down": "2", "reset": "3", "slow": "4", "limited": "5", "garbage": "6"}[c.path]
		got := env.Fake.Stats().CallsByID[id]
		// net/http itself replays a GET once when a reused keep-alive
		// connection dies, so a reset may be seen more often than we attempt.
		if got != c.attempts && !(c.path == "reset" && got >= c.attempts) {
			t.Errorf("%s: %d attempts, want %d", c.path, got, c.attempts)
		}
	}
	if servicetest.At(resp.Data, "flaky", "id") != "1" {
		t.Errorf("the flaky room was not served after its retries: %v", resp.Errors)
	}
	if servicetest.At(resp.Data, "ok", 0, "name") == nil || servicetest.At(resp.Data, "ok", 1, "name") == nil {
		t.Errorf("healthy rooms suffered: %s", resp.Raw)
	}
	for _, e := range resp.Errors {
		if servicetest.PathOf(e.Path) == "limited" && e.Extensions["retryAfter"] != any(servicetest.JSONNumber("3600")) {
			t.Errorf("retryAfter = %v, want 3600", e.Extensions["retryAfter"])
		}
	}
}

// TestRequestDeadline: a request that runs out of time answers with codes, and
// its upstream calls are cancelled.
func TestRequestDeadline(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.Upstream.AttemptTimeout, c.RequestTimeout = time.Minute, 50*time.Millisecond
	}})
	// Proven first: the first call of a new token is its probe, and a token's
	// other calls wait for the probe's verdict, here the hanging one's.
	env.Post(t, `{ room(id: "1") { id } }`, nil, "Authorization: Bearer demo-aisha")
	env.Fake.SetFault("4", fake.Fault{Hang: true})
	resp := env.Post(t, `{ slow: room(id: "4") { id } ok: room(id: "5") { id } }`, nil, "Authorization: Bearer demo-aisha")
	if resp.Status != 200 || resp.Code("slow") != errcode.Upstream || servicetest.At(resp.Data, "ok", "id") != "5" {
		t.Errorf("status %d: %s", resp.Status, resp.Raw)
	}
	select {
	case <-env.Fake.Cancelled():
	case <-time.After(10 * time.Second): // a guard, not a synchronisation
		t.Fatal("the hanging upstream call was never cancelled")
	}
}

func TestCircuitOpenFailsFast(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.Upstream.BreakerFailures = 3 }})
	env.Fake.SetFault("2", fake.Fault{Status: 500})
	for range 3 {
		env.Post(t, `{ room(id: "2") { id } }`, nil, "Authorization: Bearer demo-aisha")
	}
	env.Fake.ResetStats()
	resp := env.Post(t, `{ room(id: "3") { id } }`, nil, "Authorization: Bearer demo-aisha")
	if resp.Code("room") != errcode.Upstream || len(resp.Errors) != 1 || resp.Errors[0].Extensions["circuitOpen"] != true {
		t.Errorf("errors %v, want UPSTREAM_ERROR with circuitOpen", resp.Errors)
	}
	if st := env.Fake.Stats(); st.RoomCalls != 0 {
		t.Errorf("%d calls went upstream while the circuit was open", st.RoomCalls)
	}
}

func TestPerCallerLimit(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.CallerLimit = guard.CallerLimit{PerSecond: 1, Burst: 3} }})
	// The token's first call proves it, on its address's budget; from then on
	// it spends its own.
	if resp := env.Post(t, `{ room(id: "1") { id } }`, nil, "Authorization: Bearer demo-aisha"); len(resp.Errors) > 0 {
		t.Fatalf("the first call: %v", resp.Errors)
	}
	env.Fake.ResetStats()
	resp := env.Post(t, `{ rooms(ids: ["1","2","3","4","5"]) { id } }`, nil, "Authorization: Bearer demo-aisha")
	limited := 0
	for _, e := range resp.Errors {
		if e.Extensions["code"] == errcode.RateLimited {
			limited++
			if e.Extensions["retryAfter"] != any(servicetest.JSONNumber("1")) {
				t.Errorf("retryAfter = %v, want 1", e.Extensions["retryAfter"])
			}
		}
	}
	if limited != 2 || env.Fake.Stats().RoomCalls != 3 {
		t.Errorf("%d limited, %d calls; want 2 and 3: %v", limited, env.Fake.Stats().RoomCalls, resp.Errors)
	}
	// With the budget spent, what needs no upstream call is still served.
	if again := env.Post(t, `{ __typename }`, nil, "Authorization: Bearer demo-aisha"); again.Status != http.StatusOK || len(again.Errors) > 0 {
		t.Errorf("a request that needs no call, with the budget spent: %d %s", again.Status, again.Raw)
	}
	// Another caller has its own bucket.
	env.Fake.ResetStats()
	resp = env.Post(t, `{ rooms(ids: ["1","2","3"]) { id } }`, nil, "Authorization: Bearer demo-bilal")
	if len(resp.Errors) > 0 {
		t.Errorf("another viewer was limited: %v", resp.Errors)
	}
}

// TestCancelledRequestCancelsUpstreamCalls: a client that goes away takes its
// upstream calls with it, and no goroutine of the request outlives it.
func TestCancelledRequestCancelsUpstreamCalls(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Post(t, `{ room(id: "1") { id } }`, nil) // warm the token and connections
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	reached, release := env.Fake.HoldRooms(3)
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.Endpoint,
		bytes.NewReader([]byte(`{"query":"{ rooms(ids: [\"2\",\"3\",\"4\"]) { id } }"}`)))
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{}}
	done := make(chan error, 1)
	go func() {
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-reached
	cancel()
	if err := <-done; err == nil {
		t.Error("the request finished although it was cancelled")
	}
	client.CloseIdleConnections()
	for i := range 3 {
		select {
		case <-env.Fake.Cancelled():
		case <-time.After(10 * time.Second): // a guard, not a synchronisation
			t.Fatalf("only %d of 3 upstream calls saw the cancellation", i)
		}
	}
}
