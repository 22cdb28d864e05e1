package fake

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const feed = "/quran-reflect/v1/posts/feed"

// refsOf reads a post's references as verses.
func refsOf(p map[string]any) []verse {
	var out []verse
	for _, r := range p["references"].([]any) {
		m := r.(map[string]any)
		out = append(out, verse{num(m["chapterId"]), num(m["from"]), num(m["to"])})
	}
	return out
}

// on reports whether one of p's references shares a verse with chapter:from-to
// (from 0: the whole chapter), computed here apart from the emulator's code.
func on(p map[string]any, chapter, from, to int) bool {
	for _, r := range refsOf(p) {
		if r.chapter != chapter {
			continue
		}
		if from == 0 || r.from == 0 || r.from <= to && from <= r.to {
			return true
		}
	}
	return false
}

func tagNames(p map[string]any) []string {
	var out []string
	for _, t := range p["tags"].([]any) {
		out = append(out, str(t.(map[string]any)["name"]))
	}
	return out
}

func roomSlug(p map[string]any) string {
	rm, _ := p["room"].(map[string]any)
	if rm == nil {
		return ""
	}
	if s, ok := rm["subdomain"]; ok {
		return "page/" + str(s)
	}
	return "group/" + str(rm["_group"])
}

// TestFeedFilters walks every page of the feed for each filter and compares
// what it got with what the unfiltered feed, filtered here, holds: every match
// once, nothing else.
func TestFeedFilters(t *testing.T) {
	a := newAPI(t)
	all := a.pages(feed, "demo-aisha", 20)
	if len(all) < 150 {
		t.Fatalf("the feed holds %d posts", len(all))
	}
	verified := func(p map[string]any) bool { return p["author"].(map[string]any)["verified"] == true }
	for _, tc := range []struct {
		name, query string
		want        func(p map[string]any) bool
		atLeast     int
	}{
		{"verse", "filter[references][0][chapterId]=2&filter[references][0][from]=255&filter[references][0][to]=255",
			func(p map[string]any) bool { return on(p, 2, 255, 255) }, 25},
		{"verse without to", "filter[references][0][chapterId]=2&filter[references][0][from]=256",
			func(p map[string]any) bool { return on(p, 2, 256, 256) }, 4},
		{"chapter", "filter[references][0][chapterId]=36",
			func(p map[string]any) bool { return on(p, 36, 0, 0) }, 5},
		{"two verses OR", "filter[references][0][chapterId]=112&filter[references][0][from]=1&filter[references][0][to]=4&" +
			"filter[references][1][chapterId]=94&filter[references][1][from]=6&filter[references][1][to]=6",
			func(p map[string]any) bool { return on(p, 112, 1, 4) || on(p, 94, 6, 6) }, 10},
		{"two verses AND", "filter[referencesOperator]=AND&filter[references][0][chapterId]=2&filter[references][0][from]=255&filter[references][0][to]=255&" +
			"filter[references][1][chapterId]=112&filter[references][1][from]=1&filter[references][1][to]=4",
			func(p map[string]any) bool { return on(p, 2, 255, 255) && on(p, 112, 1, 4) }, 2},
		{"lessons", "filter[postTypeIds]=2", func(p map[string]any) bool { return num(p["postTypeId"]) == 2 }, 10},
		{"both types", "filter[postTypeIds]=1,2", func(map[string]any) bool { return true }, 150},
		{"verified", "filter[verifiedOnly]=true", verified, 20},
		{"not only verified", "filter[verifiedOnly]=false", func(map[string]any) bool { return true }, 150},
		{"qdc", "tab=qdc", func(p map[string]any) bool { return num(p["reviewStatus"]) == 2 }, 40},
		{"qdc in Arabic", "tab=qdc&languages=1",
			func(p map[string]any) bool { return num(p["reviewStatus"]) == 2 && num(p["languageId"]) == 1 }, 10},
		{"qdc in Arabic or French", "tab=qdc&languages=7,1", func(p map[string]any) bool {
			return num(p["reviewStatus"]) == 2 && (num(p["languageId"]) == 1 || num(p["languageId"]) == 7)
		}, 12},
		{"pages", "filter[pages]=page4,page8",
			func(p map[string]any) bool { return roomSlug(p) == "page/page4" || roomSlug(p) == "page/page8" }, 4},
		{"groups", "filter[groups]=group-1,ayat-al-kursi", func(p map[string]any) bool {
			return roomSlug(p) == "group/group-1" || roomSlug(p) == "group/ayat-al-kursi"
		}, 25},
		{"tags OR", "filter[tags]=ayatalkursi,tawhid", func(p map[string]any) bool {
			return slices.Contains(tagNames(p), "ayatalkursi") || slices.Contains(tagNames(p), "tawhid")
		}, 30},
		{"tags AND", "filter[tagsOperator]=AND&filter[tags]=ayatalkursi,protection", func(p map[string]any) bool {
			return slices.Contains(tagNames(p), "ayatalkursi") && slices.Contains(tagNames(p), "protection")
		}, 1},
		{"authors", "filter[authors]=" + nadia + "," + hasan, func(p map[string]any) bool {
			return p["authorId"] == nadia || p["authorId"] == hasan
		}, 8},
		{"following", "tab=following", func(p map[string]any) bool { return p["isByFollowedUser"] == true }, 20},
		{"favorite", "tab=favorite", func(p map[string]any) bool { return p["isSaved"] == true }, 10},
		{"public", "tab=public", func(p map[string]any) bool { return num(p["roomPostStatus"]) != 0 }, 100},
		{"only room members", "tab=only_room_members", func(p map[string]any) bool {
			return num(p["roomPostStatus"]) == 0 && p["room"] != nil
		}, 3},
		{"quran.com's verse panel", "filter[references][0][chapterId]=2&filter[references][0][from]=255&filter[references][0][to]=255" +
			"&filter[postTypeIds]=1&tab=qdc&filter[verifiedOnly]=true&languages=2&sortBy=latest",
			func(p map[string]any) bool {
				return on(p, 2, 255, 255) && num(p["postTypeId"]) == 1 && num(p["reviewStatus"]) == 2 && verified(p) &&
					num(p["languageId"]) == 2
			}, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.pages(feed+"?"+tc.query, "demo-aisha", 7)
			var want []string
			for _, p := range all {
				if tc.want(p) {
					want = append(want, str(p["id"]))
				}
			}
			if len(want) < tc.atLeast {
				t.Errorf("the demo has %d such posts, want at least %d", len(want), tc.atLeast)
			}
			gotIDs := ids(got)
			if len(slices.Compact(slices.Sorted(slices.Values(gotIDs)))) != len(gotIDs) {
				t.Errorf("a post twice in %v", gotIDs)
			}
			if !sameSet(gotIDs, want) {
				t.Errorf("got %d posts, want %d: %v, want %v", len(gotIDs), len(want), gotIDs, want)
			}
		})
	}
}

