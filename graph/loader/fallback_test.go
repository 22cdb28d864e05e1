package loader

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestUnplannedLookupsShareTheFallbackBatch: lookups nothing primed still go out
// together, in one batch that closes FallbackWait after the first (synctest's
// clock moves only when every goroutine waits, so the wait is exact).
func TestUnplannedLookupsShareTheFallbackBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := tracetest.NewSpanRecorder()
		p := testPolicy()
		p.Tracer = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("")
		fetched := make(chan string, 10)
		rooms := Declare(upstream.EndpointRoom, func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
			fetched <- key
			return "room " + key, nil
		})
		inOperation(t, p, viewer.Viewer{}, func(ctx context.Context) {
			start := time.Now()
			done := make(chan time.Duration, 3)
			for _, key := range []string{"1", "2", "3"} {
				go func() {
					if _, err := rooms.Load(ctx, key); err != nil {
						t.Error(err)
					}
					done <- time.Since(start)
				}()
			}
			for range 3 {
				if d := <-done; d != FallbackWait {
					t.Errorf("an unplanned lookup answered after %v, want the fallback wait %v", d, FallbackWait)
				}
			}
			var got []string
			for len(fetched) > 0 {
				got = append(got, <-fetched)
			}
			if slices.Sort(got); !slices.Equal(got, []string{"1", "2", "3"}) {
				t.Errorf("fetched %v, want the three keys once each", got)
			}
		})
		var sizes []int64
		for _, s := range rec.Ended() {
			for _, a := range s.Attributes() {
				if s.Name() == "room batch" && a.Key == "batch.size" {
					sizes = append(sizes, a.Value.AsInt64())
				}
			}
		}
		if !slices.Equal(sizes, []int64{3}) {
			t.Errorf("batches of sizes %v, want one of 3", sizes)
		}
	})
}

func TestNewScopeRefusesAPolicyThatCannotWork(t *testing.T) {
	for name, spoil := range map[string]func(*Policy){
		"no concurrency": func(p *Policy) { p.Concurrency = 0 },
		"no calls":       func(p *Policy) { p.MaxCalls = 0 },
		"no logger":      func(p *Policy) { p.Logger = nil },
		"no budget":      func(p *Policy) { p.Callers = nil },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewScope accepted it")
				}
			}()
			p := testPolicy()
			spoil(p)
			NewScope(p)
		})
	}
	NewScope(testPolicy()) // the test policy itself is fine
}
