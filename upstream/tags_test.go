package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// tagString is a tag as "id name language" ("-" for no language).
func tagString(t upstream.Tag) string {
	lang := "-"
	if t.Language != nil {
		lang = *t.Language
	}
	return t.ID + " " + t.Name + " " + lang
}

func TestTagsSendTheirQuery(t *testing.T) {
	tests := []struct {
		name  string
		q     upstream.TagsQuery
		query string
	}{
		{"a text", upstream.TagsQuery{Query: "sabr & shukr", ListQuery: upstream.ListQuery{Page: 2, Limit: 50}}, "limit=50&page=2&query=sabr+%26+shukr"},
		{"no text", upstream.TagsQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: 10}}, "limit=10&page=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, `[]`)
			if _, err := c.Tags(context.Background(), tt.q, "tok"); err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/tags", tt.query)
		})
	}
	for _, l := range []int{0, 51} {
		c, s := serve(t, 200, `[]`)
		if _, err := c.Tags(context.Background(), upstream.TagsQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: l}}, "tok"); !errors.Is(err, upstream.ErrInvalidArgument) || len(s.all()) != 0 {
			t.Errorf("limit %d: err = %v after %d calls, want ErrInvalidArgument and none", l, err, len(s.all()))
		}
	}
}

// TestTagsDecodeBothShapes: the page envelope as sent, and a bare array,
// whose counts follow from the page asked for and whether it is full.
func TestTagsDecodeBothShapes(t *testing.T) {
	items := `{"id": 7, "name": "patience", "language": "en"}, {"name": "no id"}, {"id": "12", "name": "صبر"}`
	tests := []struct {
		name                             string
		body                             string
		page, limit                      int
		tags                             string // the good items, as tagString
		bad                              []int  // the indexes of the bad ones
		total, currentPage, pages, limOf int
	}{
		{"envelope", `{"total": 41, "currentPage": 2, "limit": 3, "pages": 14, "data": [` + items + `]}`, 2, 3,
			"7 patience en, 12 صبر -", []int{1}, 41, 2, 14, 3},
		{"bare, full page", `[` + items + `]`, 2, 3, "7 patience en, 12 صبر -", []int{1}, 7, 2, 3, 3},
		{"bare, partial page", `[` + items + `]`, 2, 5, "7 patience en, 12 صبر -", []int{1}, 8, 2, 2, 5},
		{"bare, empty first page", `[]`, 1, 5, "", nil, 0, 1, 0, 5},
		{"bare, empty later page", ` [ ]`, 3, 5, "", nil, 10, 3, 2, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, 200, tt.body)
			p, err := c.Tags(context.Background(), upstream.TagsQuery{ListQuery: upstream.ListQuery{Page: tt.page, Limit: tt.limit}}, "tok")
			if err != nil {
				t.Fatal(err)
			}
			var good []string
			var bad []int
			for i, tag := range p.Items {
				if p.Errs[i] != nil {
					var ue *upstream.Error
					if !errors.As(p.Errs[i], &ue) || ue.Endpoint != "tags" || !errors.Is(ue, upstream.ErrMalformed) {
						t.Errorf("errs[%d] = %v, want a malformed item of tags", i, p.Errs[i])
					}
					bad = append(bad, i)
					continue
				}
				good = append(good, tagString(tag))
			}
			if got := strings.Join(good, ", "); got != tt.tags || fmt.Sprint(bad) != fmt.Sprint(tt.bad) {
				t.Errorf("tags = %q, bad %v; want %q, bad %v", got, bad, tt.tags, tt.bad)
			}
			if p.Total != tt.total || p.CurrentPage != tt.currentPage || p.Pages != tt.pages || p.Limit != tt.limOf {
				t.Errorf("total, currentPage, pages, limit = %d, %d, %d, %d; want %d, %d, %d, %d",
					p.Total, p.CurrentPage, p.Pages, p.Limit, tt.total, tt.currentPage, tt.pages, tt.limOf)
			}
		})
	}
	for name, body := range map[string]string{"an object without data": `{"tags": []}`, "a string": `"tags"`, "html": `<html>`} {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, body)
			if _, err := c.Tags(context.Background(), upstream.TagsQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: 5}}, "tok"); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestTrendingTagsDecodeThreeShapes: {data: [{name}]}, a bare array of
