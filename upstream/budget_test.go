package upstream

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestWaitableBudget: the budget as a context carries its deadline and its
// parent's values and errors without making a context; one is made when
// something waits on Done, and it ends at the budget's deadline.
func TestWaitableBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
		b := newBudget(parent, time.Second)
		defer b.end()
		ctx := b.waitable()
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(b.deadline) || ctx.Value(key{}) != "v" || ctx.Err() != nil {
			t.Fatalf("deadline %v %v, value %v, err %v", dl, ok, ctx.Value(key{}), ctx.Err())
		}
		if b.ctx != nil {
			t.Fatal("reading the deadline, a value and the error made a context")
		}
		start := time.Now()
		<-ctx.Done()
		if waited := time.Since(start); waited != time.Second || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("Done after %v with %v, want the budget's second and DeadlineExceeded", waited, ctx.Err())
		}

		b2 := newBudget(parent, time.Second)
		defer b2.end()
		cancel()
		if err := b2.waitable().Err(); !errors.Is(err, context.Canceled) || b2.ctx != nil {
			t.Errorf("a caller that left: %v (context made: %v), want Canceled without a context", err, b2.ctx != nil)
		}
	})
}
