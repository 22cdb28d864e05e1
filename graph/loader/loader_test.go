package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/99designs/gqlgen/graphql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// testPolicy lets everything through; each test tightens what it is about.
func testPolicy() *Policy {
	return &Policy{
		Logger:      slog.New(slog.DiscardHandler),
		Callers:     guard.NewCallerLimits(guard.DefaultCallerLimit(), time.Now),
		BadTokens:   guard.NewCallerLimits(guard.DefaultBadTokenLimit(), time.Now),
		Proofs:      guard.NewProofs(guard.DefaultProofTTL, time.Now),
		Tracer:      noop.NewTracerProvider().Tracer(""),
		Concurrency: 8,
		MaxCalls:    100,
	}
}

// stopped is a clock that never moves: no bucket refills during a test.
func stopped() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }

// proven is v once the upstream has accepted its token: it spends a budget of
// its own from its next call on.
func proven(t *testing.T, p *Policy, v viewer.Viewer) viewer.Viewer {
	t.Helper()
	settle, err := p.Proofs.Await(t.Context(), v)
	if settle == nil || err != nil {
		t.Fatalf("Await of a new token: settle %v, err %v; want a probe", settle != nil, err)
	}
	settle(guard.Accepted)
	return v
}

// holder is a viewer with token, from ip (anonymous viewers are Viewer{Key: ip, IP: ip}).
func holder(t upstream.UserToken, ip string) viewer.Viewer {
	return viewer.Viewer{Token: t, Key: viewer.TokenKey(t), IP: ip}
}

// inOperation runs f as one operation for v, entered the way gqlgen enters it:
// through the Scope interceptor, which gives the operation its own loaders.
func inOperation(t *testing.T, p *Policy, v viewer.Viewer, f func(ctx context.Context)) {
	t.Helper()
	ctx := viewer.With(graphql.WithOperationContext(t.Context(), &graphql.OperationContext{}), v)
	Scope{Policy: p}.InterceptOperation(ctx, func(ctx context.Context) graphql.ResponseHandler {
		f(ctx)
		return nil
	})
}

// fakeUpstream answers "room <key>", or fail[key], and counts its calls: per
// key, and in all under "".
type fakeUpstream struct {
	fail map[string]error

	mu     sync.Mutex
	calls  map[string]int
	tokens []string // as strings: a UserToken prints as [redacted]
}

func (u *fakeUpstream) fetch(_ context.Context, key string, as upstream.UserToken) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.calls == nil {
		u.calls = make(map[string]int)
	}
	u.calls[key]++
	u.calls[""]++
	u.tokens = append(u.tokens, string(as))
	if err := u.fail[key]; err != nil {
		return "", err
	}
	return "room " + key, nil
}

func (u *fakeUpstream) count(key string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[key]
}

// checkRooms fails for each key whose answer is not the fake's "room <key>".
func checkRooms(t *testing.T, keys, vals []string, errs []error) {
	t.Helper()
	for i, key := range keys {
		if errs[i] != nil || vals[i] != "room "+key {
			t.Errorf("LoadAll[%d] (%q) = %q, %v; want %q", i, key, vals[i], errs[i], "room "+key)
		}
	}
}

func refusedWith(err error, code string) bool {
	var le *errcode.LimitedError
	return errors.As(err, &le) && le.Code == code
}

