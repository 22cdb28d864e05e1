package loader_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

const (
	aisha = "Authorization: Bearer demo-aisha"
	bilal = "Authorization: Bearer demo-bilal"
)

// prove makes a token's first call, which proves it: from then on it spends a
// budget of its own.
func prove(t *testing.T, env *servicetest.Env, header string) {
	t.Helper()
	if resp := env.Post(t, `{ room(id: "1") { id } }`, nil, header); len(resp.Errors) > 0 {
		t.Fatalf("the first call of %q: %v", header, resp.Errors)
	}
}

// receive is the next code, failing the test rather than hanging it when a
// request that should have been answered is stuck.
func receive(t *testing.T, codes <-chan string) string {
	t.Helper()
	select {
	case code := <-codes:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("no answer in 10s")
		return ""
	}
}

// TestInventedTokensNeverBlockAProvenToken (issue 13, finding 3): invented
// tokens spend their address's budget of refused tokens, and a token the
// upstream has accepted is never blocked by them, even from the same address.
// Before, 25 invented tokens locked every token on the address out.
func TestInventedTokensNeverBlockAProvenToken(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{BadTokenLimit: &guard.CallerLimit{PerSecond: 0.001, Burst: 5}}})
	prove(t, env, aisha)
	env.Fake.ResetStats()
	limited := 0
	for i := range 30 {
		resp := env.Post(t, `{ room(id: "1") { id } }`, nil, fmt.Sprintf("Authorization: Bearer invented-%d", i))
		switch resp.Code("room") {
		case errcode.RateLimited:
			limited++
		case errcode.Unauthenticated:
		default:
			t.Errorf("invented token %d: %v", i, resp.Errors)
		}
	}
	if got := env.Fake.Stats().RoomCalls; got != 5 || limited != 25 {
		t.Errorf("%d upstream calls and %d refusals, want 5 and 25", got, limited)
	}
	if resp := env.Post(t, `{ room(id: "1") { id } }`, nil, aisha); len(resp.Errors) > 0 {
		t.Errorf("a proven token from the same address: %v; want it served", resp.Errors)
	}
	// A token not yet proven is the address's until the upstream accepts it:
	// it waits with the invented ones.
	if resp := env.Post(t, `{ room(id: "1") { id } }`, nil, bilal); resp.Code("room") != errcode.RateLimited {
		t.Errorf("an unproven token from the same address: %v; want RATE_LIMITED", resp.Errors)
	}
}

// TestAnInventedTokenCostsOneCall: one call per unproven token goes to the
// upstream; the token's other calls wait for its verdict and share it.
func TestAnInventedTokenCostsOneCall(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Post(t, `{ room(id: "1") { id } }`, nil) // warm the service token
	env.Fake.ResetStats()
	resp := env.Post(t, `{ rooms(ids: ["1","2","3","4","5"]) { id } }`, nil, "Authorization: Bearer invented")
	unauthenticated := 0
	for _, e := range resp.Errors {
		if e.Extensions["code"] == errcode.Unauthenticated {
			unauthenticated++
		}
	}
	if calls := env.Fake.Stats().RoomCalls; calls != 1 || unauthenticated != 5 {
		t.Errorf("%d upstream calls, %d UNAUTHENTICATED; want 1 and 5: %v", calls, unauthenticated, resp.Errors)
	}
	// A real token's lookups all run once it is proven.
	env.Fake.ResetStats()
	resp = env.Post(t, `{ rooms(ids: ["1","2","3","4","5"]) { id } }`, nil, aisha)
	if calls := env.Fake.Stats().RoomCalls; calls != 5 || len(resp.Errors) > 0 {
		t.Errorf("%d upstream calls, errors %v; want 5 and none", calls, resp.Errors)
	}
}

// TestRefusedTokenBudgetCountsCallsInFlight (finding 5, second half): the
// budget of refused tokens is held by calls in flight, so invented tokens sent
// all at once cannot all pass a check made before any of them is answered.
// Before, 749 upstream 401s came back in 20 s against a budget of about 60.
func TestRefusedTokenBudgetCountsCallsInFlight(t *testing.T) {
	const budget, sent = 5, 20
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{BadTokenLimit: &guard.CallerLimit{PerSecond: 0.001, Burst: budget}}})
	env.Post(t, `{ room(id: "1") { id } }`, nil) // warm the service token
	env.Fake.ResetStats()
	reached, release := env.Fake.HoldRooms(budget)
	defer release()
	codes := make(chan string, sent)
	for i := range sent {
		go func() {
			resp := env.Post(t, `{ room(id: "1") { id } }`, nil, fmt.Sprintf("Authorization: Bearer invented-%d", i))
			codes <- resp.Code("room")
		}()
	}
	// The calls over the budget are refused while the first are still held.
	for range sent - budget {
		if code := receive(t, codes); code != errcode.RateLimited {
			t.Fatalf("a call over the budget: %q, want RATE_LIMITED while the budget's calls are in flight", code)
		}
	}
	<-reached
	release()
	for range budget {
		if code := receive(t, codes); code != errcode.Unauthenticated {
			t.Errorf("a call within the budget: %q, want UNAUTHENTICATED", code)
		}
	}
	if got := env.Fake.Stats().RoomCalls; got != budget {
		t.Errorf("%d upstream calls, want %d", got, budget)
	}
}

// TestOneCallerCannotTakeEverySlot (finding 5): one caller holds at most its
// share of the upstream calls in flight, so another caller's call gets a slot
// while the first one's flood waits on a stalled upstream. Before, one address
// on 20 connections held all 64 slots and a signed-in user waited 4-8 s.
func TestOneCallerCannotTakeEverySlot(t *testing.T) {
	const share, flood = 2, 6
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.Upstream.MaxConcurrent = share + 1
		c.CallerMaxInFlight = share
	}})
	prove(t, env, aisha)
	reached, release := env.Fake.HoldRooms(share)
	defer release()
	codes := make(chan string, flood)
	for i := range flood {
		go func() {
			resp := env.Post(t, `query($id: ID!) { room(id: $id) { id } }`, map[string]any{"id": fmt.Sprint(10 + i)})
			codes <- resp.Code("room")
		}()
	}
	<-reached // the flood holds its share of the slots, the rest of it waits
	// Another caller's lookup (a user, which the hold does not stop) gets the
	// slot left.
	if resp := env.Post(t, `{ user(username: "aisha") { username } }`, nil, aisha); len(resp.Errors) > 0 {
		t.Errorf("another caller during the flood: %v; want it served", resp.Errors)
	}
	// ...while the flood's calls are still held: it did not wait for them to
	// give up their slots.
	if got := env.Fake.Stats().Cancelled; got > 0 {
		t.Errorf("%d of the flood's calls gave up before the other caller was served", got)
	}
	release()
	for range flood {
		if code := receive(t, codes); code != "" && code != errcode.RateLimited {
			t.Errorf("the flood: %q, want an answer or RATE_LIMITED", code)
		}
	}
	if got := env.Fake.Stats().MaxInFlight; got > share+1 {
		t.Errorf("%d upstream calls in flight at once, want at most %d", got, share+1)
	}
}
