package fake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const posts = "/quran-reflect/v1/posts"

// envelope checks that ans is the gateway's error envelope with status.
func envelope(t *testing.T, ans answer, status int, typ string) {
	t.Helper()
	if ans.status != status || ans.body["type"] != typ || ans.body["success"] != false {
		t.Errorf("%d %s, want %d %s", ans.status, ans.raw, status, typ)
	}
}

func TestCreatePost(t *testing.T) {
	clock := NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	f := New(Options{Now: clock.Now})
	a := newAPIOf(t, f)
	before := a.f.PostsBy(aisha)
	ans := a.do(http.MethodPost, posts, "demo-aisha",
		`{"post": {"body": "A new reflection on #tawhid and #Patience.", "draft": false,
		  "references": [{"chapterId": 2, "from": 255, "to": 255}, {"chapterId": 112, "from": 0, "to": 0}], "mentions": ["`+bilal+`"]}}`)
	if ans.status != http.StatusCreated || ans.body["success"] != true {
		t.Fatalf("%d %s", ans.status, ans.raw)
	}
	p := ans.body["post"].(map[string]any)
	if p["authorId"] != aisha || p["publishedAt"] != "2026-03-01T12:00:00.000Z" || p["roomId"] != nil ||
		num(p["languageId"]) != 2 || p["draft"] != false || num(p["postTypeId"]) != 1 || num(p["commentsCount"]) != 0 {
		t.Errorf("post %v", p)
	}
	if got := tagNames(p); !sameSet(got, []string{"tawhid", "patience"}) {
		t.Errorf("tags %v", got)
	}
	if got := refsOf(p); len(got) != 2 || got[1] != (verse{112, 0, 0}) {
		t.Errorf("references %v", got)
	}
	id := str(p["id"])
	if got := a.ok(posts+"/"+id, "demo-bilal"); got["body"] != p["body"] {
		t.Errorf("read back %v", got)
	}
	first := a.ok(feed+"?filter[references][0][chapterId]=2&filter[references][0][from]=255&limit=1", a.anonymous())
	if got := str(first["data"].([]any)[0].(map[string]any)["id"]); got != id {
		t.Errorf("the newest post on 2:255 is %s, want %s", got, id)
	}
	if got := a.f.PostsBy(aisha); got != before+1 {
		t.Errorf("aisha has %d posts, had %d", got, before)
	}
	if profile := a.ok("/quran-reflect/v1/users/"+aisha, "demo-bilal"); num(profile["postsCount"]) != before+1 {
		t.Errorf("profile postsCount %v", profile["postsCount"])
	}

	// Arabic, in a room, as members only (2 in CreatePostDto, 0 in PostSerialized).
	ans = a.do(http.MethodPost, posts, "demo-aisha",
		`{"post": {"body": "الله لا إله إلا هو الحي القيوم", "draft": false, "references": [{"chapterId": 2, "from": 255, "to": 255}],
		  "mentions": [], "roomId": 1, "roomPostStatus": 2}}`)
	if ans.status != http.StatusCreated {
		t.Fatalf("%d %s", ans.status, ans.raw)
	}
	p = ans.body["post"].(map[string]any)
	if num(p["languageId"]) != 1 || str(p["roomId"]) != "1" || num(p["roomPostStatus"]) != 0 {
		t.Errorf("room post %v", p)
	}
	// A draft: only its author sees it, in the drafts.
	ans = a.do(http.MethodPost, posts, "demo-aisha", `{"post": {"body": "Not finished yet.", "draft": true, "references": [{"chapterId": 1, "from": 1, "to": 7}], "mentions": []}}`)
	if ans.status != http.StatusCreated {
		t.Fatalf("%d %s", ans.status, ans.raw)
	}
	draft := str(ans.body["post"].(map[string]any)["id"])
	if a.get(posts+"/"+draft, "demo-bilal").status != 404 || a.f.PostsBy(aisha) != before+2 {
		t.Error("a draft is seen or counted")
	}

	for _, tc := range []struct{ name, token, body string }{
		{"short body", "demo-aisha", `{"post": {"body": "short", "references": [{"chapterId": 1, "from": 1, "to": 1}]}}`},
		{"blank body", "demo-aisha", `{"post": {"body": "        ", "references": [{"chapterId": 1, "from": 1, "to": 1}]}}`},
		{"no references", "demo-aisha", `{"post": {"body": "Long enough body"}}`},
		{"empty references", "demo-aisha", `{"post": {"body": "Long enough body", "references": []}}`},
		{"chapter 115", "demo-aisha", `{"post": {"body": "Long enough body", "references": [{"chapterId": 115, "from": 1, "to": 1}]}}`},
		{"verse 8 of 7", "demo-aisha", `{"post": {"body": "Long enough body", "references": [{"chapterId": 1, "from": 1, "to": 8}]}}`},
		{"backwards", "demo-aisha", `{"post": {"body": "Long enough body", "references": [{"chapterId": 2, "from": 5, "to": 1}]}}`},
		{"room post status 3", "demo-aisha", `{"post": {"body": "Long enough body", "roomId": 1, "roomPostStatus": 3, "references": [{"chapterId": 1, "from": 1, "to": 1}]}}`},
		{"not wrapped", "demo-aisha", `{"body": "Long enough body", "references": [{"chapterId": 1, "from": 1, "to": 1}]}`},
		{"not JSON", "demo-aisha", `body=hello`},
		{"no body", "demo-aisha", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			envelope(t, a.do(http.MethodPost, posts, tc.token, tc.body), 400, "invalid_request")
		})
	}
	valid := `{"post": {"body": "Long enough body", "references": [{"chapterId": 1, "from": 1, "to": 1}], "roomId": %s}}`
	envelope(t, a.do(http.MethodPost, posts, a.anonymous(), fmt.Sprintf(valid, "null")), 401, "unauthorized")
	envelope(t, a.do(http.MethodPost, posts, "demo-aisha", fmt.Sprintf(valid, "999")), 404, "not_found")
	envelope(t, a.do(http.MethodPost, posts, "demo-aisha", fmt.Sprintf(valid, circleRoomID)), 403, "forbidden")

	pre := newAPIOf(t, New(Options{PostCreatedAsData: true}))
	ans = pre.do(http.MethodPost, posts, "demo-bilal", fmt.Sprintf(valid, "null"))
	if _, ok := ans.body["data"].(map[string]any); ans.status != 201 || !ok || ans.body["post"] != nil {
		t.Errorf("pre-live: %d %s", ans.status, ans.raw)
	}
}

