package persisted

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis, so that replicas share persisted queries:
// a document registered through one is found by hash through any other.
//
// Every key it keeps shares one hash tag, so that on a Redis Cluster one
// script can count a share and add to it: the documents (each under its
// hash, its share's letter before it, with its own expiry) and one sorted set
// per share, each document's hash scored by when it expires as far as the
// share knows. A document used since, or gone (evicted by Redis), is found
// out when its score comes due, so a share is never counted short for long.
type RedisStore struct {
	client  redis.UniversalClient
	limits  Limits
	timeout time.Duration
}

// NewRedisStore keeps persisted queries within limits in the Redis of client
// (shared with the loaders' cache: one connection pool). Each Redis call gives
// up after timeout (a slow Redis makes a lookup a miss, never a slow request).
func NewRedisStore(client redis.UniversalClient, limits Limits, timeout time.Duration) *RedisStore {
	return &RedisStore{client: client, limits: limits, timeout: timeout}
}

// The keys, all in one cluster slot ({…} is the hash tag). A document's value
// starts with its share's letter: p (proven) or o (open).
const (
	redisDocs   = "{reflect-graphql:apq}:doc:"
	redisProven = "{reflect-graphql:apq}:proven"
	redisOpen   = "{reflect-graphql:apq}:open"
)

// getDoc reads a document and extends its life by its share's TTL (ARGV: the
// open and the proven TTL in ms). Neither command is refused by a Redis out of
// memory, so a full Redis still serves the documents it has.
var getDoc = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then return false end
redis.call("PEXPIRE", KEYS[1], string.sub(v, 1, 1) == "p" and ARGV[2] or ARGV[1])
return v`)

// addDoc keeps a document in a share unless the share is full. KEYS: the
// document, the share's index. ARGV: the value (letter and document), its
// hash, the TTL in ms, the share's size, the documents' key prefix. Before
// counting, it looks at up to 256 of the share's documents whose score has
// come due: one still there (used since) is scored again by its expiry, one
// gone leaves the index. Answers 1 when kept (or already there), 0 when full.
var addDoc = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 1 end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now, "LIMIT", 0, 256)
for _, h in ipairs(due) do
  local left = redis.call("PTTL", ARGV[5] .. h)
  if left > 0 then
    redis.call("ZADD", KEYS[2], now + left, h)
  else
    redis.call("ZREM", KEYS[2], h)
  end
end
if redis.call("ZCARD", KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[3])
redis.call("ZADD", KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
return 1`)

// Get implements Store.
func (r *RedisStore) Get(ctx context.Context, hash string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	v, err := getDoc.Run(ctx, r.client, []string{redisDocs + hash},
		r.limits.Open.TTL.Milliseconds(), r.limits.Proven.TTL.Milliseconds()).Text()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if len(v) == 0 {
		return "", false, errors.New("persisted: a stored document without its share")
	}
	return v[1:], true, nil
}

// Add implements Store.
func (r *RedisStore) Add(ctx context.Context, hash, query string, proven bool) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	index, letter := redisOpen, "o"
	if proven {
		index, letter = redisProven, "p"
	}
	limit := r.limits.of(proven)
	kept, err := addDoc.Run(ctx, r.client, []string{redisDocs + hash, index},
		letter+query, hash, limit.TTL.Milliseconds(), limit.Documents, redisDocs).Int()
	if err != nil {
		return err
	}
	if kept == 0 {
		return ErrFull
	}
	return nil
}
