package service

// What the external tests reach of the Redis client's gate.
var (
	Ungated        = ungated
	ErrRedisPaused = errRedisPaused
)

const RedisFailures = redisFailures