// objects, a bare array of names; a tag with no name is left out.
func TestTrendingTagsDecodeThreeShapes(t *testing.T) {
	tests := []struct {
		name, body, tags string
	}{
		{"data of objects", `{"data": [{"name": "ramadan"}, {"name": "dua", "id": 4, "language": "en"}, {"name": ""}, {"count": 3}]}`,
			" ramadan -, 4 dua en"},
		{"a bare array of objects", `[{"name": "ramadan", "id": "x"}, {"name": "dua"}]`, " ramadan -,  dua -"},
		{"a bare array of names", `["ramadan", "", "dua"]`, " ramadan -,  dua -"},
		{"data of names", `{"data": ["ramadan"], "success": true}`, " ramadan -"},
		{"none", `{"data": []}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, tt.body)
			tags, err := c.TrendingTags(context.Background(), 10, "tok")
			if err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/trending-hashtags", "limit=10")
			var got []string
			for _, tag := range tags {
				got = append(got, tagString(tag))
			}
			if strings.Join(got, ", ") != tt.tags || tags == nil {
				t.Errorf("tags = %q (nil: %v), want %q", strings.Join(got, ", "), tags == nil, tt.tags)
			}
		})
	}
	for name, body := range map[string]string{"no data": `{"tags": []}`, "html": `<html>`, "data not a list": `{"data": {}}`} {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, body)
			if _, err := c.TrendingTags(context.Background(), 10, "tok"); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
	for _, limit := range []int{0, -1, 51} {
		c, s := serve(t, 200, `[]`)
		if _, err := c.TrendingTags(context.Background(), limit, "tok"); !errors.Is(err, upstream.ErrInvalidArgument) || len(s.all()) != 0 {
			t.Errorf("limit %d: err = %v after %d calls, want ErrInvalidArgument and none", limit, err, len(s.all()))
		}
	}
}

func TestSearchUsers(t *testing.T) {
	body := `{"total": 3, "currentPage": 1, "limit": 10, "pages": 1, "data": [
	 {"id": "` + uuidA + `", "username": "aisha", "firstName": "Aisha", "lastName": "Rahman", "verified": true,
	  "avatarUrls": {"small": "s"}, "followersCount": 12, "bio": "Student", "isFollowed": true, "followed": false, "isMember": false},
	 {"id": "` + uuidB + `", "followed": true},
	 {"username": "no id", "avatarUrls": {}, "isFollowed": false}]}`
	c, s := serve(t, 200, body)
	p, err := c.SearchUsers(context.Background(), upstream.UserSearchQuery{Query: "ai sha", ListQuery: upstream.ListQuery{Page: 1, Limit: 10}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/users/search", "limit=10&page=1&query=ai+sha")
	full, bare := p.Items[0], p.Items[1]
	if full.ID != uuidA || *full.Username != "aisha" || *full.FirstName != "Aisha" || *full.LastName != "Rahman" || !full.Verified ||
		*full.AvatarURLs.Small != "s" || full.FollowersCount != 12 || *full.Bio != "Student" || full.Followed == nil || !*full.Followed {
		t.Errorf("full = %+v (followed from isFollowed)", full)
	}
	c2, s2 := serve(t, 200, body)
	if _, err := c2.SearchUsers(context.Background(), upstream.UserSearchQuery{Query: "a", All: true, ListQuery: upstream.ListQuery{Page: 2, Limit: 5}}, "tok"); err != nil {
		t.Fatal(err)
	}
	wantRequest(t, s2.only(t), "GET", "/quran-reflect/v1/users/search", "all=true&limit=5&page=2&query=a")
	carried := upstream.FieldUsername | upstream.FieldFirstName | upstream.FieldLastName | upstream.FieldVerified |
		upstream.FieldAvatarURLs | upstream.FieldFollowersCount | upstream.FieldBio | upstream.FieldFollowed
	if got, want := full.Absent, upstream.AllFields&^carried; got != want {
		t.Errorf("Absent = %b, want %b (every field a search result lacks)", got, want)
	}
	if !full.Absent.Has(upstream.FieldCreatedAt|upstream.FieldPostsCount|upstream.FieldCountry) || full.Absent&upstream.FieldBio != 0 {
		t.Errorf("Absent = %b", full.Absent)
	}
	if bare.ID != uuidB || bare.Followed == nil || !*bare.Followed || !bare.Absent.Has(upstream.FieldAvatarURLs) ||
		bare.Absent&upstream.FieldFollowed != 0 {
		t.Errorf("bare = %+v (followed from followed; avatars absent)", bare)
	}
	var ue *upstream.Error
	if p.Errs[0] != nil || p.Errs[1] != nil || !errors.As(p.Errs[2], &ue) || ue.Endpoint != "search users" {
		t.Errorf("errs = %v, want only the last", p.Errs)
	}

	c, _ = serve(t, 200, `{"total": 1, "data": [{"id": "`+uuidA+`"}]}`)
	p, err = c.SearchUsers(context.Background(), upstream.UserSearchQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: 50}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if u := p.Items[0]; u.Followed != nil || !u.Absent.Has(upstream.FieldFollowed) {
		t.Errorf("with neither isFollowed nor followed: Followed %v, Absent %b; want nil and absent", u.Followed, u.Absent)
	}
	c, s = serve(t, 200, emptyList)
	if _, err := c.SearchUsers(context.Background(), upstream.UserSearchQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: 51}}, "tok"); !errors.Is(err, upstream.ErrInvalidArgument) || len(s.all()) != 0 {
		t.Errorf("51 a page: err = %v after %d calls", err, len(s.all()))
	}
}