// TestPrimeClosesOnLastKey runs in a synctest bubble, whose clock only moves
// when every goroutine is blocked: if Prime's batch waited for a timer (its
// capacity not the number of fresh keys), no fetch would have started when
// synctest.Wait returns. All of them started at once, and the spans show one
// batch of that size, so they are one batch's concurrent calls. A single fresh
// key is fetched by its first lookup, still as a batch of one.
func TestPrimeClosesOnLastKey(t *testing.T) {
	tests := []struct {
		name           string
		loaded, prime  []string // loaded earlier in the operation; primed
		want           []string // the fetches Prime starts
		wantBatchSizes []int64
	}{
		{name: "five fresh keys", prime: []string{"1", "2", "3", "4", "5"}, want: []string{"1", "2", "3", "4", "5"}, wantBatchSizes: []int64{5}},
		{name: "one fresh key waits for its lookup", prime: []string{"9"}, want: nil, wantBatchSizes: []int64{1}},
		{name: "keys already loaded are left out", loaded: []string{"1", "3"}, prime: []string{"1", "2", "3", "4"}, want: []string{"2", "4"}, wantBatchSizes: []int64{2, 2}},
		{name: "a key given twice joins once", prime: []string{"1", "2", "1", "3", "2"}, want: []string{"1", "2", "3"}, wantBatchSizes: []int64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := tracetest.NewSpanRecorder()
				p := testPolicy()
				p.Tracer = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("")
				started, release := make(chan string, 100), make(chan struct{})
				rooms := Declare(upstream.EndpointRoom, func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
					if !slices.Contains(tt.loaded, key) { // the earlier loads answer at once
						started <- key
						<-release
					}
					return "room " + key, nil
				})
				inOperation(t, p, viewer.Viewer{}, func(ctx context.Context) {
					rooms.LoadAll(ctx, tt.loaded)
					rooms.Prime(ctx, tt.prime)
					synctest.Wait()
					var got []string
					for len(started) > 0 {
						got = append(got, <-started)
					}
					if slices.Sort(got); !slices.Equal(got, tt.want) {
						t.Errorf("fetches in flight after Prime = %v, want %v", got, tt.want)
					}
					close(release)
					vals, errs := rooms.LoadAll(ctx, tt.prime)
					checkRooms(t, tt.prime, vals, errs) // a refetch would show as another span
				})
				var sizes []int64
				for _, s := range rec.Ended() {
					for _, a := range s.Attributes() {
						if s.Name() == "room batch" && a.Key == "batch.size" {
							sizes = append(sizes, a.Value.AsInt64())
						}
					}
				}
				if !slices.Equal(sizes, tt.wantBatchSizes) {
					t.Errorf(`"room batch" spans have sizes %v, want %v`, sizes, tt.wantBatchSizes)
				}
			})
		})
	}
}

// TestBatchConcurrency lets the calls of one batch return one at a time, in a
// synctest bubble, and counts after each how many are in flight.
func TestBatchConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit, n = 2, 6
		p := testPolicy()
		p.Concurrency = limit
		var inFlight, started atomic.Int32
		release := make(chan struct{})
		rooms := Declare(upstream.EndpointRoom, func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
			inFlight.Add(1)
			started.Add(1)
			<-release
			inFlight.Add(-1)
			return "room " + key, nil
		})
		inOperation(t, p, viewer.Viewer{}, func(ctx context.Context) {
			rooms.Prime(ctx, []string{"1", "2", "3", "4", "5", "6"})
			for i := range n {
				synctest.Wait() // the released call has returned, the next has started
				if got, want := inFlight.Load(), min(limit, n-int32(i)); got != want {
					t.Errorf("after %d calls returned, %d in flight, want %d", i, got, want)
				}
				if got, want := started.Load(), min(limit+int32(i), n); got != want {
					t.Errorf("after %d calls returned, %d started, want %d", i, got, want)
				}
				release <- struct{}{}
			}
		})
	})
}

func TestKeyFetchedOncePerOperation(t *testing.T) {
	errDown := errors.New("upstream: room bad: down")
	tests := []struct {
		name  string
		run   func(t *testing.T, ctx context.Context, rooms *Kind[string, string])
		calls map[string]int
	}{
		{
			name: "ten concurrent Loads of one key",
			run: func(t *testing.T, ctx context.Context, rooms *Kind[string, string]) {
				var wg sync.WaitGroup
				for range 10 {
					wg.Go(func() {
						if v, err := rooms.Load(ctx, "7"); err != nil || v != "room 7" {
							t.Errorf(`Load("7") = %q, %v`, v, err)
						}
					})
				}
				wg.Wait()
			},
			calls: map[string]int{"7": 1},
		},
		{
			name: "LoadAll with duplicates, in key order",
			run: func(t *testing.T, ctx context.Context, rooms *Kind[string, string]) {
				keys := []string{"1", "2", "1", "2", "1"}
				vals, errs := rooms.LoadAll(ctx, keys)
				checkRooms(t, keys, vals, errs)
			},
			calls: map[string]int{"1": 1, "2": 1},
		},
		{
			name: "a failure is remembered",
			run: func(t *testing.T, ctx context.Context, rooms *Kind[string, string]) {
				_, err := rooms.Load(ctx, "bad")
				_, errs := rooms.LoadAll(ctx, []string{"bad", "bad"})
				for _, err := range append(errs, err) {
					if !errors.Is(err, errDown) {
						t.Errorf(`loading "bad": %v, want %v`, err, errDown)
					}
				}
			},
			calls: map[string]int{"bad": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &fakeUpstream{fail: map[string]error{"bad": errDown}}
			rooms := Declare(upstream.EndpointRoom, up.fetch)
			// A second operation has new loaders: it keeps nothing of the
			// first, neither values nor failures.
			for op := 1; op <= 2; op++ {
				inOperation(t, testPolicy(), viewer.Viewer{}, func(ctx context.Context) { tt.run(t, ctx, rooms) })
				for key, want := range tt.calls {
					if got := up.count(key); got != op*want {
						t.Errorf("after operation %d, upstream calls for %q = %d, want %d", op, key, got, op*want)
					}
				}
			}
		})
	}
}