// newAPIOf is newAPI with f.
func newAPIOf(t *testing.T, f *Server) *api {
	t.Helper()
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return &api{t: t, f: f, base: ts.URL, hc: ts.Client()}
}

func TestEditAndDeletePost(t *testing.T) {
	a := newAPI(t)
	// 4001 is aisha's, with 45 comments.
	ans := a.do(http.MethodPatch, posts+"/4001", "demo-aisha", `{"body": "Edited: with hardship comes ease.", "references": [{"chapterId": 94, "from": 5, "to": 6}]}`)
	if ans.status != 200 || ans.body["success"] != true {
		t.Fatalf("%d %s", ans.status, ans.raw)
	}
	p := ans.body["post"].(map[string]any)
	if p["body"] != "Edited: with hardship comes ease." || len(refsOf(p)) != 1 || str(p["updatedAt"]) <= str(p["createdAt"]) ||
		len(tagNames(p)) == 0 {
		t.Errorf("edited %v", p)
	}
	if got := a.ok(posts+"/4001", "demo-bilal"); got["body"] != p["body"] {
		t.Errorf("read back %v", got["body"])
	}
	envelope(t, a.do(http.MethodPatch, posts+"/4001", "demo-aisha", `{"post": {"body": "Wrapped body"}}`), 400, "invalid_request")
	envelope(t, a.do(http.MethodPatch, posts+"/4001", "demo-aisha", `{"body": "tiny"}`), 400, "invalid_request")
	envelope(t, a.do(http.MethodPatch, posts+"/4001", "demo-bilal", `{"body": "Not my post to edit"}`), 403, "forbidden")
	envelope(t, a.do(http.MethodPatch, posts+"/999999", "demo-aisha", `{"body": "Nobody's post"}`), 404, "not_found")
	envelope(t, a.do(http.MethodPatch, posts+"/4001", a.anonymous(), `{"body": "Anonymous edit"}`), 401, "unauthorized")

	// Publishing a draft dates it and lists it.
	ans = a.do(http.MethodPatch, posts+"/7101", "demo-aisha", `{"draft": false}`)
	if ans.status != 200 || ans.body["post"].(map[string]any)["publishedAt"] == nil {
		t.Fatalf("publish: %d %s", ans.status, ans.raw)
	}
	a.ok(posts+"/7101", "demo-bilal")

	// Deleting: the post, its comments and its likes go.
	comment := str(items0(t, a.ok(posts+"/4001/comments", "demo-aisha"), "comments")[0]["id"])
	likes := num(a.ok("/quran-reflect/v1/users/"+aisha, "demo-bilal")["likesCount"])
	postLikes := num(p["likesCount"])
	envelope(t, a.do(http.MethodDelete, posts+"/4001", "demo-bilal", ""), 403, "forbidden")
	envelope(t, a.do(http.MethodDelete, posts+"/4001", a.anonymous(), ""), 401, "unauthorized")
	ans = a.do(http.MethodDelete, posts+"/4001", "demo-aisha", "")
	if ans.status != 200 || ans.body["success"] != true {
		t.Fatalf("delete: %d %s", ans.status, ans.raw)
	}
	envelope(t, a.get(posts+"/4001", "demo-aisha"), 404, "not_found")
	envelope(t, a.get(posts+"/4001/comments", "demo-aisha"), 404, "not_found")
	envelope(t, a.get("/quran-reflect/v1/comments/"+comment+"/replies", "demo-aisha"), 404, "not_found")
	envelope(t, a.do(http.MethodDelete, posts+"/4001", "demo-aisha", ""), 404, "not_found")
	if a.f.HasComment(comment) {
		t.Error("the post's comment outlived it")
	}
	for _, p := range a.pages(feed, "demo-aisha", 50) {
		if str(p["id"]) == "4001" {
			t.Error("a deleted post in the feed")
		}
	}
	if n := len(a.pages("/quran-reflect/v1/rooms/1/posts", "demo-aisha", 20)); n != 29 {
		t.Errorf("room 1 has %d posts left", n)
	}
	if got := num(a.ok("/quran-reflect/v1/users/"+aisha, "demo-bilal")["likesCount"]); got != likes-postLikes {
		t.Errorf("aisha's likes %d, want %d - %d", got, likes, postLikes)
	}
}

