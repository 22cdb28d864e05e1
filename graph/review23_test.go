package graph_test

import (
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// Review of issue 23 (branch rev23): attacks on the public (signed-out)
// sharing and the verse fallback. Each test states what the README promises
// and fails where the service does otherwise.

// sharedProd is a production-like Env (count by verse served) with the
// public sharing a deployment runs with.
func sharedProd(c *service.Config) {
	publicSharing(c)
	c.Env = "production"
}

// TestCreatePostDropsThePublicReflectionsCount: "a write through the
// service, by anyone, drops the public copies it makes stale". A new post on
// 2:255 changes Verse.reflectionsCount (count-by-verse), but createPost forgets
// only the post lists, rooms and the author by id: a signed-out reader keeps
// the old count for PUBLIC_SHARE_TTL while a signed-in one sees the new one.
func TestCreatePostDropsThePublicReflectionsCount(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: sharedProd})
	q := `{ verse(key: "2:255") { reflectionsCount } }`
	before := env.Post(t, q, nil)
	if len(before.Errors) > 0 {
		t.Fatal(before.Raw)
	}
	created := env.Post(t, `mutation { createPost(input: {body: "A reflection long enough to be posted", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id } } }`, nil, bilal)
	if len(created.Errors) > 0 {
		t.Fatal(created.Raw)
	}
	fresh := servicetest.At(env.Post(t, q, nil, aisha).Data, "verse", "reflectionsCount")
	public := servicetest.At(env.Post(t, q, nil).Data, "verse", "reflectionsCount")
	if fresh == servicetest.At(before.Data, "verse", "reflectionsCount") {
		t.Fatalf("the new post did not change the count (%v): the test shows nothing", fresh)
	}
	if public != fresh {
		t.Errorf("after Bilal's new post on 2:255, a signed-out reader sees reflectionsCount %v (before: %v), a signed-in one %v: the public copy is stale",
			public, servicetest.At(before.Data, "verse", "reflectionsCount"), fresh)
	}
}

// TestCreatePostDropsThePublicProfileByUsername: createPost forgets the
// author by id (postsCount) but not by username: user(username:) keeps the
// old postsCount for signed-out readers, while user(id:) shows the new one.
func TestCreatePostDropsThePublicProfileByUsername(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: publicSharing})
	q := `{ byName: user(username: "bilal") { postsCount } byId: user(id: "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62") { postsCount } }`
	before := env.Post(t, q, nil)
	if len(before.Errors) > 0 {
		t.Fatal(before.Raw)
	}
	created := env.Post(t, `mutation { createPost(input: {body: "A reflection long enough to be posted", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id } } }`, nil, bilal)
	if len(created.Errors) > 0 {
		t.Fatal(created.Raw)
	}
	after := env.Post(t, q, nil)
	byName, byID := servicetest.At(after.Data, "byName", "postsCount"), servicetest.At(after.Data, "byId", "postsCount")
	if byID == servicetest.At(before.Data, "byId", "postsCount") {
		t.Fatalf("postsCount by id did not change (%v): the test shows nothing", byID)
	}
	if byName != byID {
		t.Errorf("after Bilal's new post a signed-out reader sees postsCount %v by username, %v by id: the copy by username is stale", byName, byID)
	}
}

// TestPublicCopyOfAnotherSpellingOfAnID: a write forgets its item's
// public copy under the id the write names (ForgetPublic of one key, a DEL);
// a signed-out reader who looked the same post up under another spelling that
// the upstream accepts keeps the old copy.
func TestPublicCopyOfAnotherSpellingOfAnID(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: publicSharing})
	for _, spelling := range []string{"07001", " 7001", "7001 "} {
		resp := env.Post(t, `{ post(id: "`+spelling+`") { id likesCount } }`, nil)
		if len(resp.Errors) > 0 {
			t.Logf("spelling %q refused: %s", spelling, strings.TrimSpace(resp.Raw))
			continue
		}
		before := servicetest.At(resp.Data, "post", "likesCount")
		like := env.Post(t, `mutation { setPostLiked(id: "7001", liked: true) { post { likesCount } } }`, nil, aisha)
		if len(like.Errors) > 0 {
			t.Fatal(like.Raw)
		}
		after := env.Post(t, `{ post(id: "`+spelling+`") { id likesCount } }`, nil)
		if got, want := servicetest.At(after.Data, "post", "likesCount"), servicetest.At(like.Data, "setPostLiked", "post", "likesCount"); got != want {
			t.Errorf("post(id: %q) after a like: likesCount %v (before %v), want %v", spelling, got, before, want)
		}
		env.Post(t, `mutation { setPostLiked(id: "7001", liked: false) { post { likesCount } } }`, nil, aisha)
	}
}

