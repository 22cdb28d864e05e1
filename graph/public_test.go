package graph_test

import (
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// Signed-out reads shared across requests and replicas: every caller without
// a user token sees the service token's answer, so they share it; a viewer's
// answers are never served to anyone else.

// publicSharing turns on the sharing a deployment runs with (the tests'
// default is off: see servicetest.New).
func publicSharing(c *service.Config) {
	d := service.Defaults()
	c.PublicShareTTL, c.PublicCoalesce = d.PublicShareTTL, d.PublicCoalesce
}

// panelQuery is quran.com's verse panel, with the counts a like changes.
const panelQuery = `{ verse(key: "2:255") { textUthmani translation { text }
  reflections(first: 10, languages: [2]) { nodes { id body likesCount isLiked author { username } references { verses { key } } } } }
  post(id: "7001") { id likesCount commentsCount comments(first: 3) { nodes { id body } } author { username postsCount } room { id name } } }`

// TestSignedOutReadsAreSharedAcrossReplicas: two servers on one real Redis:
// the second server's signed-out request costs no upstream call and answers
// the same; a signed-in viewer's request on it is its own (and its isLiked
// its own); a like through the first server drops the shared copies it makes
// stale, so the next signed-out request shows it.
func TestSignedOutReadsAreSharedAcrossReplicas(t *testing.T) {
	envs := servicetest.Replicas(t, 2, servicetest.StartRedis(t), withCopy(servicetest.Options{Config: publicSharing}))
	a, b := envs[0], envs[1]
	a.Fake.ResetStats()
	first := a.Post(t, panelQuery, nil)
	if len(first.Errors) > 0 {
		t.Fatal(first.Raw)
	}
	if n := a.Fake.Stats().APICalls; n == 0 {
		t.Fatal("the first request made no upstream call")
	}
	a.Fake.ResetStats()
	second := b.Post(t, panelQuery, nil)
	if second.Raw != first.Raw {
		t.Errorf("the second server answers otherwise:\n%s\n%s", first.Raw, second.Raw)
	}
	if n := b.Fake.Stats().APICalls; n != 0 {
		t.Errorf("the second server's signed-out request cost %d upstream calls (%v), want none", n, calls(b))
	}

	// Another verse is another feed, not the copy of this one's.
	other := b.Post(t, `{ verse(key: "3:7") { reflections(first: 10, languages: [2]) { totalCount nodes { id } } } }`, nil)
	if n := servicetest.At(other.Data, "verse", "reflections", "totalCount"); n != servicetest.JSONNumber("0") || calls(b)[fake.RouteFeed] != 1 {
		t.Errorf("3:7's reflections after 2:255's: %s, after %d feed calls; want its own (none), from its own call", other.Raw, calls(b)[fake.RouteFeed])
	}
	b.Fake.ResetStats()

	// A viewer is never served the public copy, nor is theirs shared.
	b.Fake.SetLiked("6f1c2a9e-4b7d-4c1e-9a51-0d2f3e4a5b61", "7025", true)
	mine := b.Post(t, panelQuery, nil, aisha)
	if len(mine.Errors) > 0 {
		t.Fatal(mine.Raw)
	}
	if n := calls(b)[fake.RouteFeed]; n != 1 {
		t.Errorf("a signed-in viewer's panel cost %d feed calls, want its own one", n)
	}
	if got := servicetest.At(mine.Data, "verse", "reflections", "nodes", 0, "isLiked"); got != true {
		t.Errorf("Aisha's view of 7025: isLiked %v, want true (her own answer)", got)
	}
	again := a.Post(t, panelQuery, nil)
	if got := servicetest.At(again.Data, "verse", "reflections", "nodes", 0, "isLiked"); got != nil {
		t.Errorf("a signed-out caller after Aisha: isLiked %v, want null (never a viewer's answer)", got)
	}

	// A write by anyone drops what it makes stale, on every replica.
	before := servicetest.At(again.Data, "post", "likesCount")
	like := a.Post(t, `mutation { setPostLiked(id: "7001", liked: true) { post { likesCount } } }`, nil, "Authorization: Bearer demo-bilal")
	if len(like.Errors) > 0 {
		t.Fatal(like.Raw)
	}
	b.Fake.ResetStats()
	after := b.Post(t, panelQuery, nil)
	if got, want := servicetest.At(after.Data, "post", "likesCount"), servicetest.At(like.Data, "setPostLiked", "post", "likesCount"); got != want || got == before {
		t.Errorf("after Bilal's like, a signed-out reader on the other server sees likesCount %v (before %v), want %v", got, before, want)
	}
	if b.Fake.Stats().APICalls == 0 {
		t.Error("after the like, the signed-out request was served the stale copy")
	}
}
