package service

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisGate: three failures in a row open the gate; then calls fail at once
// without reaching Redis, except ungated ones (readiness); misses, error replies
// and callers that left count for nothing.
func TestRedisGate(t *testing.T) {
	g := &redisGate{}
	reached := 0
	var answer error
	next := g.ProcessHook(func(context.Context, redis.Cmder) error { reached++; return answer })
	call := func(ctx context.Context) error { return next(ctx, redis.NewStringCmd(ctx, "get", "k")) }
	ctx := context.Background()

	answer = redis.Nil
	for range 5 {
		_ = call(ctx)
	}
	answer = context.Canceled
	_ = call(ctx)
	answer = redis.Nil
	_ = call(ctx)
	if g.open(ctx) {
		t.Fatal("misses or a caller that left opened the gate")
	}
	answer = os.ErrDeadlineExceeded
	_, _ = call(ctx), call(ctx)
	if g.open(ctx) {
		t.Fatal("two failures opened the gate")
	}
	_ = call(ctx)
	if !g.open(ctx) {
		t.Fatal("three failures in a row did not open the gate")
	}
	before := reached
	if err := call(ctx); !errors.Is(err, errRedisPaused) || reached != before {
		t.Errorf("a call through the open gate: %v, reached Redis %v", err, reached != before)
	}
	if _ = call(ungated(ctx)); reached != before+1 {
		t.Error("an ungated call (readiness) did not reach Redis")
	}
}

// TestRedisGateTrial: once the pause is over, one call goes through as a
// trial while the others still fail at once; a failed trial pauses again, a
// good one closes the gate.
func TestRedisGateTrial(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &redisGate{now: func() time.Time { return now }}
	entered, release := make(chan struct{}), make(chan struct{})
	var answer error = os.ErrDeadlineExceeded
	reached := 0
	next := g.ProcessHook(func(ctx context.Context, _ redis.Cmder) error {
		reached++
		if ctx.Value(holdKey{}) != nil {
			close(entered)
			<-release
		}
		return answer
	})
	call := func(ctx context.Context) error { return next(ctx, redis.NewStringCmd(ctx, "get", "k")) }
	ctx := context.Background()
	for range redisFailures {
		_ = call(ctx)
	}
	now = now.Add(redisPause)

	// The trial, held inside Redis while another call comes.
	trialDone := make(chan error)
	go func() { trialDone <- call(context.WithValue(ctx, holdKey{}, true)) }()
	<-entered
	before := reached
	if err := call(ctx); !errors.Is(err, errRedisPaused) {
		t.Errorf("a call during the trial: %v, want errRedisPaused", err)
	}
	close(release)
	if err := <-trialDone; errors.Is(err, errRedisPaused) {
		t.Fatal("the first call after the pause was not let through")
	}
	if reached != before {
		t.Errorf("%d calls reached Redis during the trial, want only the trial", reached-before)
	}
	if !g.open(ctx) {
		t.Fatal("a failed trial did not pause Redis again")
	}

	now = now.Add(redisPause)
	answer = nil
	if err := call(ctx); err != nil {
		t.Fatalf("the second trial: %v", err)
	}
	if g.open(ctx) {
		t.Error("a good trial did not close the gate")
	}
	if err := call(ctx); err != nil {
		t.Errorf("a call after a good trial: %v", err)
	}
}

type holdKey struct{}

// open reports whether Redis is being left alone now (for tests: it takes
// no trial).
func (g *redisGate) open(ctx context.Context) bool {
	until := g.until.Load()
	return ctx.Value(ungatedKey{}) == nil && until != 0 && g.clock().UnixNano() < until
}
