package graph_test

import (
	"fmt"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// The users domain: profiles, the viewer, followers and following, the follow
// writes.

func TestFollowUserIsExplicitAndIdempotent(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	who := env.Post(t, `{ user(username: "musa") { id followed followersCount } }`, nil, aisha)
	id, _ := servicetest.At(who.Data, "user", "id").(string)
	if id == "" {
		t.Fatal(who.Raw)
	}
	for range 2 { // the second follow asks for the state already in place
		resp := env.Post(t, fmt.Sprintf(`mutation { followUser(id: %q) { user { followed } } }`, id), nil, aisha)
		if len(resp.Errors) > 0 || servicetest.At(resp.Data, "followUser", "user", "followed") != true {
			t.Fatalf("follow: %s", resp.Raw)
		}
	}
	resp := env.Post(t, fmt.Sprintf(`mutation { unfollowUser(id: %q) { user { followed } } }`, id), nil, aisha)
	if len(resp.Errors) > 0 || servicetest.At(resp.Data, "unfollowUser", "user", "followed") != false {
		t.Fatalf("unfollow: %s", resp.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteToggleFollow]; n != 3 {
		t.Errorf("%d toggle-follow calls for three writes", n)
	}
}
