package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis, shared by every replica. Each caller's key
// is one Redis key of its own (no hash tag), so that on a Redis Cluster every
// command touches one key, spread over the slots. Its value is a claim,
//
//	"F" owner fingerprint
//
// or an answer,
//
//	"D" fingerprint status(3 digits) omitted(0 or 1) content-type "\n" body
//
// each with its own expiry (the lease, then the TTL).
type RedisStore struct {
	client  redis.UniversalClient
	timeout time.Duration
	// settle marks the context of Keep and Release, which record what
	// happened to a request that ran (service: past the Redis gate's pause).
	settle func(context.Context) context.Context
}

// NewRedisStore keeps claims and answers in the Redis of client. Each call
// gives up after timeout; settle (nil: none) marks the contexts of Keep and
// Release.
func NewRedisStore(client redis.UniversalClient, timeout time.Duration, settle func(context.Context) context.Context) *RedisStore {
	if settle == nil {
		settle = func(ctx context.Context) context.Context { return ctx }
	}
	return &RedisStore{client: client, timeout: timeout, settle: settle}
}

// redisKeys is the prefix of the store's keys.
const redisKeys = "reflect-graphql:idem:"

// claimKey answers the value that holds KEYS[1], or claims it with ARGV[1]
// for ARGV[2] ms and answers nil.
var claimKey = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v then return v end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return false`)

// keepAnswer replaces the claim ARGV[1] with the answer ARGV[2] for ARGV[3]
// ms; 0 when KEYS[1] is not held by that claim.
var keepAnswer = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
return 1`)

// releaseClaim deletes KEYS[1] while it is the claim ARGV[1].
var releaseClaim = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) return 1 end
return 0`)

func claimValue(c Claim) string { return "F" + c.Owner + c.Fingerprint }

// Claim implements Store.
func (r *RedisStore) Claim(ctx context.Context, key string, c Claim, lease time.Duration) (*Held, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	v, err := claimKey.Run(ctx, r.client, []string{redisKeys + key}, claimValue(c), lease.Milliseconds()).Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeHeld(v, len(c.Owner))
}

// Keep implements Store.
func (r *RedisStore) Keep(ctx context.Context, key string, c Claim, a Answer, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(r.settle(ctx), r.timeout)
	defer cancel()
	omitted := "0"
	if a.Omitted {
		omitted = "1"
	}
	var b strings.Builder
	b.Grow(1 + len(c.Fingerprint) + 4 + len(a.ContentType) + 1 + len(a.Body))
	fmt.Fprintf(&b, "D%s%03d%s%s\n", c.Fingerprint, a.Status, omitted, a.ContentType)
	b.Write(a.Body)
	kept, err := keepAnswer.Run(ctx, r.client, []string{redisKeys + key}, claimValue(c), b.String(), ttl.Milliseconds()).Int()
	if err != nil {
		return err
	}
	if kept == 0 {
		return ErrLost
	}
	return nil
}

// Release implements Store.
func (r *RedisStore) Release(ctx context.Context, key string, c Claim) error {
	ctx, cancel := context.WithTimeout(r.settle(ctx), r.timeout)
	defer cancel()
	return releaseClaim.Run(ctx, r.client, []string{redisKeys + key}, claimValue(c)).Err()
}

// decodeHeld reads a stored value; owners are ownerLen long.
func decodeHeld(v string, ownerLen int) (*Held, error) {
	const fpLen = 64 // SHA-256 in hex
	bad := errors.New("idempotency: a stored value of another shape")
	switch {
	case strings.HasPrefix(v, "F") && len(v) == 1+ownerLen+fpLen:
		return &Held{Fingerprint: v[1+ownerLen:]}, nil
	case strings.HasPrefix(v, "D") && len(v) >= 1+fpLen+4:
		fp, rest := v[1:1+fpLen], v[1+fpLen:]
		status, err := strconv.Atoi(rest[:3])
		if err != nil {
			return nil, bad
		}
		ct, body, ok := strings.Cut(rest[4:], "\n")
		if !ok {
			return nil, bad
		}
		return &Held{Fingerprint: fp, Answer: &Answer{Status: status, ContentType: ct, Body: []byte(body), Omitted: rest[3] == '1'}}, nil
	}
	return nil, bad
}
