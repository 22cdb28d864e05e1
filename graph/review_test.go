package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// Review attacks on the reflection loop (issue 22), through the real handler.

// TestReviewAliasedLikesInOneOperation: three setPostLiked in one operation,
// true, false, true: each payload shows the state it asked for, three toggles
// are made, and the post ends liked.
func TestReviewAliasedLikesInOneOperation(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	id := aPost(t, env)
	env.Fake.ResetStats()
	resp := env.Post(t, `mutation($id: ID!) {
		a: setPostLiked(id: $id, liked: true) { post { isLiked likesCount } }
		b: setPostLiked(id: $id, liked: false) { post { isLiked likesCount } }
		c: setPostLiked(id: $id, liked: true) { post { isLiked likesCount } }
		d: setPostLiked(id: $id, liked: true) { post { isLiked likesCount } }
	}`, map[string]any{"id": id}, bilal)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	for alias, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := servicetest.At(resp.Data, alias, "post", "isLiked"); got != want {
			t.Errorf("%s: isLiked %v, want %v: %s", alias, got, want, resp.Raw)
		}
	}
	if n := env.Fake.Stats().Calls[fake.RouteTogglePostLike]; n != 3 {
		t.Errorf("%d toggles, want 3", n)
	}
	after := env.Post(t, `query($id: ID!) { post(id: $id) { isLiked } }`, map[string]any{"id": id}, bilal)
	if servicetest.At(after.Data, "post", "isLiked") != true {
		t.Errorf("after the operation: %s", after.Raw)
	}
}

// TestReviewAFailedWriteIsNotSentAgain: a 502 may come after the upstream
// ran the write, so no write is sent twice by the service.
func TestReviewAFailedWriteIsNotSentAgain(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	id := aPost(t, env)
	for _, c := range []struct{ route, op string }{
		{fake.RouteCreatePost, `createPost(input: {body: "A reflection long enough", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id } }`},
		{fake.RouteEditPost, `updatePost(id: "ID", input: {body: "A new body for it"}) { post { id } }`},
		{fake.RouteTogglePostLike, `setPostLiked(id: "ID", liked: true) { post { id } }`},
		{fake.RouteTogglePostSave, `setPostSaved(id: "ID", saved: true) { post { id } }`},
		{fake.RouteReportPost, `reportPost(id: "ID", reason: "spam") { reported }`},
		{fake.RoutePostViewedPrelive, `recordPostView(id: "ID")`}, // the test env is pre-live: a GET
		{fake.RouteCreateComment, `createComment(input: {postId: "ID", body: "Ameen"}) { comment { id } }`},
	} {
		env.Fake.ResetStats()
		env.Fake.SetRouteFault(c.route, fake.Fault{Status: http.StatusBadGateway, Times: 1})
		resp := env.Post(t, `mutation { `+strings.ReplaceAll(c.op, "ID", id)+` }`, nil, bilal)
		if len(resp.Errors) == 0 {
			t.Errorf("%s: no error after a 502: %s", c.route, resp.Raw)
		}
		if resp.Status >= 500 {
			t.Errorf("%s: HTTP %d", c.route, resp.Status)
		}
		if n := env.Fake.Stats().Calls[c.route]; n != 1 {
			t.Errorf("%s was sent %d times after a 502, want once (%v)", c.route, n, env.Fake.Stats().Calls)
		}
	}
}

// TestReviewARefusedCreateSaysWhatToFix: a 400 from createPost is
// BAD_USER_INPUT with a message a person can act on, never the upstream's
// raw body.
func TestReviewARefusedCreateSaysWhatToFix(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const raw = `{"message":["post.body internal validator XYZZY failed at column 7"],"error":"Bad Request","statusCode":400}`
	env.Fake.SetRouteFault(fake.RouteCreatePost, fake.Fault{Status: http.StatusBadRequest, Body: raw, ContentType: "application/json", Times: 1})
	resp := env.Post(t, createPostOnce, map[string]any{"body": "A reflection long enough"}, bilal)
	if resp.Code("createPost") != errcode.BadUserInput {
		t.Errorf("%s, want BAD_USER_INPUT", resp.Raw)
	}
	if strings.Contains(resp.Raw, "XYZZY") {
		t.Errorf("the upstream's raw body reached the caller: %s", resp.Raw)
	}
}

