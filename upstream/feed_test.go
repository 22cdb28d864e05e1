package upstream_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// feedAt is the feed of f, tab, sortBy and languages at page 1 of 10, which
// the test fails on unless NewFeedQuery takes them.
func feedAt(t *testing.T, f upstream.FeedFilter, tab upstream.FeedTab, sortBy upstream.PostSort, languages []int) upstream.FeedQuery {
	t.Helper()
	q, err := upstream.NewFeedQuery(f, tab, sortBy, languages)
	if err != nil {
		t.Fatalf("NewFeedQuery: %v", err)
	}
	return q.AtPage(1, 10)
}

// TestFeedSendsItsQueryExactly pins the raw query string of each filter, as
// the upstream documents it: brackets in the keys, lists comma-separated,
// references indexed from 0, and nothing for what is unset.
func TestFeedSendsItsQueryExactly(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name      string
		f         upstream.FeedFilter
		tab       upstream.FeedTab
		sortBy    upstream.PostSort
		languages []int
		query     string
	}{
		{"nothing", upstream.FeedFilter{}, "", "", nil, "page=1&limit=10"},
		{"empty lists are not sent", upstream.FeedFilter{References: []upstream.VerseRange{}, Tags: []string{},
			Authors: []string{}, Groups: []string{}, Pages: []string{}, PostTypeIDs: []int{}}, "", "", []int{}, "page=1&limit=10"},
		{"quran.com's verse panel", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 2, From: 255, To: 255}},
			PostTypeIDs: []int{1}, VerifiedOnly: &yes}, upstream.FeedTabQDC, upstream.PostSortLatest, []int{2},
			"filter[references][0][chapterId]=2&filter[references][0][from]=255&filter[references][0][to]=255" +
				"&filter[postTypeIds]=1&filter[verifiedOnly]=true&languages=2&tab=qdc&sortBy=latest&page=1&limit=10"},
		{"two references and their operator", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 1, From: 1, To: 7},
			{ChapterID: 114, From: 3, To: 6}}, ReferencesOperator: upstream.FilterOr}, "", "", nil,
			"filter[references][0][chapterId]=1&filter[references][0][from]=1&filter[references][0][to]=7" +
				"&filter[references][1][chapterId]=114&filter[references][1][from]=3&filter[references][1][to]=6" +
				"&filter[referencesOperator]=OR&page=1&limit=10"},
		{"tags, escaped, and their operator", upstream.FeedFilter{Tags: []string{"patience", "sabr & shukr", "صبر"},
			TagsOperator: upstream.FilterAnd}, "", "", nil,
			"filter[tags]=patience,sabr+%26+shukr,%D8%B5%D8%A8%D8%B1&filter[tagsOperator]=AND&page=1&limit=10"},
		{"authors in lower case", upstream.FeedFilter{Authors: []string{strings.ToUpper(uuidA), uuidB}}, "", "", nil,
			"filter[authors]=" + uuidA + "," + uuidB + "&page=1&limit=10"},
		{"groups", upstream.FeedFilter{Groups: []string{"tafsir-circle", "a.b_c"}}, "", "", nil,
			"filter[groups]=tafsir-circle,a.b_c&page=1&limit=10"},
		{"pages", upstream.FeedFilter{Pages: []string{"bayyinah"}}, "", "", nil, "filter[pages]=bayyinah&page=1&limit=10"},
		{"post types", upstream.FeedFilter{PostTypeIDs: []int{1, 2}}, "", "", nil, "filter[postTypeIds]=1,2&page=1&limit=10"},
		{"verified only false is sent", upstream.FeedFilter{VerifiedOnly: &no}, "", "", nil, "filter[verifiedOnly]=false&page=1&limit=10"},
		{"languages in their order", upstream.FeedFilter{}, "", "", []int{2, 1}, "languages=2,1&page=1&limit=10"},
		{"a tab alone", upstream.FeedFilter{}, upstream.FeedTabOnlyRoomMembers, "", nil, "tab=only_room_members&page=1&limit=10"},
		{"an order alone", upstream.FeedFilter{}, "", upstream.PostSortPopular, nil, "sortBy=popular&page=1&limit=10"},
		{"everything", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 3, From: 1, To: 2}},
			ReferencesOperator: upstream.FilterAnd, Tags: []string{"a"}, TagsOperator: upstream.FilterOr, Authors: []string{uuidA},
			Groups: []string{"g"}, Pages: []string{"p"}, PostTypeIDs: []int{2}, VerifiedOnly: &yes},
			upstream.FeedTabTrending, upstream.PostSortPopular, []int{7},
			"filter[references][0][chapterId]=3&filter[references][0][from]=1&filter[references][0][to]=2" +
				"&filter[referencesOperator]=AND&filter[tags]=a&filter[tagsOperator]=OR&filter[authors]=" + uuidA +
				"&filter[groups]=g&filter[pages]=p&filter[postTypeIds]=2&filter[verifiedOnly]=true&languages=7" +
				"&tab=trending&sortBy=popular&page=1&limit=10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			q := feedAt(t, tt.f, tt.tab, tt.sortBy, tt.languages)
			if _, err := c.Feed(context.Background(), q, "tok"); err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/posts/feed", tt.query)
		})
	}
	t.Run("the zero query is the whole feed", func(t *testing.T) {
		c, s := serve(t, 200, emptyList)
		if _, err := c.Feed(context.Background(), upstream.FeedQuery{}.AtPage(3, 20), ""); err != nil {
			t.Fatal(err)
		}
		if got := s.only(t); got.Query != "page=3&limit=20" || got.Header.Get("x-auth-token") != "service-token" {
			t.Errorf("sent ?%s with token %q; want page=3&limit=20 with the service's token", got.Query, got.Header.Get("x-auth-token"))
		}
	})
	t.Run("a server reads every value back", func(t *testing.T) {
		c, s := serve(t, 200, emptyList)
		q := feedAt(t, upstream.FeedFilter{Tags: []string{"sabr & shukr", "a+b"}}, "", "", nil)
		if _, err := c.Feed(context.Background(), q, "tok"); err != nil {
			t.Fatal(err)
		}
		v, err := url.ParseQuery(s.only(t).Query)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := v.Get("filter[tags]"), "sabr & shukr,a+b"; got != want {
			t.Errorf("filter[tags] reads %q, want %q", got, want)
		}
	})
}

