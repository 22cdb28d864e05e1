package service

// What the external tests reach of the Redis client's gate.
var (
	NewRedis       = newRedis
	Ungated        = ungated
	ErrRedisPaused = errRedisPaused
)

const RedisFailures = redisFailures