// TestCallLimits: both limits count upstream calls, not lookups; the
// operation's allowance ends with it, the caller's budget does not.
func TestCallLimits(t *testing.T) {
	tests := []struct {
		name          string
		tighten       func(p *Policy)
		code          string // the refusal's code
		nextOpRefused bool   // the limit outlives the operation
	}{
		{"MaxCalls 3", func(p *Policy) { p.MaxCalls = 3 }, errcode.TooManyCalls, false},
		{"the caller's burst of 3", func(p *Policy) {
			p.Callers = guard.NewCallerLimits(guard.CallerLimit{PerSecond: 1, Burst: 3}, stopped)
		}, errcode.RateLimited, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &fakeUpstream{}
			rooms := Declare(upstream.EndpointRoom, up.fetch)
			p := testPolicy()
			tt.tighten(p)
			// Proven: an unproven token's first call would spend its
			// address's budget, not its own.
			inOperation(t, p, proven(t, p, holder("tok", "ip:1")), func(ctx context.Context) {
				keys := []string{"1", "2", "3", "4", "5"}
				vals, errs := rooms.LoadAll(ctx, keys)
				answered, refused := 0, 0
				for i, err := range errs {
					if refusedWith(err, tt.code) {
						refused++
					} else if err == nil && vals[i] == "room "+keys[i] {
						answered++
					}
				}
				if answered != 3 || refused != 2 || up.count("") != 3 {
					t.Errorf("%d answered, %d refused with %s, %d upstream calls; want 3, 2, 3 (errors %v)",
						answered, refused, tt.code, up.count(""), errs)
				}
				if _, err := rooms.Load(ctx, "6"); !refusedWith(err, tt.code) {
					t.Errorf(`Load("6") once spent = %v, want %s`, err, tt.code)
				}
			})
			if tt.code != errcode.RateLimited {
				return
			}
			// A call the caller's budget refuses is no call: it leaves the
			// operation's allowance intact, and the client learns the real
			// reason (RATE_LIMITED, with retryAfter), not TOO_MANY_IDS.
			p.MaxCalls = 3
			p.Callers = guard.NewCallerLimits(guard.CallerLimit{PerSecond: 1, Burst: 1}, stopped)
			inOperation(t, p, holder("tok", "ip:1"), func(ctx context.Context) {
				_, errs := rooms.LoadAll(ctx, []string{"a", "b", "c", "d", "e"})
				limited := 0
				for _, err := range errs {
					if refusedWith(err, errcode.RateLimited) {
						limited++
					}
				}
				if limited != 4 {
					t.Errorf("a budget of 1 for 5 keys: %d RATE_LIMITED, want 4 (errors %v)", limited, errs)
				}
			})
			inOperation(t, p, holder("tok", "ip:1"), func(ctx context.Context) {
				if _, err := rooms.Load(ctx, "6"); refusedWith(err, tt.code) != tt.nextOpRefused {
					t.Errorf(`Load("6") in the next operation = %v, want refused: %v`, err, tt.nextOpRefused)
				}
			})
		})
	}
}

// TestPanicIsOneKeysError primes the keys so that they share one batch: the
// panic must cost only its own key, in a batch of one as in a batch of three.
func TestPanicIsOneKeysError(t *testing.T) {
	for _, keys := range [][]string{{"boom"}, {"1", "boom", "2"}} {
		t.Run(fmt.Sprint("a batch of ", len(keys)), func(t *testing.T) {
			var logs bytes.Buffer
			p := testPolicy()
			p.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			rooms := Declare(upstream.EndpointRoom, func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
				if key == "boom" {
					panic("nil map write, say")
				}
				return "room " + key, nil
			})
			inOperation(t, p, viewer.Viewer{}, func(ctx context.Context) {
				rooms.Prime(ctx, keys)
				if _, err := rooms.Load(ctx, "boom"); !errors.Is(err, errcode.ErrInternal) {
					t.Errorf("the panicking key's error = %v, want errcode.ErrInternal", err)
				}
				others := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "boom" })
				vals, errs := rooms.LoadAll(ctx, others)
				checkRooms(t, others, vals, errs)
			})
			if !bytes.Contains(logs.Bytes(), []byte("loader: panic fetching")) {
				t.Errorf("log = %q, want the panic logged", logs.String())
			}
		})
	}
}

