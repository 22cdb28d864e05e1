package loader

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

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
		rooms := Declare("room", func(_ context.Context, key string, _ upstream.UserToken) (string, error) {
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