func TestPostToggles(t *testing.T) {
	a := newAPI(t)
	const p = posts + "/7003" // liked by nobody at first
	read := func(token string) map[string]any { return a.ok(p, token) }
	likes := num(read("demo-aisha")["likesCount"])
	if got := a.ok(p+"/liked", "demo-aisha"); got["liked"] != false {
		t.Fatalf("liked %v", got)
	}
	for i, want := range []bool{true, false, true} {
		ans := a.do(http.MethodPost, p+"/toggle-like", "demo-aisha", "")
		if ans.status != 200 || ans.body["liked"] != want {
			t.Fatalf("toggle %d: %d %s", i, ans.status, ans.raw)
		}
		if got := a.ok(p+"/liked", "demo-aisha"); got["liked"] != want || a.f.Liked(aisha, "7003") != want {
			t.Errorf("toggle %d: read back %v", i, got)
		}
		post := read("demo-aisha")
		if post["isLiked"] != want || num(post["likesCount"]) != likes+b2i(want) {
			t.Errorf("toggle %d: isLiked %v, likesCount %v (from %d)", i, post["isLiked"], post["likesCount"], likes)
		}
	}
	if got := read("demo-bilal"); got["isLiked"] != false {
		t.Error("bilal sees aisha's like as his")
	}
	saved := a.f.Saved(bilal, "7003")
	ans := a.do(http.MethodPost, p+"/toggle-save", "demo-bilal", "")
	if ans.status != 200 || ans.body["saved"] != !saved || read("demo-bilal")["isSaved"] != !saved {
		t.Errorf("toggle-save: %d %s", ans.status, ans.raw)
	}
	found := false
	for _, q := range a.pages(feed+"?tab=favorite", "demo-bilal", 20) {
		found = found || str(q["id"]) == "7003"
	}
	if found != !saved {
		t.Errorf("in bilal's favourites: %v", found)
	}
	for _, route := range []string{"/toggle-like", "/toggle-save"} {
		envelope(t, a.do(http.MethodPost, p+route, a.anonymous(), ""), 401, "unauthorized")
		envelope(t, a.do(http.MethodPost, posts+"/999999"+route, "demo-aisha", ""), 404, "not_found")
		envelope(t, a.do(http.MethodPost, posts+"/7103"+route, "demo-aisha", ""), 404, "not_found") // fatima's draft
	}
	envelope(t, a.get(p+"/liked", a.anonymous()), 401, "unauthorized")
	envelope(t, a.get(posts+"/999999/liked", "demo-aisha"), 404, "not_found")
}