func TestFeedOrder(t *testing.T) {
	a := newAPI(t)
	latest := a.pages(feed, "demo-aisha", 20)
	if !slices.IsSortedFunc(latest, func(x, y map[string]any) int { return cmp.Compare(str(y["publishedAt"]), str(x["publishedAt"])) }) {
		t.Error("latest: not the newest first")
	}
	for _, q := range []string{"?sortBy=popular", "?tab=most_popular", "?tab=trending"} {
		popular := a.pages(feed+q, "demo-aisha", 20)
		if len(popular) != len(latest) || !slices.IsSortedFunc(popular, func(x, y map[string]any) int {
			return num(y["likesCount"]) - num(x["likesCount"])
		}) {
			t.Errorf("%s: %d posts, not the most liked first", q, len(popular))
		}
	}
	// languages order the other tabs: Arabic first, then French, then the rest.
	pri := a.pages(feed+"?languages=1,7", "demo-aisha", 20)
	rank := func(p map[string]any) int {
		return map[int]int{1: 0, 7: 1}[num(p["languageId"])] + 2*b2i(num(p["languageId"]) == 2)
	}
	if len(pri) != len(latest) || !slices.IsSortedFunc(pri, func(x, y map[string]any) int { return rank(x) - rank(y) }) {
		t.Errorf("languages=1,7: %d posts, not by language", len(pri))
	}
	if rank(pri[0]) != 0 || rank(pri[len(pri)-1]) != 2 {
		t.Errorf("languages=1,7: first %v, last %v", pri[0]["languageId"], pri[len(pri)-1]["languageId"])
	}
	for _, tab := range feedTabs() {
		if ans := a.get(feed+"?tab="+tab, a.anonymous()); ans.status != 200 {
			t.Errorf("tab %s, anonymous: %d", tab, ans.status)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFeedViewers(t *testing.T) {
	a := newAPI(t)
	anon := a.anonymous()
	posts := a.pages(feed, anon, 50)
	for _, p := range posts {
		for _, k := range []string{"isLiked", "isSaved", "isByFollowedUser", "isCommentedOn"} {
			if _, ok := p[k]; ok {
				t.Fatalf("anonymous post %s has %s", p["id"], k)
			}
		}
		if num(p["roomPostStatus"]) == 0 || p["draft"] == true {
			t.Errorf("anonymous feed shows post %s (status %v, draft %v)", p["id"], p["roomPostStatus"], p["draft"])
		}
	}
	for _, tab := range []string{"following", "draft", "favorite", "only_room_members"} {
		if n := len(a.pages(feed+"?tab="+tab, anon, 20)); n != 0 {
			t.Errorf("anonymous %s: %d posts", tab, n)
		}
	}
	// The circle's members see its members-only posts; others do not.
	// The circle's members-only posts are for its members, whom the demo
	// viewers are not.
	circle := a.pages(feed+"?filter[groups]=ayat-al-kursi", "demo-aisha", 20)
	for _, p := range circle {
		if num(p["roomPostStatus"]) == 0 {
			t.Errorf("aisha sees the circle's members-only post %s", p["id"])
		}
	}
	if len(circle) < 4 {
		t.Errorf("%d circle posts", len(circle))
	}
	drafts := a.pages(feed+"?tab=draft", "demo-aisha", 20)
	if len(drafts) != 2 {
		t.Fatalf("aisha's drafts: %d", len(drafts))
	}
	for _, d := range drafts {
		if d["draft"] != true || d["authorId"] != aisha || d["publishedAt"] != nil {
			t.Errorf("draft %v", d)
		}
		if ans := a.get("/quran-reflect/v1/posts/"+str(d["id"]), "demo-bilal"); ans.status != 404 {
			t.Errorf("bilal reads aisha's draft: %d", ans.status)
		}
		a.ok("/quran-reflect/v1/posts/"+str(d["id"]), "demo-aisha")
	}
	for _, p := range a.pages(feed, "demo-aisha", 50) {
		if p["draft"] == true {
			t.Errorf("draft %s in the feed", p["id"])
		}
	}
}

func TestFeedValidation(t *testing.T) {
	a := newAPI(t)
	ref := "filter[references][0]"
	for _, tc := range []struct{ query, param, why string }{
		{"tab=drafts", "tab", "INVALID"},
		{"tab=QDC", "tab", "INVALID"},
		{"sortBy=oldest", "sortBy", "INVALID"},
		{"languages=en", "languages", "INVALID"},
		{"languages=2,x", "languages", "INVALID"},
		{"page=0", "page", "MIN"},
		{"limit=0", "limit", "MIN"},
		{"limit=ten", "limit", "INVALID"},
		{"filter[verifiedOnly]=yes", "filter[verifiedOnly]", "INVALID"},
		{"filter[referencesOperator]=XOR", "filter[referencesOperator]", "INVALID"},
		{"filter[tagsOperator]=or", "filter[tagsOperator]", "INVALID"},
		{"filter[postTypeIds]=reflection", "filter[postTypeIds]", "INVALID"},
		{ref + "[chapterId]=x", ref + "[chapterId]", "INVALID"},
		{ref + "[chapterId]=115", ref + "[chapterId]", "MAX"},
		{ref + "[chapterId]=0", ref + "[chapterId]", "MIN"},
		{ref + "[chapterId]=1&" + ref + "[from]=8", ref + "[from]", "MAX"},
		{ref + "[chapterId]=2&" + ref + "[from]=9&" + ref + "[to]=3", ref + "[to]", "INVALID"},
		{ref + "[from]=1", ref + "[chapterId]", "REQUIRED"},
		{"filter[references][1][chapterId]=2", ref + "[chapterId]", "REQUIRED"}, // indexed from 0
		{ref + "[verse]=2", ref + "[verse]", "INVALID"},
		{"filter[colour]=red", "filter[colour]", "INVALID"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			ans := a.get(feed+"?"+tc.query, "demo-aisha")
			details := validationDetails(t, ans)
			if details[tc.param] != tc.why {
				t.Errorf("details %v, want %s: %s", details, tc.param, tc.why)
			}
		})
	}
	// Encoded brackets are the same parameters.
	q := url.Values{"filter[references][0][chapterId]": {"2"}, "filter[references][0][from]": {"255"}}
	if body := a.ok(feed+"?"+q.Encode(), "demo-aisha"); num(body["total"]) < 25 {
		t.Errorf("encoded: total %v", body["total"])
	}
	if body := a.ok(feed+"?limit=500", "demo-aisha"); num(body["total"]) != len(body["data"].([]any)) {
		t.Errorf("limit 500: %v of %v", len(body["data"].([]any)), body["total"])
	}
}

// validationDetails checks that ans is the gateway's 422 and returns the
// upstream's details.
func validationDetails(t *testing.T, ans answer) map[string]any {
	t.Helper()
	if ans.status != 422 || ans.body["type"] != "unprocessable_entity" || ans.body["message"] != "Validation Error" {
		t.Fatalf("%d %s, want 422", ans.status, ans.raw)
	}
	upstream, _ := ans.body["details"].(map[string]any)
	e, _ := upstream["error"].(map[string]any)
	details, _ := e["details"].(map[string]any)
	if e["code"] != "ValidationError" {
		t.Errorf("error %v", e)
	}
	return details
}

func TestRelatedAndReReflections(t *testing.T) {
	a := newAPI(t)
	const src = "/quran-reflect/v1/posts/7001"
	srcTags := tagNames(a.ok(src, "demo-aisha"))
	related := a.pages(src+"/related", "demo-aisha", 8)
	if len(related) < 25 {
		t.Fatalf("%d related posts", len(related))
	}
	for i, p := range related {
		if str(p["id"]) == "7001" {
			t.Error("a post is related to itself")
		}
		shares := on(p, 2, 255, 255) || slices.ContainsFunc(srcTags, func(t string) bool { return slices.Contains(tagNames(p), t) })
		if !shares {
			t.Errorf("related post %s shares nothing: %v %v", p["id"], refsOf(p), tagNames(p))
		}
		if i > 0 && !on(related[i-1], 2, 255, 255) && on(p, 2, 255, 255) {
			t.Errorf("post %s on the verse comes after one that is not", p["id"])
		}
	}
	if ans := a.get(src+"/related?limit=9", "demo-aisha"); validationDetails(t, ans)["limit"] != "MAX" {
		t.Errorf("limit 9: %s", ans.raw)
	}
	if ans := a.get("/quran-reflect/v1/posts/999999/related", "demo-aisha"); ans.status != 404 {
		t.Errorf("unknown post: %d", ans.status)
	}
	re := a.pages(src+"/re-reflections", a.anonymous(), 2)
	if len(re) != 6 {
		t.Errorf("%d re-reflections, want 6", len(re))
	}
	if n := len(a.pages("/quran-reflect/v1/posts/7002/re-reflections", "demo-aisha", 20)); n != 0 {
		t.Errorf("7002 has %d re-reflections", n)
	}
	if ans := a.get("/quran-reflect/v1/posts/999999/re-reflections", "demo-aisha"); ans.status != 404 {
		t.Errorf("unknown post: %d", ans.status)
	}
}

func TestMyPosts(t *testing.T) {
	a := newAPI(t)
	const my = "/quran-reflect/v1/posts/my-posts"
	mine := a.pages(my, "demo-aisha", 20)
	if got, want := len(mine), a.f.PostsBy(aisha); got != want || got == 0 {
		t.Errorf("my_reflections: %d, aisha has %d", got, want)
	}
	for _, tc := range []struct {
		tab  string
		want func(p map[string]any) bool
		n    int
	}{
		{"my_reflections", func(p map[string]any) bool { return p["authorId"] == aisha && p["draft"] == false }, 10},
		{"saved", func(p map[string]any) bool { return p["isSaved"] == true }, 10},
		{"notes", func(p map[string]any) bool { return p["authorId"] == aisha && p["draft"] == true }, 2},
		{"mentions", func(p map[string]any) bool {
			return slices.ContainsFunc(p["mentions"].([]any), func(m any) bool { return m.(map[string]any)["id"] == aisha })
		}, 7},
	} {
		t.Run(tc.tab, func(t *testing.T) {
			posts := a.pages(my+"?tab="+tc.tab, "demo-aisha", 20)
			if len(posts) < tc.n {
				t.Errorf("%d posts, want at least %d", len(posts), tc.n)
			}
			for _, p := range posts {
				if !tc.want(p) {
					t.Errorf("post %s does not belong here", p["id"])
				}
			}
			lessons := a.pages(my+"?tab="+tc.tab+"&postTypeIds=2", "demo-aisha", 20)
			for _, p := range lessons {
				if num(p["postTypeId"]) != 2 {
					t.Errorf("postTypeIds=2: post %s of type %v", p["id"], p["postTypeId"])
				}
			}
		})
	}
	if ans := a.get(my, a.anonymous()); ans.status != 401 {
		t.Errorf("anonymous: %d", ans.status)
	}
	for _, q := range []string{"?tab=drafts", "?limit=21", "?sortBy=oldest", "?postTypeIds=x"} {
		validationDetails(t, a.get(my+q, "demo-aisha"))
	}
}

// TestDemoData pins what the demo promises: posts worth paging on 2:255, in
// two languages at least, reflections and lessons, reviewed and not, in rooms
// and not, with tags, and comments with replies.
func TestDemoData(t *testing.T) {
	a := newAPI(t)
	all := a.pages(feed, "demo-aisha", 50)
	count := func(ok func(p map[string]any) bool) int {
		n := 0
		for _, p := range all {
			if ok(p) {
				n++
			}
		}
		return n
	}
	for name, n := range map[string]int{
		"on 2:255":   count(func(p map[string]any) bool { return on(p, 2, 255, 255) }),
		"in English": count(func(p map[string]any) bool { return num(p["languageId"]) == 2 && p["languageName"] == "english" }),
		"in Arabic":  count(func(p map[string]any) bool { return num(p["languageId"]) == 1 && p["languageName"] == "arabic" }),
		"lessons":    count(func(p map[string]any) bool { return num(p["postTypeId"]) == 2 && p["postTypeName"] == "Lesson" }),
		"reviewed":   count(func(p map[string]any) bool { return num(p["reviewStatus"]) == 2 }),
		"not":        count(func(p map[string]any) bool { return num(p["reviewStatus"]) != 2 }),
		"in no room": count(func(p map[string]any) bool { _, in := p["room"]; return p["roomId"] == nil && !in }),
		"tagged":     count(func(p map[string]any) bool { return len(tagNames(p)) > 0 }),
		// commentsCount counts the replies too.
		"with replies": count(func(p map[string]any) bool {
			if num(p["commentsCount"]) == 0 {
				return false
			}
			n, replies := 0, 0
			for _, c := range a.pages("/quran-reflect/v1/posts/"+str(p["id"])+"/comments", "demo-aisha", 20) {
				n += 1 + num(c["repliesCount"])
				replies += num(c["repliesCount"])
			}
			if n != num(p["commentsCount"]) {
				t.Errorf("post %s: %d comments and replies, commentsCount %v", p["id"], n, p["commentsCount"])
			}
			return replies > 0
		}),
	} {
		if n < 10 {
			t.Errorf("%d posts %s", n, name)
		}
	}
	for _, p := range all {
		if num(p["estimatedReadingTime"]) < 1 || strings.TrimSpace(str(p["body"])) == "" {
			t.Errorf("post %s: %v", p["id"], p)
		}
	}
}
