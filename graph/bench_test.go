package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// Benchmarks run through the real HTTP handler against the fake upstream, both on
// loopback. Run them with: go test ./graph -run '^$' -bench . -benchmem

// benchOptions lift the per-caller limit, which would otherwise refuse most of a
// benchmark's requests from its one viewer.
var benchOptions = servicetest.Options{Quiet: true, Config: func(c *service.Config) { c.CallerLimit = guard.CallerLimit{PerSecond: 1e9, Burst: 1e9} }}

func benchQuery(b *testing.B, env *servicetest.Env, query string, headers ...string) {
	b.Helper()
	if resp := env.Post(b, query, nil, headers...); len(resp.Errors) > 0 {
		b.Fatalf("errors: %v", resp.Errors)
	}
	env.Fake.ResetStats()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if resp := env.Post(b, query, nil, headers...); len(resp.Errors) > 0 {
			b.Fatalf("errors: %v", resp.Errors)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(env.Fake.Stats().APICalls)/float64(b.N), "upstream-calls/op")
}

func BenchmarkSingleRoomWithFollowers(b *testing.B) {
	env := servicetest.New(b, benchOptions)
	benchQuery(b, env, `{ room(id: "1") { id name roomType createdAt isOwner privateToken
		mutualFollowers { id username createdAt verified postsCount } } }`, "Authorization: Bearer demo-aisha")
}

func Benchmark20AliasesOver5IDs(b *testing.B) {
	env := servicetest.New(b, benchOptions)
	var q strings.Builder
	q.WriteString("{")
	for i := range 20 {
		fmt.Fprintf(&q, " r%d: room(id: \"%d\") { id name membersCount }", i, i%5+1)
	}
	q.WriteString(" }")
	benchQuery(b, env, q.String(), "Authorization: Bearer demo-aisha")
}

func BenchmarkRooms100IDs(b *testing.B) {
	env := servicetest.New(b, benchOptions)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprint(i+1))
	}
	benchQuery(b, env, `{ rooms(ids: [`+strings.Join(ids, ",")+`]) { id name } }`, "Authorization: Bearer demo-aisha") // 100 distinct rooms
}

// BenchmarkTenDistinctRoomsSlowUpstream: ten rooms from an upstream that takes
// 200 ms per answer. Batched concurrently this costs one round trip, not ten.
// Run with -benchtime=5x.
func BenchmarkTenDistinctRoomsSlowUpstream(b *testing.B) {
	env := servicetest.New(b, servicetest.Options{Quiet: true, Latency: 200 * time.Millisecond, Config: benchOptions.Config})
	benchQuery(b, env, `{ rooms(ids: ["1","2","3","4","5","6","7","8","9","10"]) { id name } }`, "Authorization: Bearer demo-aisha")
}

// roomPage is the README's room-page query: the room by slug, then its members
// and posts together, then every distinct author's profile (for bio) and the
// posts' comments together: three waves of upstream calls.
const roomPage = `{ room(url: "group-1") { id name membersCount
  members(first: 10) { totalCount edges { cursor isAdmin isOwner node { id username followed followersCount } } }
  posts(first: 5) { edges { cursor node { id body room { name } author { id username bio } comments(first: 3) { totalCount edges { node { id body } } } } } } } }`

// BenchmarkRoomPage20ms runs the room-page query against an upstream that
// answers every call in 20 ms: the wall time is the sum of its waves' round
// trips (a wave whose calls exceed UPSTREAM_CONCURRENCY takes more than one).
func BenchmarkRoomPage20ms(b *testing.B) {
	env := servicetest.New(b, servicetest.Options{Quiet: true, Latency: 20 * time.Millisecond, Config: benchOptions.Config})
	benchQuery(b, env, roomPage, "Authorization: Bearer demo-aisha")
}

// BenchmarkVersePanelShared is the load's verse-panel request for 2:255 by a
// signed-out reader, with the copy of the text loaded and the sharing a
// deployment runs with: after the first, every request is served from memory
// (0 upstream calls/op); what it measures is the facade's own cost.
func BenchmarkVersePanelShared(b *testing.B) {
	env := servicetest.New(b, withCopy(servicetest.Options{Quiet: true, Config: func(c *service.Config) {
		benchOptions.Config(c)
		publicSharing(c)
	}}))
	benchQuery(b, env, `{ verse(key: "2:255") { textUthmani translation { text }
  reflections(first: 10) { nodes { body author { username } references { verses { key } } } } } }`)
}