func TestToggleRaces(t *testing.T) {
	a := newAPI(t)
	// Another device likes the post between this client's read and its toggle:
	// the toggle undoes it.
	a.f.BeforeRoute(RouteTogglePostLike, func() { a.f.SetLiked(aisha, "7002", true) })
	if got := a.ok(posts+"/7002/liked", "demo-aisha"); got["liked"] != false {
		t.Fatal("liked before")
	}
	ans := a.do(http.MethodPost, posts+"/7002/toggle-like", "demo-aisha", "")
	if ans.body["liked"] != false || a.f.Liked(aisha, "7002") {
		t.Errorf("after the race: %s", ans.raw)
	}
	// The hook ran once.
	ans = a.do(http.MethodPost, posts+"/7002/toggle-like", "demo-aisha", "")
	if ans.body["liked"] != true {
		t.Errorf("second toggle: %s", ans.raw)
	}
	// Hooks for one route run one per call, in order; concurrent calls take one each.
	var mu sync.Mutex
	var ran []int
	for i := range 3 {
		a.f.BeforeRoute(RouteFeed, func() { mu.Lock(); ran = append(ran, i); mu.Unlock() })
	}
	for range 3 {
		a.get(feed+"?limit=1", "demo-aisha")
	}
	if fmt.Sprint(ran) != "[0 1 2]" {
		t.Errorf("ran %v", ran)
	}
	// A fault answers before the hook: it waits for a call that reaches the handler.
	a.f.SetRouteFault(RouteTogglePostSave, Fault{Status: 503, Body: "down", Times: 1})
	var calls atomic.Int32
	a.f.BeforeRoute(RouteTogglePostSave, func() { calls.Add(1) })
	if ans := a.do(http.MethodPost, posts+"/7002/toggle-save", "demo-aisha", ""); ans.status != 503 || calls.Load() != 0 {
		t.Errorf("fault: %d, hook ran %d", ans.status, calls.Load())
	}
	if ans := a.do(http.MethodPost, posts+"/7002/toggle-save", "demo-aisha", ""); ans.status != 200 || calls.Load() != 1 {
		t.Errorf("after the fault: %d, hook ran %d", ans.status, calls.Load())
	}
}

