package graph_test

import (
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// The posts domain: posts, their rooms, their comments (a feed test belongs
// here).

func TestAPostsRoomCostsNoCallWhenLoaded(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp := env.Post(t, `{ room(id: "1") { name posts(first: 3) { nodes { room { membersCount isMember } } } } }`, nil, aisha)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	if n := calls(env)[fake.RouteRoom]; n != 1 {
		t.Errorf("room 1 fetched %d times, want once", n)
	}
	env.Fake.ResetStats()
	resp = env.Post(t, `{ user(username: "Aisha") { posts(first: 5) { nodes { room { id name } } } } }`, nil, aisha)
	if len(resp.Errors) > 0 || calls(env)[fake.RouteRoom] != 0 {
		t.Errorf("a feed asking only room { id name } made room calls: %v %s", calls(env), resp.Raw)
	}
}
