package service

import (
	"context"
	"errors"
	"os"
	"testing"

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