// roomCached is an Env with the room cache on, and a group Bilal has joined.
func roomCached(t *testing.T) (*servicetest.Env, string) {
	t.Helper()
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) {
		c.RoomCoalesce, c.RoomCacheTTL = true, time.Minute
	}})
	room, _ := aGroupToJoin(t, env)
	if r := env.Post(t, `mutation($id: ID!) { joinRoom(id: $id) { room { isMember } } }`, map[string]any{"id": room}, bilal); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	return env, room
}

// roomPostsCount is the room's postsCount through the service, and as the
// fake itself counts it.
func roomPostsCount(t *testing.T, env *servicetest.Env, room string) (served, upstream string) {
	t.Helper()
	r := env.Post(t, `query($id: ID!) { room(id: $id) { postsCount } }`, map[string]any{"id": room}, bilal)
	if len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	req := httptest.NewRequest(http.MethodGet, "/quran-reflect/v1/rooms/"+room, nil)
	req.Header.Set("x-auth-token", "demo-bilal")
	req.Header.Set("x-client-id", fake.DemoClientID)
	rec := httptest.NewRecorder()
	env.Fake.ServeHTTP(rec, req)
	var body struct {
		PostsCount json.Number `json:"postsCount"`
		Data       struct {
			PostsCount json.Number `json:"postsCount"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	up := body.PostsCount.String()
	if up == "" {
		up = body.Data.PostsCount.String()
	}
	return fmt.Sprint(servicetest.At(r.Data, "room", "postsCount")), up
}

// TestReviewRoomPostsCountAfterADelete: with the room cache on, the room's
// postsCount is fresh after createPost (which forgets the room), but not
// after a deletePost sent in a request of its own (it forgets the room only
// when the operation had read the post), though the fake counts the post gone.
func TestReviewRoomPostsCountAfterADelete(t *testing.T) {
	env, room := roomCached(t)
	before, _ := roomPostsCount(t, env, room)
	made := env.Post(t, `mutation($room: ID!) { createPost(input: {body: "A reflection in the room", references: [{chapterId: 2, from: 255, to: 255}], roomId: $room}) { post { id } } }`,
		map[string]any{"room": room}, bilal)
	id, ok := servicetest.At(made.Data, "createPost", "post", "id").(string)
	if !ok {
		t.Fatal(made.Raw)
	}
	if mid, _ := roomPostsCount(t, env, room); mid == before {
		t.Fatalf("postsCount stayed %s after createPost", mid)
	}
	if r := env.Post(t, `mutation($id: ID!) { deletePost(id: $id) { deletedId } }`, map[string]any{"id": id}, bilal); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	if served, up := roomPostsCount(t, env, room); served != up || up != before {
		t.Errorf("after the delete the room's postsCount is %s, the upstream's %s (before the create: %s)", served, up, before)
	}
}

// TestReviewRoomPostsCountAfterPublishingADraft: publishing a draft with
// updatePost adds it to its room's postsCount upstream; with the room cache
// on, the service keeps answering the old count.
func TestReviewRoomPostsCountAfterPublishingADraft(t *testing.T) {
	env, room := roomCached(t)
	made := env.Post(t, `mutation($room: ID!) { createPost(input: {body: "A draft in the room", references: [{chapterId: 2, from: 255, to: 255}], roomId: $room, draft: true}) { post { id draft } } }`,
		map[string]any{"room": room}, bilal)
	id, ok := servicetest.At(made.Data, "createPost", "post", "id").(string)
	if !ok || servicetest.At(made.Data, "createPost", "post", "draft") != true {
		t.Fatal(made.Raw)
	}
	before, _ := roomPostsCount(t, env, room) // cached from here
	pub := env.Post(t, `mutation($id: ID!) { updatePost(id: $id, input: {draft: false}) { post { id draft room { postsCount } } } }`, map[string]any{"id": id}, bilal)
	if len(pub.Errors) > 0 || servicetest.At(pub.Data, "updatePost", "post", "draft") != false {
		t.Fatal(pub.Raw)
	}
	served, up := roomPostsCount(t, env, room)
	if up == before {
		t.Fatalf("the fake's count stayed %s after publishing", up)
	}
	if served != up {
		t.Errorf("after publishing the draft the room's postsCount is %s, the upstream's %s (payload: %s)", served, up, pub.Raw)
	}
}

// TestReviewIsCommentedOnIsWhatTheSchemaSays: the schema says isCommentedOn
// is "Whether the post has comments"; a post with comments the viewer did
// not write must say true.
func TestReviewIsCommentedOnIsWhatTheSchemaSays(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	id := aPost(t, env)
	if r := env.Post(t, `mutation($p: ID!) { createComment(input: {postId: $p, body: "Ameen"}) { comment { id } } }`, map[string]any{"p": id}, aisha); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	resp := env.Post(t, `query($p: ID!) { post(id: $p) { commentsCount isCommentedOn } }`, map[string]any{"p": id}, bilal)
	if fmt.Sprint(servicetest.At(resp.Data, "post", "commentsCount")) == "0" {
		t.Fatal(resp.Raw)
	}
	// The schema says isCommentedOn describes the viewer: false for Bilal
	// (Aisha commented), true for Aisha, null for a signed-out reader.
	for _, c := range []struct {
		who  []string
		want any
	}{{[]string{bilal}, false}, {[]string{aisha}, true}, {nil, nil}} {
		r := env.Post(t, `query($p: ID!) { post(id: $p) { isCommentedOn } }`, map[string]any{"p": id}, c.who...)
		if got := servicetest.At(r.Data, "post", "isCommentedOn"); got != c.want {
			t.Errorf("%v: isCommentedOn %v, want %v: %s", c.who, got, c.want, r.Raw)
		}
	}
}

// TestReviewHostileReads: odd cursors, long search texts, deep nesting of the
// new connections: each is refused as the caller's mistake (or served), never
// an HTTP 500, and a refusal costs no upstream call.
func TestReviewHostileReads(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	long := strings.Repeat("ص", 5000)
	for name, c := range map[string]struct {
		q    string
		vars map[string]any
		at   string
	}{
		"a garbage cursor":       {`query($a: String) { feed(after: $a) { totalCount } }`, map[string]any{"a": "%%%not a cursor"}, "feed"},
		"a huge cursor":          {`query($a: String) { feed(after: $a) { totalCount } }`, map[string]any{"a": strings.Repeat("A", 20_000)}, "feed"},
		"a NUL cursor":           {`query($a: String) { searchUsers(query: "a", after: $a) { totalCount } }`, map[string]any{"a": "\x00"}, "searchUsers"},
		"a long user search":     {`query($q: String!) { searchUsers(query: $q) { totalCount } }`, map[string]any{"q": long}, "searchUsers"},
		"first 51":               {`{ feed(first: 51) { totalCount } }`, nil, "feed"},
		"first -1":               {`{ tags(first: -1) { totalCount } }`, nil, "tags"},
		"trending 0":             {`{ trendingTags(first: 0) { name } }`, nil, "trendingTags"},
		"trending 51":            {`{ trendingTags(first: 51) { name } }`, nil, "trendingTags"},
		"a negative language":    {`{ feed(filter: {languages: [-1]}) { totalCount } }`, nil, "feed"},
		"a comma in a tag":       {`{ feed(filter: {tags: ["a,b"]}) { totalCount } }`, nil, "feed"},
		"a comma in a group":     {`{ feed(filter: {groups: ["a,b"]}) { totalCount } }`, nil, "feed"},
		"an empty tag":           {`{ feed(filter: {tags: [""]}) { totalCount } }`, nil, "feed"},
		"a huge chapter":         {`{ feed(filter: {references: [{chapterId: 2147483647, from: 1, to: 1}]}) { totalCount } }`, nil, "feed"},
		"an unknown related cur": {`{ post(id: "4001") { related(after: "zzz") { totalCount } } }`, nil, "post.related"},
	} {
		env.Fake.ResetStats()
		resp := env.Post(t, c.q, c.vars, bilal)
		if resp.Status >= 500 {
			t.Errorf("%s: HTTP %d %s", name, resp.Status, resp.Raw)
			continue
		}
		if resp.Code(c.at) != errcode.BadUserInput {
			t.Errorf("%s: %.300s, want BAD_USER_INPUT at %s", name, resp.Raw, c.at)
		}
		s := env.Fake.Stats()
		calls := s.APICalls - s.Calls[fake.RoutePost] // post(id) itself may be read
		if calls != 0 {
			t.Errorf("%s: %d upstream calls (%v), want none", name, calls, s.Calls)
		}
	}
}

// TestReviewDeepConnectionsAreWeighed: the complexity limit weighs the new
// connections by first, so a nesting of five 50s is refused before any call.
func TestReviewDeepConnectionsAreWeighed(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	resp := env.Post(t, `{ feed(first: 50) { nodes { related(first: 50) { nodes { reReflections(first: 50) { nodes { comments(first: 50) { nodes { replies(first: 50) { nodes { id post { id } } } } } } } } } } } }`, nil, bilal)
	if len(resp.Errors) == 0 {
		t.Fatalf("served: %.300s", resp.Raw)
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("%d upstream calls before the refusal: %.300s", n, resp.Raw)
	}
	viewerDeep := env.Post(t, `{ viewer { posts(first: 50) { nodes { comments(first: 50) { nodes { replies(first: 50) { nodes { post { related(first: 50) { nodes { id } } } } } } } } } } }`, nil, bilal)
	if len(viewerDeep.Errors) == 0 {
		t.Errorf("viewer.posts nesting served: %.300s", viewerDeep.Raw)
	}
}

// TestReviewViewerPostsNeedsAUser: a caller without a user token has no posts
// of their own: viewer.posts is no one's, never the service token's.
func TestReviewViewerPostsNeedsAUser(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	resp := env.Post(t, `{ viewer { posts { totalCount nodes { id } } } }`, nil)
	if resp.Status >= 500 {
		t.Fatalf("HTTP %d %s", resp.Status, resp.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteMyPosts]; n != 0 {
		t.Errorf("a signed-out caller's viewer.posts called my-posts %d times: %s", n, resp.Raw)
	}
}

// TestReviewTagSearchIsBounded: searchUsers refuses a text over 100
// characters with no call; tags(query:) sends any length upstream (5000
// Arabic letters are a 30 KB query string).
func TestReviewTagSearchIsBounded(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	resp := env.Post(t, `query($q: String) { tags(query: $q) { totalCount } }`, map[string]any{"q": strings.Repeat("ص", 5000)}, bilal)
	if resp.Code("tags") != errcode.BadUserInput {
		t.Errorf("%s, want BAD_USER_INPUT as searchUsers answers", resp.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteTags]; n != 0 {
		t.Errorf("%d tag searches sent for a 5000-letter text", n)
	}
}

// TestReviewADroppedConnectionIsNotRetried: a connection dropped after the
// request was sent may follow a write the upstream ran, so the service must
// not send it again (the README: retried only on no connection, 429, 503).
func TestReviewADroppedConnectionIsNotRetried(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	made := env.Post(t, `mutation { createComment(input: {postId: "4001", body: "Ameen, a comment"}) { comment { id } } }`, nil, bilal)
	cid, ok := servicetest.At(made.Data, "createComment", "comment", "id").(string)
	if !ok {
		t.Fatal(made.Raw)
	}
	for _, c := range []struct{ route, op string }{
		{fake.RouteCreatePost, `createPost(input: {body: "A reflection long enough", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id } }`},
		{fake.RouteCreateComment, `createComment(input: {postId: "4001", body: "Ameen"}) { comment { id } }`},
		{fake.RouteToggleCommentLike, `toggleCommentLike(id: "CID") { liked }`},
		{fake.RouteDeleteComment, `deleteComment(id: "CID") { deletedId }`},
	} {
		env.Fake.ResetStats()
		env.Fake.SetRouteFault(c.route, fake.Fault{Reset: true, Times: 1})
		resp := env.Post(t, `mutation { `+strings.ReplaceAll(c.op, "CID", cid)+` }`, nil, bilal)
		if resp.Status >= 500 {
			t.Errorf("%s: HTTP %d", c.route, resp.Status)
		}
		if n := env.Fake.Stats().Calls[c.route]; n != 1 {
			t.Errorf("%s was sent %d times after a dropped connection, want once: %s", c.route, n, resp.Raw)
		}
	}
}

// TestReviewQueriesIgnoreTheHeader: the README says queries ignore the
// Idempotency-Key header, any value; and GET never runs a mutation (HTTP 405).
func TestReviewQueriesIgnoreTheHeader(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for _, key := range []string{"Idempotency-Key: ", "Idempotency-Key: " + strings.Repeat("k", 300), "Idempotency-Key: clé"} {
		resp := env.Post(t, `{ trendingTags(first: 3) { name } }`, nil, bilal, key)
		if resp.Status != http.StatusOK || len(resp.Errors) > 0 {
			t.Errorf("a query with %.40q: HTTP %d %s", key, resp.Status, resp.Raw)
		}
	}
	// A query twice with one key runs twice (nothing replayed).
	env.Fake.ResetStats()
	for range 2 {
		if r := env.Post(t, `{ trendingTags(first: 3) { name } }`, nil, bilal, "Idempotency-Key: q1"); r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a query was replayed: %s", r.Raw)
		}
	}
	if n := env.Fake.Stats().Calls[fake.RouteTrendingHashtags]; n != 2 {
		t.Errorf("%d trending calls for two queries", n)
	}
	req, err := http.NewRequest(http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(`mutation { setPostLiked(id: "4001", liked: true) { post { id } } }`), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-bilal")
	req.Header.Set("Idempotency-Key", "g1")
	if get := servicetest.Do(t, req); get.Status != http.StatusMethodNotAllowed {
		t.Errorf("a GET mutation: HTTP %d %s, want 405 as the README says", get.Status, get.Raw)
	}
}

// TestReviewFeedPagesBackward: the new connections take last and before, so
// paging a filtered feed backward seven at a time from its last page reaches
// every matching post once, in reverse order (last needs before here, as
// everywhere in this schema).
func TestReviewFeedPagesBackward(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const filter = `filter: {references: [{chapterId: 2, from: 255, to: 255}]}`
	all := env.Post(t, `{ feed(`+filter+`, first: 50) { edges { cursor node { id } } } }`, nil)
	if len(all.Errors) > 0 {
		t.Fatal(all.Raw)
	}
	var want []string
	edges := servicetest.At(all.Data, "feed", "edges").([]any)
	for _, e := range edges {
		want = append([]string{servicetest.At(e, "node", "id").(string)}, want...)
	}
	if len(want) < 21 {
		t.Fatalf("%d posts on 2:255, want more than one upstream page", len(want))
	}
	// last needs before (the upstream pages from the start): back from the
	// last post's cursor, every post but that one.
	end := servicetest.At(edges[len(edges)-1], "cursor").(string)
	want = want[1:]
	var got []string
	page := `query($b: String) { feed(` + filter + `, last: 7, before: $b) { edges { node { id } } pageInfo { hasPreviousPage startCursor } } }`
	resp := env.Post(t, page, map[string]any{"b": end})
	for range 20 {
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Raw)
		}
		es := servicetest.At(resp.Data, "feed", "edges").([]any)
		for i := len(es) - 1; i >= 0; i-- {
			got = append(got, servicetest.At(es[i], "node", "id").(string))
		}
		if servicetest.At(resp.Data, "feed", "pageInfo", "hasPreviousPage") != true {
			break
		}
		before := servicetest.At(resp.Data, "feed", "pageInfo", "startCursor").(string)
		resp = env.Post(t, page, map[string]any{"b": before})
	}
	if !slices.Equal(got, want) {
		t.Errorf("paging back by 7 reached\n  %v\nwant\n  %v", got, want)
	}
}

// TestReviewAReplyToAMissingParentSaysSo: a reply whose parentId is no
// comment of the post (none at all, or one on another post) names the parent
// as what is wrong; "post not found" about a post that exists sends the
// person to fix the wrong thing.
func TestReviewAReplyToAMissingParentSaysSo(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	r := env.Post(t, `{ post(id: "4002") { comments(first: 1) { nodes { id } } } }`, nil, bilal)
	other, ok := servicetest.At(r.Data, "post", "comments", "nodes", 0, "id").(string)
	if !ok {
		t.Fatal(r.Raw)
	}
	for name, parent := range map[string]string{"no such comment": "999999", "a comment on another post": other} {
		resp := env.Post(t, `mutation($c: ID!) { createComment(input: {postId: "4001", parentId: $c, body: "A reply"}) { comment { id } } }`, map[string]any{"c": parent}, bilal)
		if len(resp.Errors) == 0 {
			t.Errorf("%s: %s", name, resp.Raw)
			continue
		}
		if msg := resp.Errors[0].Message; !strings.Contains(msg, "comment") || strings.Contains(msg, "post not found") {
			t.Errorf("%s: %q: post 4001 exists; the parent comment is what is missing", name, msg)
		}
	}
}

// TestReviewAFrozenToggle: the upstream never answers the like's toggle; the
// request ends within REQUEST_TIMEOUT with a GraphQL error (not an HTML
// 500), the toggle is sent once, and asking again for the like reads the
// state first, so it makes one toggle more at most.
func TestReviewAFrozenToggle(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RequestTimeout = 300 * time.Millisecond }})
	id := aPost(t, env)
	env.Fake.ResetStats()
	env.Fake.SetRouteFault(fake.RouteTogglePostLike, fake.Fault{Hang: true, Times: 1})
	q := `mutation($id: ID!) { setPostLiked(id: $id, liked: true) { post { isLiked } } }`
	frozen := env.Post(t, q, map[string]any{"id": id}, bilal, "Idempotency-Key: frozen-1")
	if frozen.Status >= 500 && !strings.HasPrefix(frozen.Header.Get("Content-Type"), "application/") {
		t.Fatalf("HTTP %d %s %s", frozen.Status, frozen.Header.Get("Content-Type"), frozen.Raw)
	}
	if len(frozen.Errors) == 0 {
		t.Fatalf("a frozen toggle answered %s", frozen.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteTogglePostLike]; n != 1 {
		t.Errorf("the toggle was sent %d times", n)
	}
	// The same key replays what was answered: the toggle may have run.
	again := env.Post(t, q, map[string]any{"id": id}, bilal, "Idempotency-Key: frozen-1")
	if again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != frozen.Raw {
		t.Errorf("the retry with the key: replayed %q %s, want the first answer", again.Header.Get("Idempotent-Replayed"), again.Raw)
	}
	fresh := env.Post(t, q, map[string]any{"id": id}, bilal)
	if len(fresh.Errors) > 0 || servicetest.At(fresh.Data, "setPostLiked", "post", "isLiked") != true {
		t.Errorf("asking again without a key: %s", fresh.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteTogglePostLike]; n > 2 {
		t.Errorf("%d toggles in all, want at most 2", n)
	}
}

// TestReviewMembersOnlyWithoutARoomIsNotPublic: a post asked for as
// MEMBERS_ONLY with no roomId has no members to be limited to;
// the service sends it anyway and the post is created PUBLIC, the opposite of
// what the person asked. It should be BAD_USER_INPUT with no call.
func TestReviewMembersOnlyWithoutARoomIsNotPublic(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for _, v := range []string{"MEMBERS_ONLY"} {
		env.Fake.ResetStats()
		r := env.Post(t, `mutation { createPost(input: {body: "Only for the circle, I thought", references: [{chapterId: 2, from: 255, to: 255}], visibility: `+v+`}) { post { id visibility } } }`, nil, bilal)
		if got := servicetest.At(r.Data, "createPost", "post", "visibility"); got == "PUBLIC" {
			t.Errorf("%s with no room: created with visibility %v: %s", v, got, r.Raw)
		}
		if r.Code("createPost") != errcode.BadUserInput || env.Fake.Stats().Calls[fake.RouteCreatePost] != 0 {
			t.Errorf("%s with no room: %s, want BAD_USER_INPUT with no call", v, r.Raw)
		}
	}
}

// TestReviewFollowingFreshensIsByFollowedUser: isByFollowedUser is new on
// Post; after unfollowUser, the rest of the operation must not show the
// author's posts as by a followed user (the follow write forgets the user and
// their follows, not the lists of posts that carry isByFollowedUser).
func TestReviewFollowingFreshensIsByFollowedUser(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const fatima = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e63"
	resp := env.Post(t, `mutation($u: ID!) {
		a: followUser(id: $u) { user { followed posts(first: 1) { nodes { id isByFollowedUser } } } }
		b: unfollowUser(id: $u) { user { followed posts(first: 1) { nodes { id isByFollowedUser } } } }
	}`, map[string]any{"u": fatima}, bilal)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	if servicetest.At(resp.Data, "a", "user", "posts", "nodes", 0) == nil {
		t.Fatalf("Fatima has no posts: %s", resp.Raw)
	}
	if got := servicetest.At(resp.Data, "a", "user", "posts", "nodes", 0, "isByFollowedUser"); got != true {
		t.Errorf("after the follow: isByFollowedUser %v: %s", got, resp.Raw)
	}
	if servicetest.At(resp.Data, "b", "user", "followed") != false {
		t.Fatalf("the unfollow: %s", resp.Raw)
	}
	if got := servicetest.At(resp.Data, "b", "user", "posts", "nodes", 0, "isByFollowedUser"); got != false {
		t.Errorf("after the unfollow, in the same operation: isByFollowedUser %v, want false: %s", got, resp.Raw)
	}
}

// TestReviewDeletePostFreshensTheAuthorsCount: createPost forgets its
// author's profile (postsCount); deletePost does not, so the rest of the
// operation shows the deleted post still counted.
func TestReviewDeletePostFreshensTheAuthorsCount(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	var ids []any
	for _, body := range []string{"The first of two reflections", "The second of two reflections"} {
		made := env.Post(t, createPostOnce, map[string]any{"body": body}, bilal)
		id := servicetest.At(made.Data, "createPost", "post", "id")
		if id == nil {
			t.Fatal(made.Raw)
		}
		ids = append(ids, id)
	}
	resp := env.Post(t, `mutation($a: ID!, $b: ID!) {
		before: setPostLiked(id: $b, liked: true) { post { author { postsCount } } }
		gone: deletePost(id: $a) { deletedId }
		after: setPostLiked(id: $b, liked: false) { post { author { postsCount } } }
	}`, map[string]any{"a": ids[0], "b": ids[1]}, bilal)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	before := fmt.Sprint(servicetest.At(resp.Data, "before", "post", "author", "postsCount"))
	after := fmt.Sprint(servicetest.At(resp.Data, "after", "post", "author", "postsCount"))
	next := env.Post(t, `{ viewer { user { postsCount } } }`, nil, bilal)
	t.Logf("next request: %s", next.Raw)
	if before == after {
		t.Errorf("the author's postsCount stayed %s after deletePost, in the same operation", after)
	}
}
