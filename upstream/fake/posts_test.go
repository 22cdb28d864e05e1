package fake

import (
	"cmp"
	"slices"
	"testing"
	"time"
)

func TestPost(t *testing.T) {
	a := newAPI(t)
	p := a.ok("/quran-reflect/v1/posts/4001", "demo-aisha")
	for _, k := range []string{"id", "authorId", "createdAt", "updatedAt", "commentsCount", "roomId", "postTypeId",
		"body", "author", "tags", "references", "room", "likesCount", "viewsCount", "publishedAt", "roomPostStatus", "isLiked", "isSaved"} {
		if _, ok := p[k]; !ok {
			t.Errorf("post has no %s", k)
		}
	}
	if p["authorId"] != aisha || str(p["roomId"]) != "1" || num(p["commentsCount"]) != 45 {
		t.Errorf("post 4001: %v", p)
	}
	room := p["room"].(map[string]any)
	if str(room["id"]) != "1" || room["name"] != "Morning Reflections" || room["roomType"] != "group" {
		t.Errorf("room %v", room)
	}
	author := p["author"].(map[string]any)
	if author["id"] != aisha || author["username"] != "aisha" {
		t.Errorf("author %v", author)
	}
	for _, tag := range p["tags"].([]any) {
		if _, ok := tag.(map[string]any)["name"]; !ok {
			t.Errorf("tag %v", tag)
		}
	}
	for _, ref := range p["references"].([]any) {
		r := ref.(map[string]any)
		if _, ok := r["id"].(string); !ok || num(r["chapterId"]) < 1 || num(r["from"]) > num(r["to"]) {
			t.Errorf("reference %v", r)
		}
	}
	if _, err := time.Parse(time.RFC3339, str(p["createdAt"])); err != nil {
		t.Error(err)
	}
	big := a.ok("/quran-reflect/v1/posts/9007199254740995", a.anonymous())
	if str(big["id"]) != "9007199254740995" || str(big["roomId"]) != "9007199254740993" {
		t.Errorf("big ids: %s in %s", big["id"], big["roomId"])
	}
	if sub := big["room"].(map[string]any)["subdomain"]; sub != "bigid" {
		t.Errorf("page subdomain %v", sub)
	}
	if _, ok := big["isLiked"]; ok {
		t.Error("isLiked for an anonymous viewer")
	}
	for _, id := range []string{"999999", "abc"} {
		if ans := a.get("/quran-reflect/v1/posts/"+id, "demo-aisha"); ans.status != 404 {
			t.Errorf("post %s: %d", id, ans.status)
		}
	}
}

