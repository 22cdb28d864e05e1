package persisted

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis, so that replicas share persisted queries:
// a document registered through one is found by hash through any other.
type RedisStore struct {
	client  redis.UniversalClient
	ttl     time.Duration
	timeout time.Duration
}

// NewRedisStore keeps persisted queries in the Redis of client (shared with the
// loaders' cache: one connection pool). Entries live for ttl after their last
// registration; each Redis call gives up after timeout (a slow Redis makes a
// lookup a miss, never a slow request). Each call touches one key: it works
// as well on a Redis Cluster.
func NewRedisStore(client redis.UniversalClient, ttl, timeout time.Duration) *RedisStore {
	return &RedisStore{client: client, ttl: ttl, timeout: timeout}
}

const redisPrefix = "reflect-graphql:apq:"

// Get implements Store.
func (r *RedisStore) Get(ctx context.Context, hash string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	q, err := r.client.Get(ctx, redisPrefix+hash).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return q, true, nil
}

// Add implements Store.
func (r *RedisStore) Add(ctx context.Context, hash, query string) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.client.Set(ctx, redisPrefix+hash, query, r.ttl).Err()
}