// TestFeedQueryIsAKey: equal arguments make equal queries, so the graph's
// loaders share their pages; AtPage changes only the page.
func TestFeedQueryIsAKey(t *testing.T) {
	f := func(author string) upstream.FeedFilter {
		return upstream.FeedFilter{Authors: []string{author}, PostTypeIDs: []int{1}}
	}
	a := feedAt(t, f(uuidA), upstream.FeedTabLatest, "", []int{2})
	b := feedAt(t, f(strings.ToUpper(uuidA)), upstream.FeedTabLatest, "", []int{2})
	other := feedAt(t, f(uuidB), upstream.FeedTabLatest, "", []int{2})
	keys := map[upstream.FeedQuery]int{a: 1}
	if keys[b] != 1 {
		t.Error("the same feed, its author in upper case, is another key")
	}
	if _, ok := keys[other]; ok {
		t.Error("another author's feed has the same key")
	}
	if a.AtPage(2, 10) == a || a.AtPage(2, 10).AtPage(1, 10) != a {
		t.Error("AtPage changes more than the page")
	}
}

// TestFeedFilterCheck: each bad filter is refused, with a message that says
// what to change.
func TestFeedFilterCheck(t *testing.T) {
	many := func(n int, v string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	refs := func(n int) []upstream.VerseRange {
		out := make([]upstream.VerseRange, n)
		for i := range out {
			out[i] = upstream.VerseRange{ChapterID: 1, From: 1, To: 1}
		}
		return out
	}
	tests := []struct {
		name string
		f    upstream.FeedFilter
		msg  string // the message holds this
	}{
		{"chapter 0", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 0, From: 1, To: 1}}}, "reference 1: chapter 0 does not exist (chapters are 1 to 114)"},
		{"chapter 115", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 1, From: 1, To: 1}, {ChapterID: 115, From: 1, To: 1}}},
			"reference 2: chapter 115 does not exist"},
		{"verse 0", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 2, From: 0, To: 3}}}, "reference 1: verses are numbered from 1"},
		{"to 0", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 2, From: 1, To: 0}}}, "reference 1: verses are numbered from 1"},
		{"backwards", upstream.FeedFilter{References: []upstream.VerseRange{{ChapterID: 2, From: 7, To: 3}}}, "the passage ends (verse 3) before it starts (verse 7)"},
		{"21 references", upstream.FeedFilter{References: refs(21)}, "at most 20 references, not 21"},
		{"51 tags", upstream.FeedFilter{Tags: many(51, "t")}, "at most 50 tags, not 51"},
		{"51 authors", upstream.FeedFilter{Authors: many(51, uuidA)}, "at most 50 authors, not 51"},
		{"51 groups", upstream.FeedFilter{Groups: many(51, "g")}, "at most 50 groups, not 51"},
		{"51 pages", upstream.FeedFilter{Pages: many(51, "p")}, "at most 50 pages, not 51"},
		{"51 post types", upstream.FeedFilter{PostTypeIDs: make([]int, 51)}, "at most 50 postTypeIds, not 51"},
		{"references operator", upstream.FeedFilter{ReferencesOperator: "or"}, "referencesOperator must be OR or AND"},
		{"tags operator", upstream.FeedFilter{TagsOperator: "XOR"}, "tagsOperator must be OR or AND"},
		{"an author that is a username", upstream.FeedFilter{Authors: []string{uuidA, "aisha"}}, "author 2 is not a user id"},
		{"a group url with a slash", upstream.FeedFilter{Groups: []string{"a/b"}}, "group 1 is not a group url"},
		{"a page ..", upstream.FeedFilter{Pages: []string{".."}}, "page 1 is not a page subdomain"},
		{"an empty tag", upstream.FeedFilter{Tags: []string{""}}, "tag 1: a tag must not be empty nor contain a comma"},
		{"a tag with a comma", upstream.FeedFilter{Tags: []string{"a", "b,c"}}, "tag 2: a tag must not be empty nor contain a comma"},
		{"post type 3", upstream.FeedFilter{PostTypeIDs: []int{1, 3}}, "post type 2 is 3; the post types are 1 (reflection) and 2 (lesson)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Check()
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Check() = %v, want it to say %q", err, tt.msg)
			}
			var ue *upstream.Error
			if errors.As(err, &ue) || errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("Check() = %#v, want a plain error for the caller", err)
			}
			if _, err := upstream.NewFeedQuery(tt.f, "", "", nil); err == nil || err.Error() != tt.f.Check().Error() {
				t.Errorf("NewFeedQuery: %v, want Check's error", err)
			}
		})
	}
	t.Run("at the limits", func(t *testing.T) {
		f := upstream.FeedFilter{References: refs(20), Tags: many(50, "t"), Authors: many(50, uuidA), Groups: many(50, "g"),
			Pages: many(50, "p"), PostTypeIDs: []int{1, 2}, ReferencesOperator: upstream.FilterAnd, TagsOperator: upstream.FilterOr}
		f.References[0] = upstream.VerseRange{ChapterID: 114, From: 1, To: 6}
		if err := f.Check(); err != nil {
			t.Errorf("Check() = %v, want nil", err)
		}
	})
}

