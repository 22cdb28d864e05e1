package service

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a cache and a store of persisted queries here, never a source of
// truth: when it is slow or gone, lookups become misses, never slow requests.
const (
	// redisTimeout bounds every Redis call: dialling, reading, writing and
	// waiting for a pooled connection (go-redis honours the context's deadline
	// only with ContextTimeoutEnabled).
	redisTimeout = 250 * time.Millisecond
	// redisPause is how long a failed Redis is left alone before it is tried
	// again: a frozen Redis costs a few timeouts per pause, not one per
	// request. redisFailures in a row open the gate, so that one slow moment
	// (or one request's own deadline) does not.
	redisPause    = 5 * time.Second
	redisFailures = 3
)

// errRedisPaused answers a Redis call made while Redis is left alone.
var errRedisPaused = errors.New("redis: paused after a failure")

// newRedis is the one Redis client, with hard deadlines and a gate that skips
// Redis for redisPause after a failure.
func newRedis(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.ContextTimeoutEnabled = true
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = redisTimeout, redisTimeout, redisTimeout, redisTimeout
	opts.MaxRetries = -1 // a miss now beats a retry later
	c := redis.NewClient(opts)
	c.AddHook(&redisGate{})
	return c, nil
}

// redisGate is a small circuit around Redis: after redisFailures calls in a
// row fail (other than misses), every call fails at once until redisPause has
// passed. Readiness probes pass through it (ungated), so that /readyz reports
// Redis itself, not the gate.
type redisGate struct {
	until    atomic.Int64 // unix nanoseconds
	failures atomic.Int32 // in a row
}

type ungatedKey struct{}

// ungated marks a context whose Redis calls bypass the gate.
func ungated(ctx context.Context) context.Context { return context.WithValue(ctx, ungatedKey{}, true) }

func (g *redisGate) open(ctx context.Context) bool {
	return ctx.Value(ungatedKey{}) == nil && time.Now().UnixNano() < g.until.Load()
}

// failed opens the gate on what says Redis cannot be reached in time: a dial or
// I/O error, a timeout. A miss, a caller that left, or an error reply (Redis
// answered, for example to a command an older server does not know) do not.
func (g *redisGate) failed(err error) {
	var reply redis.Error
	if err == nil || errors.Is(err, redis.Nil) || errors.As(err, &reply) {
		g.failures.Store(0)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	if g.failures.Add(1) >= redisFailures {
		g.failures.Store(0)
		g.until.Store(time.Now().Add(redisPause).UnixNano())
	}
}

func (g *redisGate) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if g.open(ctx) {
			return nil, errRedisPaused
		}
		conn, err := next(ctx, network, addr)
		g.failed(err)
		return conn, err
	}
}

func (g *redisGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if g.open(ctx) {
			cmd.SetErr(errRedisPaused)
			return errRedisPaused
		}
		err := next(ctx, cmd)
		g.failed(err)
		return err
	}
}

func (g *redisGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if g.open(ctx) {
			for _, c := range cmds {
				c.SetErr(errRedisPaused)
			}
			return errRedisPaused
		}
		err := next(ctx, cmds)
		g.failed(err)
		return err
	}
}
