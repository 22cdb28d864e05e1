package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestSearchUsers(t *testing.T) {
	a := newAPI(t)
	const search = "/quran-reflect/v1/users/search"
	anon := a.anonymous()
	everyone := a.pages(search, anon, 50)
	if len(everyone) != 51 { // 14 friends, 29 readers, 8 authors
		t.Errorf("%d users", len(everyone))
	}
	for _, u := range everyone {
		if u["isFollowed"] != false {
			t.Errorf("anonymous: %s isFollowed %v", u["username"], u["isFollowed"])
		}
		for _, k := range []string{"id", "avatarUrls", "isFollowed", "username", "verified", "followersCount"} {
			if _, ok := u[k]; !ok {
				t.Errorf("%s has no %s", u["username"], k)
			}
		}
	}
	// Signed in: the users aisha follows, unless all=true.
	followed := a.pages(search, "demo-aisha", 50)
	if got := len(followed); got != 6 {
		t.Errorf("aisha follows %d users found", got)
	}
	for _, u := range followed {
		if u["isFollowed"] != true {
			t.Errorf("%s isFollowed %v", u["username"], u["isFollowed"])
		}
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?query=KHAD", []string{"Khadija_B"}},
		{"?query=zahra&all=true", []string{"fatima"}},
		{"?query=nadia%20karimi&all=true", []string{"nadia"}},
		{"?query=ha&all=true&limit=3", nil}, // checked by count below
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := a.pages(search+tc.query, "demo-aisha", 3)
			var names []string
			for _, u := range got {
				names = append(names, str(u["username"]))
			}
			if tc.want != nil && !slices.Equal(names, tc.want) {
				t.Errorf("got %v, want %v", names, tc.want)
			}
			for _, u := range got {
				name := strings.ToLower(str(u["username"]) + " " + str(u["firstName"]) + " " + str(u["lastName"]))
				if q := strings.ToLower(strings.SplitN(strings.TrimPrefix(tc.query, "?query="), "&", 2)[0]); !strings.Contains(name, strings.ReplaceAll(q, "%20", " ")) {
					t.Errorf("%s does not match %s", name, q)
				}
			}
		})
	}
	inRoom := a.pages(search+"?all=true&roomId=1", "demo-aisha", 50)
	members := 0
	for _, u := range inRoom {
		if u["isMember"] == true {
			members++
		}
	}
	if members != 37 {
		t.Errorf("%d members of room 1 found", members)
	}
	for _, q := range []string{"?limit=51", "?all=yes", "?roomId=x", "?page=0"} {
		validationDetails(t, a.get(search+q, "demo-aisha"))
	}
}

func TestTags(t *testing.T) {
	a := newAPI(t)
	tags := a.array("/quran-reflect/v1/tags?query=TA&limit=3")
	var names []string
	for _, tg := range tags {
		names = append(names, str(tg["name"]))
		if tg["language"] == nil || tg["id"] == nil {
			t.Errorf("tag %v", tg)
		}
	}
	if want := []string{"tafsir", "tawakkul", "ayatalkursi"}; !slices.Equal(names, want) {
		t.Errorf("tags %v, want %v", names, want)
	}
	if tags := a.array("/quran-reflect/v1/tags?query=TA&limit=3&page=2"); len(tags) != 1 || tags[0]["name"] != "tawhid" {
		t.Errorf("page 2: %v", tags)
	}
	if tags := a.array("/quran-reflect/v1/tags?query=%D8%B5%D8%A8%D8%B1"); len(tags) != 1 || tags[0]["language"] != "ar" {
		t.Errorf("صبر: %v", tags)
	}
	paged := newAPIOf(t, New(Options{TagsAsPage: true}))
	all := paged.pages("/quran-reflect/v1/tags", "demo-aisha", 5)
	if len(all) != 18 {
		t.Errorf("%d tags", len(all))
	}
	validationDetails(t, a.get("/quran-reflect/v1/tags?limit=0", "demo-aisha"))
}

// array gets path, which answers a bare JSON array.
func (a *api) array(path string) []map[string]any {
	a.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, a.base+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("x-client-id", DemoClientID)
	req.Header.Set("x-auth-token", "demo-aisha")
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); resp.StatusCode != 200 || err != nil {
		a.t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return out
}

func TestTrendingHashtags(t *testing.T) {
	a := newAPI(t)
	body := a.ok("/quran-reflect/v1/trending-hashtags?limit=3", a.anonymous())
	data := body["data"].([]any)
	if len(data) != 3 {
		t.Fatalf("%d hashtags", len(data))
	}
	// The most used first: count the tags of the anonymous feed here.
	uses := map[string]int{}
	for _, p := range a.pages(feed, a.anonymous(), 50) {
		for _, n := range tagNames(p) {
			uses[n]++
		}
	}
	prev := 1 << 30
	for _, d := range data {
		n := uses[str(d.(map[string]any)["name"])]
		if n > prev || n == 0 {
			t.Errorf("%v used %d times, after %d", d, n, prev)
		}
		prev = n
	}
	for name, n := range uses {
		if n > prev && !slices.ContainsFunc(data, func(d any) bool { return d.(map[string]any)["name"] == name }) {
			t.Errorf("%s (%d uses) is not trending", name, n)
		}
	}
	if details := validationDetails(t, a.get("/quran-reflect/v1/trending-hashtags", "demo-aisha")); details["limit"] != "REQUIRED" {
		t.Errorf("no limit: %v", details)
	}
	validationDetails(t, a.get("/quran-reflect/v1/trending-hashtags?limit=x", "demo-aisha"))
}