// TestNoTokenInTheLogs: a failing copy load, a failing by_range read
// and a signed-in viewer's verse panel through them, at debug level: the logs
// name no token (the service's client-credentials tokens are "fake-cc-…", the
// viewers' "demo-…") and no client secret; every error has extensions.code.
func TestNoTokenInTheLogs(t *testing.T) {
	env := servicetest.New(t, withCopy(servicetest.Options{Before: func(f *fake.Server) {
		f.SetRouteFault(fake.RouteQuranUthmani, fake.Fault{Status: 401, Body: `{"message":"token expired"}`})
		f.SetRouteFault(fake.RouteChapters, fake.Fault{Status: 500})
	}}))
	env.Fake.SetRouteFault(fake.RouteVersesByRange, fake.Fault{Status: 403, Body: `{"message":"scope"}`})
	for _, h := range [][]string{nil, {aisha}, {"Authorization: Bearer demo-not-a-token"}} {
		resp := env.Post(t, panelQuery, nil, h...)
		for _, e := range resp.Errors {
			if e.Extensions["code"] == nil {
				t.Errorf("an error without extensions.code: %+v", e)
			}
		}
	}
	logs := env.Logs.String()
	for _, secret := range []string{"fake-cc-", "demo-aisha", "demo-not-a-token", fake.DemoClientSecret, "Bearer "} {
		if strings.Contains(logs, secret) {
			i := strings.Index(logs, secret)
			t.Errorf("the logs hold %q: …%s…", secret, logs[max(0, i-200):min(len(logs), i+100)])
		}
	}
}

// TestALargeTranslationIDIsBadInput: translation(resourceId:) takes any
// positive Int, but an id of ten digits (over 999999999, which the query
// builder refuses) ends as INTERNAL_SERVER_ERROR, not BAD_USER_INPUT; the
// same for translations(resourceIds:).
func TestALargeTranslationIDIsBadInput(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for _, q := range []string{
		`{ verse(key: "2:255") { translation(resourceId: 2147483647) { text } } }`,
		`{ verse(key: "2:255") { translations(resourceIds: [1000000000]) { text } } }`,
	} {
		resp := env.Post(t, q, nil)
		if got := resp.Code("verse.translation"); got != "BAD_USER_INPUT" && resp.Code("verse.translations") != "BAD_USER_INPUT" {
			t.Errorf("%s\n=> %s\nwant BAD_USER_INPUT", q, strings.TrimSpace(resp.Raw))
		}
	}
}

// TestColdAndWarmReplicasAnswerAlike: with no copy of the text (every
// verse and chapter field from the Content API, shared in Redis), a
// signed-out query over every shared kind (verses by range, chapters, feed,
// post, comments, user by id and username, followers, room and its posts and
// members) answers the same from the replica that fetched it and from one
// that read it back from Redis (JSON round trip: times, pointers, nil
// slices), at no upstream call.
func TestColdAndWarmReplicasAnswerAlike(t *testing.T) {
	envs := servicetest.Replicas(t, 2, servicetest.StartRedis(t), servicetest.Options{Config: publicSharing})
	q := `{
  chapters { id nameSimple nameArabic translatedName versesCount revelationPlace }
  verses(keys: ["1:1", "1:2", "2:255", "112:1"]) { key verseIndex textUthmani translation { resourceId text resourceName languageName }
    translations(resourceIds: [131, 20]) { resourceId text } chapter { id nameSimple } }
  feed(first: 5) { totalCount nodes { id body createdAt likesCount references { key chapterId from to verses { key textUthmani } } author { id username createdAt } } }
  post(id: "7001") { id body createdAt commentsCount comments(first: 5) { nodes { id body createdAt author { username } } } room { id name } }
  byId: user(id: "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62") { id username createdAt postsCount followers(first: 5) { nodes { id username } } posts(first: 3) { nodes { id } } }
  byName: user(username: "aisha") { id createdAt bio settings { __typename } }
}`
	a, b := envs[0], envs[1]
	cold := a.Post(t, q, nil)
	if len(cold.Errors) > 0 {
		t.Fatal(cold.Raw)
	}
	a.Fake.ResetStats()
	warm := b.Post(t, q, nil)
	if warm.Raw != cold.Raw {
		i := 0
		for i < len(warm.Raw) && i < len(cold.Raw) && warm.Raw[i] == cold.Raw[i] {
			i++
		}
		t.Errorf("the warm replica answers otherwise, from byte %d:\ncold …%s\nwarm …%s", i, cold.Raw[max(0, i-150):min(len(cold.Raw), i+150)], warm.Raw[max(0, i-150):min(len(warm.Raw), i+150)])
	}
	if n := b.Fake.Stats().APICalls; n != 0 {
		t.Errorf("the warm replica made %d upstream calls (%v), want none", n, calls(b))
	}
}