func TestReportAndViews(t *testing.T) {
	a := newAPI(t)
	anon := a.anonymous()
	before, _ := a.f.PostCounts("7003")
	for _, token := range []string{anon, "demo-aisha", anon} {
		ans := a.do(http.MethodPost, posts+"/viewed/7003", token, "")
		if ans.status != 200 || ans.body["success"] != true {
			t.Fatalf("viewed: %d %s", ans.status, ans.raw)
		}
	}
	if ans := a.get(posts+"/viewed/7003", anon); ans.status != 200 { // pre-live's GET
		t.Errorf("GET viewed: %d", ans.status)
	}
	after, _ := a.f.PostCounts("7003")
	if after.Views != before.Views+4 || num(a.ok(posts+"/7003", anon)["viewsCount"]) != after.Views {
		t.Errorf("views %d, were %d", after.Views, before.Views)
	}
	envelope(t, a.do(http.MethodPost, posts+"/viewed/999999", anon, ""), 404, "not_found")

	ans := a.do(http.MethodPost, posts+"/7003/report", "demo-bilal", `{"report": {"abuse": "spam", "comments": ""}}`)
	if ans.status != 200 || ans.body["reported"] != true {
		t.Fatalf("report: %d %s", ans.status, ans.raw)
	}
	if c, _ := a.f.PostCounts("7003"); c.Reports != 1 {
		t.Errorf("%d reports", c.Reports)
	}
	envelope(t, a.do(http.MethodPost, posts+"/7003/report", "demo-bilal", `{"report": {"comments": "no abuse"}}`), 400, "invalid_request")
	envelope(t, a.do(http.MethodPost, posts+"/7003/report", "demo-bilal", `{"abuse": "spam"}`), 400, "invalid_request")
	envelope(t, a.do(http.MethodPost, posts+"/7003/report", anon, `{"report": {"abuse": "spam"}}`), 401, "unauthorized")
	envelope(t, a.do(http.MethodPost, posts+"/999999/report", "demo-bilal", `{"report": {"abuse": "spam"}}`), 404, "not_found")
}

func TestLoopRoutesCountedAndFaulted(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct{ route, method, path string }{
		{RouteFeed, "GET", feed},
		{RouteRelatedPosts, "GET", posts + "/7001/related"},
		{RouteReReflections, "GET", posts + "/7001/re-reflections"},
		{RouteMyPosts, "GET", posts + "/my-posts"},
		{RoutePostLiked, "GET", posts + "/7001/liked"},
		{RouteCreatePost, "POST", posts},
		{RouteEditPost, "PATCH", posts + "/7001"},
		{RouteDeletePost, "DELETE", posts + "/7001"},
		{RouteTogglePostLike, "POST", posts + "/7001/toggle-like"},
		{RouteTogglePostSave, "POST", posts + "/7001/toggle-save"},
		{RouteReportPost, "POST", posts + "/7001/report"},
		{RoutePostViewed, "POST", posts + "/viewed/7001"},
		{RoutePostViewedPrelive, "GET", posts + "/viewed/7001"},
		{RouteCreateComment, "POST", "/quran-reflect/v1/comments"},
		{RouteEditComment, "PATCH", "/quran-reflect/v1/comments/1"},
		{RouteDeleteComment, "GET", "/quran-reflect/v1/comments/1/delete"},
		{RouteCommentReplies, "GET", "/quran-reflect/v1/comments/1/replies"},
		{RouteToggleCommentLike, "POST", "/quran-reflect/v1/comments/1/toggle-like"},
		{RouteSearchUsers, "GET", "/quran-reflect/v1/users/search"},
		{RouteTags, "GET", "/quran-reflect/v1/tags"},
		{RouteTrendingHashtags, "GET", "/quran-reflect/v1/trending-hashtags?limit=3"},
	} {
		t.Run(tc.route, func(t *testing.T) {
			a.f.SetRouteFault(tc.route, Fault{Status: 502, Body: "bad gateway", Times: 1})
			before := a.f.Stats().Calls[tc.route]
			if ans := a.do(tc.method, tc.path, "demo-aisha", ""); ans.status != 502 || !strings.Contains(ans.raw, "bad gateway") {
				t.Errorf("%d %s", ans.status, ans.raw)
			}
			if got := a.f.Stats().Calls[tc.route]; got != before+1 {
				t.Errorf("calls %d, were %d", got, before)
			}
		})
	}
}