// TestTheViewer: the upstream is called with the operation's viewer's token, and
// tokens it refuses are charged to the viewer's IP, so inventing a new token per
// request buys no fresh budget.
func TestTheViewer(t *testing.T) {
	t.Run("token and charge", func(t *testing.T) {
		tests := []struct {
			name    string
			v       viewer.Viewer
			status  int
			charged bool // the IP's bucket
		}{
			{"token refused", holder("forged", "ip:1"), http.StatusUnauthorized, true},
			{"token forbidden", holder("tok", "ip:1"), http.StatusForbidden, false},
			{"not found", holder("tok", "ip:1"), http.StatusNotFound, false},
			{"anonymous refused", viewer.Viewer{Key: "ip:1", IP: "ip:1"}, http.StatusUnauthorized, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := testPolicy()
				p.BadTokens = guard.NewCallerLimits(guard.CallerLimit{PerSecond: 1, Burst: 1}, stopped)
				up := &fakeUpstream{fail: map[string]error{"2": &upstream.StatusError{Status: tt.status}}}
				rooms := Declare(upstream.EndpointRoom, up.fetch)
				inOperation(t, p, tt.v, func(ctx context.Context) {
					rooms.Load(ctx, "1") // one at a time: a charge must not refuse "1"
					rooms.Load(ctx, "2")
				})
				if want := []string{string(tt.v.Token), string(tt.v.Token)}; !slices.Equal(up.tokens, want) {
					t.Errorf("tokens the upstream saw = %q, want %q", up.tokens, want)
				}
				if got := p.BadTokens.Allows(tt.v.IP) != nil; got != tt.charged {
					t.Errorf("IP charged = %v, want %v", got, tt.charged)
				}
			})
		}
	})

	t.Run("a spent IP is refused without a call", func(t *testing.T) {
		p := testPolicy()
		p.BadTokens = guard.NewCallerLimits(guard.CallerLimit{PerSecond: 1, Burst: 2}, stopped)
		refused := &upstream.Error{Endpoint: "room", Key: "1", Err: &upstream.StatusError{Status: http.StatusUnauthorized}}
		up := &fakeUpstream{fail: map[string]error{"1": refused, "2": refused}}
		rooms := Declare(upstream.EndpointRoom, up.fetch)
		// Two invented tokens spend the budget of 2; a token refused once is
		// refused again without a call (it is not charged twice).
		unauthorized := func(err error) bool {
			var se *upstream.StatusError
			return errors.As(err, &se) && se.Status == http.StatusUnauthorized
		}
		for i, key := range []string{"1", "2"} {
			inOperation(t, p, holder(upstream.UserToken(fmt.Sprint("forged-", i)), "ip:1"), func(ctx context.Context) {
				for range 2 {
					if _, err := rooms.Load(ctx, key); !unauthorized(err) {
						t.Errorf("Load(%q) = %v, want a 401", key, err)
					}
					rooms.Forget(ctx, key)
				}
			})
		}
		if n := up.count("1") + up.count("2"); n != 2 {
			t.Errorf("%d upstream calls for two invented tokens, each used twice; want 2", n)
		}
		inOperation(t, p, holder("forged-3", "ip:1"), func(ctx context.Context) {
			if _, err := rooms.Load(ctx, "3"); !refusedWith(err, errcode.RateLimited) {
				t.Errorf("a new token from a spent IP: Load = %v, want RATE_LIMITED", err)
			}
		})
		// Another IP, and anonymous callers from the spent one, are served:
		// room 3 is called for twice, not three times.
		inOperation(t, p, holder("tok", "ip:2"), func(ctx context.Context) { rooms.Load(ctx, "3") })
		inOperation(t, p, viewer.Viewer{Key: "ip:1", IP: "ip:1"}, func(ctx context.Context) { rooms.Load(ctx, "3") })
		if got, want := up.count("3"), 2; got != want {
			t.Errorf("upstream calls for room 3 = %d, want %d", got, want)
		}
	})
}
