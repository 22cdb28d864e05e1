package fake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const comments = "/quran-reflect/v1/comments"

// replies walks every page of a comment's replies.
func (a *api) replies(id, token string) (all []map[string]any, parent map[string]any) {
	a.t.Helper()
	for page := 1; ; page++ {
		body := a.ok(fmt.Sprintf("%s/%s/replies?page=%d&limit=20", comments, id, page), token)
		parent = body["comment"].(map[string]any)
		list := items0(a.t, body, "replies")
		if len(list) == 0 {
			if num(body["total"]) != len(all) {
				a.t.Errorf("replies of %s: walked %d, total %v", id, len(all), body["total"])
			}
			return all, parent
		}
		all = append(all, list...)
	}
}

func TestReplies(t *testing.T) {
	a := newAPI(t)
	top := a.pages(posts+"/7001/comments", a.anonymous(), 20)
	if len(top) != 25 {
		t.Fatalf("%d comments on 7001", len(top))
	}
	first := str(top[0]["id"])
	rs, parent := a.replies(first, a.anonymous())
	if len(rs) != 23 || num(top[0]["repliesCount"]) != 23 || str(parent["id"]) != first {
		t.Fatalf("%d replies, repliesCount %v, comment %v", len(rs), top[0]["repliesCount"], parent["id"])
	}
	seen := map[string]bool{}
	for i, r := range rs {
		if str(r["parentId"]) != first || str(r["postId"]) != "7001" || seen[str(r["id"])] {
			t.Errorf("reply %v", r)
		}
		seen[str(r["id"])] = true
		if i > 0 && str(r["createdAt"]) < str(rs[i-1]["createdAt"]) {
			t.Errorf("reply %d is older than the one before", i)
		}
	}
	for _, c := range top {
		for _, k := range []string{"likesCount", "repliesCount", "isEdited", "parentId"} {
			if _, ok := c[k]; !ok {
				t.Errorf("comment %s has no %s", c["id"], k)
			}
		}
	}
	if ans := a.get(comments+"/"+first+"/replies?limit=21", "demo-aisha"); validationDetails(t, ans)["limit"] != "MAX" {
		t.Errorf("limit 21: %s", ans.raw)
	}
	envelope(t, a.get(comments+"/1/replies", "demo-aisha"), 404, "not_found")
}