func TestRoomPosts(t *testing.T) {
	a := newAPI(t)
	posts := a.pages("/quran-reflect/v1/rooms/1/posts", "demo-aisha", 20)
	if len(posts) != 30 {
		t.Fatalf("room 1: %d posts, want 30", len(posts))
	}
	authors := map[string]bool{}
	var published []string
	for _, p := range posts {
		authors[str(p["authorId"])] = true
		published = append(published, str(p["publishedAt"]))
		if str(p["roomId"]) != "1" {
			t.Errorf("post %s in room %s", p["id"], p["roomId"])
		}
	}
	if len(authors) < 5 || authors[yusuf] {
		t.Errorf("%d authors (yusuf among them: %v)", len(authors), authors[yusuf])
	}
	if !slices.IsSortedFunc(published, func(a, b string) int { return cmp.Compare(b, a) }) {
		t.Errorf("latest first: %v", published)
	}
	popular := a.pages("/quran-reflect/v1/rooms/1/posts?sortBy=popular", "demo-aisha", 20)
	if !slices.IsSortedFunc(popular, func(a, b map[string]any) int { return num(b["likesCount"]) - num(a["likesCount"]) }) {
		t.Error("popular: not by likes")
	}
	public := a.pages("/quran-reflect/v1/rooms/1/posts?tab=public", "demo-aisha", 20)
	membersOnly := a.pages("/quran-reflect/v1/rooms/1/posts?tab=members_only", "demo-aisha", 20)
	if len(public)+len(membersOnly) != 30 || len(membersOnly) == 0 {
		t.Errorf("%d public, %d members only", len(public), len(membersOnly))
	}
	for _, p := range membersOnly {
		if num(p["roomPostStatus"]) != 0 {
			t.Errorf("members-only post %s has status %v", p["id"], p["roomPostStatus"])
		}
	}
	saved := a.pages("/quran-reflect/v1/rooms/1/posts?tab=saved", "demo-aisha", 20)
	wantSaved := 0
	for _, p := range posts {
		if p["isSaved"] == true {
			wantSaved++
		}
	}
	if len(saved) != wantSaved || wantSaved == 0 {
		t.Errorf("%d saved, %d posts say isSaved", len(saved), wantSaved)
	}
	if n := len(a.pages("/quran-reflect/v1/rooms/1/posts?tab=saved", a.anonymous(), 20)); n != 0 {
		t.Errorf("anonymous saved %d", n)
	}
	for _, id := range demoRoomIDs() {
		room := a.ok("/quran-reflect/v1/rooms/"+id, "demo-aisha")
		if got, want := num(a.ok("/quran-reflect/v1/rooms/"+id+"/posts", "demo-aisha")["total"]), num(room["postsCount"]); got != want {
			t.Errorf("room %s: %d posts listed, postsCount %d", id, got, want)
		}
	}
	if ans := a.get("/quran-reflect/v1/rooms/999/posts", "demo-aisha"); ans.status != 404 {
		t.Errorf("unknown room: %d", ans.status)
	}
}

func TestUserPosts(t *testing.T) {
	a := newAPI(t)
	for _, u := range []string{aisha, bilal, fatima, omar, yusuf} {
		profile := a.ok("/quran-reflect/v1/users/"+u, "demo-aisha")
		posts := a.pages("/quran-reflect/v1/posts/user-posts/"+u, "demo-aisha", 20)
		likes := 0
		for _, p := range posts {
			likes += num(p["likesCount"])
			if p["authorId"] != u {
				t.Errorf("%s's posts: one by %s", u, p["authorId"])
			}
		}
		if len(posts) != num(profile["postsCount"]) || likes != num(profile["likesCount"]) {
			t.Errorf("%s: %d posts with %d likes; profile says %v and %v", profile["username"], len(posts), likes,
				profile["postsCount"], profile["likesCount"])
		}
	}
	if body := a.ok("/quran-reflect/v1/posts/user-posts/nobody", "demo-aisha"); num(body["total"]) != 0 {
		t.Errorf("unknown user: %v", body)
	}
}

func TestComments(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		post string
		want int
	}{{"4001", 45}, {"4010", 27}, {"1234567890123456801", 26}} {
		t.Run(tc.post, func(t *testing.T) {
			comments := a.pages("/quran-reflect/v1/posts/"+tc.post+"/comments", "demo-aisha", 20)
			if len(comments) != tc.want {
				t.Fatalf("%d comments, want %d", len(comments), tc.want)
			}
			seen := map[string]bool{}
			for i, c := range comments {
				if seen[str(c["id"])] {
					t.Errorf("comment %s twice", c["id"])
				}
				seen[str(c["id"])] = true
				if str(c["postId"]) != tc.post || c["parentId"] != nil || c["author"] == nil {
					t.Errorf("comment %v", c)
				}
				if i > 0 && str(c["createdAt"]) < str(comments[i-1]["createdAt"]) {
					t.Errorf("comment %d is older than the one before", i)
				}
			}
			body := a.ok("/quran-reflect/v1/posts/"+tc.post+"/comments?limit=20", "demo-aisha")
			if num(body["pages"]) != (tc.want+19)/20 {
				t.Errorf("pages %v", body["pages"])
			}
		})
	}
	if ans := a.get("/quran-reflect/v1/posts/999999/comments", "demo-aisha"); ans.status != 404 {
		t.Errorf("unknown post: %d", ans.status)
	}
}
