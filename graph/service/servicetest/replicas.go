package servicetest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service"
)

// Replicas starts n replicas of the service, each as New starts one, in front
// of one fake upstream (with one clock), all with REDIS_URL set to redisURL
// (StartRedis, StartRedisCluster, …): what one keeps in Redis (persisted
// queries, an Idempotency-Key's claim and answer, cached rooms) the others
// see. o shapes each of them; its Config runs before REDIS_URL is set, and its
// Before once, on the first.
func Replicas(t *testing.T, n int, redisURL string, o Options) []*Env {
	t.Helper()
	config := o.Config
	o.Config = func(c *service.Config) {
		if config != nil {
			config(c)
		}
		c.RedisURL = redisURL
	}
	envs := make([]*Env, n)
	for i := range envs {
		envs[i] = New(t, o)
		o.Beside, o.Before = envs[0], nil
	}
	return envs
}

// CheckIdempotent sends the mutation query with vars and headers (the
// caller's token among them) twice with one fresh Idempotency-Key (the test's name, then random hex), the first
// through envs[0] and the second through the last of envs (one Env, or
// Replicas), and checks that route of the fake upstream (a fake.Route constant) was called once, that
// both answers are byte for byte the same, and that only the second carries
// Idempotent-Replayed: true. It returns the first answer.
func CheckIdempotent(t *testing.T, envs []*Env, route, query string, vars map[string]any, headers ...string) Response {
	t.Helper()
	first, last := envs[0], envs[len(envs)-1]
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	key := "Idempotency-Key: " + t.Name() + "/" + hex.EncodeToString(nonce[:])
	headers = append(headers[:len(headers):len(headers)], key)
	before := first.Fake.Stats().Calls[route]
	a := first.Post(t, query, vars, headers...)
	if a.Status != 200 || a.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first request: HTTP %d, Idempotent-Replayed %q: %s", a.Status, a.Header.Get("Idempotent-Replayed"), a.Raw)
	}
	if n := first.Fake.Stats().Calls[route] - before; n != 1 {
		t.Fatalf("the first request made %d calls of %s, want 1: %s", n, route, a.Raw)
	}
	b := last.Post(t, query, vars, headers...)
	if got := b.Header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("the second request's Idempotent-Replayed is %q, want true: %s", got, b.Raw)
	}
	if b.Status != a.Status || b.Raw != a.Raw || b.Header.Get("Content-Type") != a.Header.Get("Content-Type") {
		t.Errorf("the replay differs:\n first HTTP %d %s %s\nsecond HTTP %d %s %s", a.Status, a.Header.Get("Content-Type"), a.Raw,
			b.Status, b.Header.Get("Content-Type"), b.Raw)
	}
	if n := first.Fake.Stats().Calls[route] - before; n != 1 {
		t.Errorf("the two requests made %d calls of %s, want 1", n, route)
	}
	return a
}
