package service

import (
	"context"
	"errors"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a cache, a store of persisted queries and, with sign-in, the store
// of browser sessions. When it is slow or gone, lookups become misses (a
// session's, an unauthenticated answer), never slow requests; the session
// store's deletions and lease releases pass the gate (ungated).
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

// NewRedis is a Redis client for url, with hard deadlines and a gate that
// skips Redis for redisPause after a failure. url names one server, a Redis
// Cluster or a Sentinel-managed primary, in go-redis's URL forms (redisURL);
// each node of a cluster has a gate of its own, so that one frozen node does
// not pause the others' slots.
func NewRedis(url string) (redis.UniversalClient, error) {
	t, err := redisURL(url)
	if err != nil {
		return nil, err
	}
	switch {
	case t.cluster != nil:
		o := t.cluster
		o.ContextTimeoutEnabled = true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = redisTimeout, redisTimeout, redisTimeout, redisTimeout
		o.MaxRetries = -1 // on a node; MOVED and ASK still redirect, within the call's deadline
		c := redis.NewClusterClient(o)
		c.OnNewNode(func(node *redis.Client) { node.AddHook(&redisGate{}) })
		return c, nil
	case t.failover != nil:
		o := t.failover
		o.ContextTimeoutEnabled = true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = redisTimeout, redisTimeout, redisTimeout, redisTimeout
		o.MaxRetries = -1
		c := redis.NewFailoverClient(o)
		c.AddHook(&redisGate{})
		return c, nil
	}
	o := t.single
	o.ContextTimeoutEnabled = true
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = redisTimeout, redisTimeout, redisTimeout, redisTimeout
	o.MaxRetries = -1 // a miss now beats a retry later
	c := redis.NewClient(o)
	c.AddHook(&redisGate{})
	return c, nil
}

// redisTarget is what a Redis URL names: one of the three is set.
type redisTarget struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
}

// redisURL reads a Redis URL in go-redis's forms: with master_name, the
// Sentinels of a managed primary (go-redis's ParseFailoverURL:
// redis://sentinel1:26379?master_name=mymaster&addr=sentinel2:26379, the
// primary's password as password=); else with addr, a cluster's seed nodes
// (ParseClusterURL: redis://h1:p1?addr=h2:p2&addr=h3:p3); else one server
// (ParseURL: redis://, rediss://, unix://).
func redisURL(raw string) (redisTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return redisTarget{}, err
	}
	var t redisTarget
	switch q := u.Query(); {
	case q.Has("master_name"):
		t.failover, err = redis.ParseFailoverURL(raw)
	case q.Has("addr"):
		t.cluster, err = redis.ParseClusterURL(raw)
	default:
		t.single, err = redis.ParseURL(raw)
	}
	return t, err
}

// pingRedis asks Redis whether it answers: every primary of a cluster, since
// each holds its own share of the keys.
func pingRedis(ctx context.Context, c redis.UniversalClient) error {
	if cc, ok := c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return node.Ping(ctx).Err() })
	}
	return c.Ping(ctx).Err()
}

// redisGate is a small circuit around Redis: after redisFailures calls in a
// row fail (other than misses), every call fails at once until redisPause has
// passed; then one call goes through as a trial while the others still fail at
// once, and its outcome closes the gate or opens it for another pause.
// Readiness probes pass through it (ungated), so that /readyz reports Redis
// itself, not the gate.
type redisGate struct {
	now      func() time.Time // nil: time.Now
	until    atomic.Int64     // unix nanoseconds; 0 while closed
	trial    atomic.Bool      // a trial call is under way
	failures atomic.Int32     // in a row
}

type ungatedKey struct{}

// ungated marks a context whose Redis calls bypass the gate.
func ungated(ctx context.Context) context.Context { return context.WithValue(ctx, ungatedKey{}, true) }

func (g *redisGate) clock() time.Time {
	if g.now == nil {
		return time.Now()
	}
	return g.now()
}

// admit says whether a call may reach Redis, and whether it is the trial.
func (g *redisGate) admit(ctx context.Context) (ok, trial bool) {
	until := g.until.Load()
	switch {
	case ctx.Value(ungatedKey{}) != nil || until == 0:
		return true, false
	case g.clock().UnixNano() < until:
		return false, false
	case g.trial.CompareAndSwap(false, true):
		return true, true
	}
	return false, false // the trial is under way
}

// failed opens the gate on what says Redis cannot be reached in time: a dial or
// I/O error, a timeout. A miss, a caller that left, or an error reply (Redis
// answered, for example to a command an older server does not know) do not.
// A trial's failure opens it again at once; its success closes it.
func (g *redisGate) failed(err error, trial bool) {
	if trial {
		defer g.trial.Store(false)
	}
	var reply redis.Error
	if err == nil || errors.Is(err, redis.Nil) || errors.As(err, &reply) {
		g.failures.Store(0)
		if trial {
			g.until.Store(0)
		}
		return
	}
	if errors.Is(err, context.Canceled) {
		return // a trial whose caller left proves nothing: the next call tries
	}
	if g.failures.Add(1) >= redisFailures || trial {
		g.failures.Store(0)
		g.until.Store(g.clock().Add(redisPause).UnixNano())
	}
}

// DialHook lets every dial through and counts none: a dial happens only for
// a call the gate admitted, whose own outcome counts (the pool dials with a
// context of its own, so gating dials would refuse an admitted call its
// connection), and a dial that succeeds proves nothing, since a frozen Redis
// still accepts connections (the kernel does) and then never answers.
func (g *redisGate) DialHook(next redis.DialHook) redis.DialHook { return next }

func (g *redisGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ok, trial := g.admit(ctx)
		if !ok {
			cmd.SetErr(errRedisPaused)
			return errRedisPaused
		}
		err := next(ctx, cmd)
		g.failed(err, trial)
		return err
	}
}

func (g *redisGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ok, trial := g.admit(ctx)
		if !ok {
			for _, c := range cmds {
				c.SetErr(errRedisPaused)
			}
			return errRedisPaused
		}
		err := next(ctx, cmds)
		g.failed(err, trial)
		return err
	}
}