func TestCommentWrites(t *testing.T) {
	clock := NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a := newAPIOf(t, New(Options{Now: clock.Now}))
	count := func() int { c, _ := a.f.PostCounts("7002"); return c.Comments }
	before := count()
	ans := a.do(http.MethodPost, comments, "demo-bilal", `{"comment": {"body": "A comment of Bilal's.", "postId": 7002, "isPrivate": false}}`)
	if ans.status != http.StatusCreated || ans.body["success"] != true {
		t.Fatalf("%d %s", ans.status, ans.raw)
	}
	c := ans.body["comment"].(map[string]any)
	id := str(c["id"])
	if c["authorId"] != bilal || str(c["postId"]) != "7002" || c["parentId"] != nil || c["isEdited"] != false {
		t.Errorf("comment %v", c)
	}
	ans = a.do(http.MethodPost, comments, "demo-aisha", `{"comment": {"body": "A reply of Aisha's.", "postId": "7002", "isPrivate": false, "parentId": `+id+`}}`)
	if ans.status != http.StatusCreated {
		t.Fatalf("reply: %d %s", ans.status, ans.raw)
	}
	reply := str(ans.body["comment"].(map[string]any)["id"])
	if got := str(ans.body["comment"].(map[string]any)["parentId"]); got != id {
		t.Errorf("reply's parentId %s", got)
	}
	p := a.ok(posts+"/7002", "demo-aisha")
	if num(p["commentsCount"]) != before+2 || p["isCommentedOn"] != true || count() != before+2 {
		t.Errorf("commentsCount %v (was %d), isCommentedOn %v", p["commentsCount"], before, p["isCommentedOn"])
	}
	if rs, parent := a.replies(id, "demo-aisha"); len(rs) != 1 || num(parent["repliesCount"]) != 1 {
		t.Errorf("replies %v", rs)
	}

	long := strings.Repeat("x", maxCommentBody)
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"empty body", `{"comment": {"body": " ", "postId": 7002, "isPrivate": false}}`, 400},
		{"too long", `{"comment": {"body": "` + long + `y", "postId": 7002, "isPrivate": false}}`, 400},
		{"bad postId", `{"comment": {"body": "Hello", "postId": "seven", "isPrivate": false}}`, 400},
		{"no isPrivate", `{"comment": {"body": "Hello", "postId": 7002}}`, 400},
		{"not wrapped", `{"body": "Hello", "postId": 7002, "isPrivate": false}`, 400},
		{"reply to a reply", `{"comment": {"body": "Hello", "postId": 7002, "isPrivate": false, "parentId": ` + reply + `}}`, 400},
		{"post gone", `{"comment": {"body": "Hello", "postId": 999999, "isPrivate": false}}`, 404},
		{"someone's draft", `{"comment": {"body": "Hello", "postId": 7103, "isPrivate": false}}`, 404},
		{"parent gone", `{"comment": {"body": "Hello", "postId": 7002, "isPrivate": false, "parentId": 1}}`, 404},
		{"parent on another post", `{"comment": {"body": "Hello", "postId": 7003, "isPrivate": false, "parentId": ` + id + `}}`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ans := a.do(http.MethodPost, comments, "demo-aisha", tc.body); ans.status != tc.status {
				t.Errorf("%d %s, want %d", ans.status, ans.raw, tc.status)
			}
		})
	}
	ans = a.do(http.MethodPost, comments, "demo-aisha", `{"comment": {"body": "`+long+`", "postId": 7002, "isPrivate": true}}`)
	if ans.status != 201 {
		t.Fatalf("8000 characters: %d", ans.status)
	}
	// A private comment is for its author and the post's (sara's) only.
	private := str(ans.body["comment"].(map[string]any)["id"])
	for token, want := range map[string]bool{"demo-aisha": true, "demo-bilal": false, a.anonymous(): false} {
		listed := slices.ContainsFunc(a.pages(posts+"/7002/comments", token, 20), func(c map[string]any) bool { return str(c["id"]) == private })
		if listed != want {
			t.Errorf("private comment listed: %v, want %v", listed, want)
		}
	}
	envelope(t, a.do(http.MethodPost, comments, a.anonymous(), `{"comment": {"body": "Hello", "postId": 7002, "isPrivate": false}}`), 401, "unauthorized")

	// Edit: the author only; isEdited and updatedAt follow.
	clock.Add(time.Hour)
	envelope(t, a.do(http.MethodPatch, comments+"/"+id, "demo-aisha", `{"comment": {"body": "Not mine"}}`), 403, "forbidden")
	envelope(t, a.do(http.MethodPatch, comments+"/"+id, "demo-bilal", `{"comment": {"body": ""}}`), 400, "invalid_request")
	envelope(t, a.do(http.MethodPatch, comments+"/1", "demo-bilal", `{"comment": {"body": "Gone"}}`), 404, "not_found")
	ans = a.do(http.MethodPatch, comments+"/"+id, "demo-bilal", `{"comment": {"body": "Bilal's comment, edited."}}`)
	if ans.status != 200 || ans.body["success"] != true {
		t.Fatalf("edit: %d %s", ans.status, ans.raw)
	}
	edited := ans.body["data"].(map[string]any)
	if edited["isEdited"] != true || edited["body"] != "Bilal's comment, edited." || edited["updatedAt"] != "2026-03-01T13:00:00.000Z" {
		t.Errorf("edited %v", edited)
	}

	// Likes.
	for _, want := range []bool{true, false} {
		ans := a.do(http.MethodPost, comments+"/"+id+"/toggle-like", "demo-fatima", "")
		if ans.status != 200 || ans.body["liked"] != want || a.f.CommentLiked(fatima, id) != want {
			t.Errorf("toggle-like: %d %s", ans.status, ans.raw)
		}
		_, parent := a.replies(id, "demo-fatima")
		if num(parent["likesCount"]) != b2i(want) {
			t.Errorf("likesCount %v", parent["likesCount"])
		}
	}
	envelope(t, a.do(http.MethodPost, comments+"/1/toggle-like", "demo-fatima", ""), 404, "not_found")
	envelope(t, a.do(http.MethodPost, comments+"/"+id+"/toggle-like", a.anonymous(), ""), 401, "unauthorized")

	// Delete: not fatima's to delete; bilal's, with its reply; then gone.
	envelope(t, a.get(comments+"/"+id+"/delete", "demo-fatima"), 400, "invalid_request")
	envelope(t, a.get(comments+"/"+id+"/delete", a.anonymous()), 401, "unauthorized")
	ans = a.get(comments+"/"+id+"/delete", "demo-bilal")
	if ans.status != 200 || ans.body["removed"] != true {
		t.Fatalf("delete: %d %s", ans.status, ans.raw)
	}
	if a.f.HasComment(id) || a.f.HasComment(reply) || count() != before+1 {
		t.Errorf("after the delete: comment %v, reply %v, %d comments (were %d)", a.f.HasComment(id), a.f.HasComment(reply), count(), before)
	}
	envelope(t, a.get(comments+"/"+id+"/delete", "demo-bilal"), 404, "not_found")
	envelope(t, a.get(comments+"/"+reply+"/replies", "demo-bilal"), 404, "not_found")
	for _, c := range a.pages(posts+"/7002/comments", "demo-bilal", 20) {
		if str(c["id"]) == id {
			t.Error("a deleted comment is listed")
		}
	}
}

func TestDeleteCommentByPostAuthor(t *testing.T) {
	a := newAPI(t)
	// 4001 is aisha's; its comments are by others.
	var c map[string]any
	for _, x := range items0(t, a.ok(posts+"/4001/comments", "demo-aisha"), "comments") {
		if x["authorId"] != aisha {
			c = x
			break
		}
	}
	if c == nil {
		t.Fatal("every comment on 4001 is aisha's")
	}
	if ans := a.get(comments+"/"+str(c["id"])+"/delete", "demo-aisha"); ans.status != 200 {
		t.Errorf("the post's author: %d %s", ans.status, ans.raw)
	}
	if got := num(a.ok(posts+"/4001", "demo-aisha")["commentsCount"]); got != 44 {
		t.Errorf("commentsCount %d", got)
	}
}
