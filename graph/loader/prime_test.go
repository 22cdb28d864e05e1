package loader

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// TestOneKeyIsFetchedByItsFirstLookup: a batch of one key starts no goroutine
// of its own. Nothing is fetched until a lookup asks for the key; then the
// lookups asking at the same time share one fetch, and a primed key that no
// lookup asks for costs no call.
func TestOneKeyIsFetchedByItsFirstLookup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fetches atomic.Int32
		release := make(chan struct{})
		rooms := Declare(upstream.EndpointRoom, func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
			fetches.Add(1)
			<-release
			return "room " + key, nil
		})
		inOperation(t, testPolicy(), viewer.Viewer{}, func(ctx context.Context) {
			rooms.Prime(ctx, []string{"7"})
			rooms.Prime(ctx, []string{"8"}) // never looked up
			synctest.Wait()
			if n := fetches.Load(); n != 0 {
				t.Fatalf("fetches after Prime = %d, want 0 until a lookup", n)
			}
			var wg sync.WaitGroup
			vals := make([]string, 3)
			errs := make([]error, 3)
			for i := range vals {
				wg.Go(func() { vals[i], errs[i] = rooms.Load(ctx, "7") })
			}
			synctest.Wait() // every lookup is waiting: one on the fetch, the others on it
			if n := fetches.Load(); n != 1 {
				t.Errorf("fetches with three lookups waiting = %d, want 1", n)
			}
			close(release)
			wg.Wait()
			checkRooms(t, []string{"7", "7", "7"}, vals, errs)
		})
		if n := fetches.Load(); n != 1 {
			t.Errorf("fetches in the operation = %d, want 1 (key 8 was never looked up)", n)
		}
	})
}

// panickyTracer panics when a span starts: a fault outside any fetch.
type panickyTracer struct{ noop.Tracer }

func (panickyTracer) Start(context.Context, string, ...trace.SpanStartOption) (context.Context, trace.Span) {
	panic("the tracer broke")
}

// TestOneKeysLookupsSurviveAPanicOutsideTheFetch: when the batch of one panics
// outside the fetch (which it recovers), the first lookup's goroutine panics,
// as before, and the lookups that waited on it get an internal error, not a nil
// answer.
func TestOneKeysLookupsSurviveAPanicOutsideTheFetch(t *testing.T) {
	p := testPolicy()
	p.Tracer = panickyTracer{}
	rooms := Declare(upstream.EndpointRoom, func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
		return "room " + key, nil
	})
	inOperation(t, p, viewer.Viewer{}, func(ctx context.Context) {
		rooms.Prime(ctx, []string{"7"})
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the first lookup did not panic")
				}
			}()
			_, _ = rooms.Load(ctx, "7")
		}()
		if _, err := rooms.Load(ctx, "7"); !errors.Is(err, errcode.ErrInternal) {
			t.Errorf("a later lookup: err = %v, want errcode.ErrInternal", err)
		}
	})
}
