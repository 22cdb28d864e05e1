package loader

import (
	"context"
	"errors"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// TestCalls counts the calls that reached the upstream, or may have: not
// those the caller's budget or the upstream client refused before sending.
func TestCalls(t *testing.T) {
	if n := Calls(context.Background()); n != 0 {
		t.Errorf("outside an operation: %d", n)
	}
	ep := upstream.Endpoint{Name: "write", Write: true}
	v := holder("t-calls", "ip:192.0.2.1")
	for name, tc := range map[string]struct {
		errs []error
		want int
	}{
		"none":                       {nil, 0},
		"answered":                   {[]error{nil, &upstream.StatusError{Status: 500}}, 2},
		"timed out":                  {[]error{&upstream.Error{Err: context.DeadlineExceeded}}, 1},
		"circuit open":               {[]error{&upstream.Error{Err: upstream.ErrCircuitOpen}}, 0},
		"shed":                       {[]error{&upstream.Error{Err: upstream.ErrBusy}}, 0},
		"refused argument, then one": {[]error{&upstream.Error{Err: upstream.ErrInvalidArgument}, nil}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			p := testPolicy()
			inOperation(t, p, proven(t, p, v), func(ctx context.Context) {
				for _, e := range tc.errs {
					if err := Write(ctx, ep, func(context.Context, upstream.UserToken) error { return e }); !errors.Is(err, e) {
						t.Errorf("Write: %v, want %v", err, e)
					}
				}
				if got := Calls(ctx); got != tc.want {
					t.Errorf("Calls = %d, want %d", got, tc.want)
				}
			})
		})
	}
	t.Run("over the caller's budget", func(t *testing.T) {
		p := testPolicy()
		p.Callers = guard.NewCallerLimits(guard.CallerLimit{PerSecond: 1, Burst: 1}, stopped)
		inOperation(t, p, proven(t, p, v), func(ctx context.Context) {
			for range 3 {
				_ = Write(ctx, ep, func(context.Context, upstream.UserToken) error { return nil })
			}
			if got := Calls(ctx); got != 1 {
				t.Errorf("Calls = %d, want 1 (the budget's one)", got)
			}
		})
	})
}