func TestNewFeedQueryRefusals(t *testing.T) {
	many := make([]int, 51)
	for i := range many {
		many[i] = 2
	}
	tests := []struct {
		name      string
		tab       upstream.FeedTab
		sortBy    upstream.PostSort
		languages []int
		msg       string
	}{
		{"unknown tab", "QDC", "", nil, "unknown feed tab"},
		{"unknown order", "", "oldest", nil, "a feed is sorted by latest or popular"},
		{"language 0", "", "", []int{2, 0}, "language 2: a Quran Reflect language id is 1 or more"},
		{"51 languages", "", "", many, "at most 50 languages, not 51"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := upstream.NewFeedQuery(upstream.FeedFilter{}, tt.tab, tt.sortBy, tt.languages)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to say %q", err, tt.msg)
			}
		})
	}
	for _, tab := range []upstream.FeedTab{upstream.FeedTabNewest, upstream.FeedTabLatest, upstream.FeedTabQDC,
		upstream.FeedTabFollowing, upstream.FeedTabDraft, upstream.FeedTabFavorite, upstream.FeedTabMostPopular,
		upstream.FeedTabOnlyRoomMembers, upstream.FeedTabPublic, upstream.FeedTabFeed, upstream.FeedTabTrending, upstream.FeedTabPopular} {
		if _, err := upstream.NewFeedQuery(upstream.FeedFilter{}, tab, "", nil); err != nil {
			t.Errorf("tab %s: %v", tab, err)
		}
	}
}

// TestFeedRefusesBadPages: a page or limit out of range is refused without a
// call; the feed's pages are of 20 at most.
func TestFeedRefusesBadPages(t *testing.T) {
	for _, p := range [][2]int{{0, 10}, {1, 0}, {1, 21}, {-1, 5}} {
		c, s := serve(t, 200, emptyList)
		_, err := c.Feed(context.Background(), upstream.FeedQuery{}.AtPage(p[0], p[1]), "tok")
		if !errors.Is(err, upstream.ErrInvalidArgument) || len(s.all()) != 0 {
			t.Errorf("page %d of %d: err = %v after %d calls, want ErrInvalidArgument and none", p[0], p[1], err, len(s.all()))
		}
	}
}

func TestFeedDecodesItsPosts(t *testing.T) {
	body := `{"total": 41, "currentPage": 2, "limit": 20, "pages": 3, "data": [` + fullPost + `, {"body": "no id"}]}`
	c, _ := serve(t, 200, body)
	p, err := c.Feed(context.Background(), upstream.FeedQuery{}.AtPage(2, 20), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 41 || p.CurrentPage != 2 || p.Pages != 3 || len(p.Items) != 2 {
		t.Fatalf("page = %+v", p)
	}
	var ue *upstream.Error
	if p.Items[0].ID != "1234567890123456789" || p.Errs[0] != nil || !errors.As(p.Errs[1], &ue) || ue.Endpoint != "feed" ||
		!errors.Is(p.Errs[1], upstream.ErrMalformed) {
		t.Errorf("items = %+v, errs = %v", p.Items, p.Errs)
	}
}
