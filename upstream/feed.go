package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The feed: the posts about verses, tags, authors or rooms, as quran.com's
// verse panel reads them. Its filter is encoded once, when the query is made,
// so that the query is a comparable loader key and every page sends the same
// parameters.

// EndpointFeed is the feed. It is one of the few reads the upstream serves to
// the service's own token (isLiked, isSaved and isByFollowedUser then say
// nothing about a person). The upstream documents no largest page: ours is
// that of the other post lists.
var EndpointFeed = Endpoint{Name: "feed", Resource: "post", Method: http.MethodGet,
	Path: "/quran-reflect/v1/posts/feed", MaxBody: maxListBody, MaxLimit: maxPostsLimit}

// FilterOperator combines several references, or several tags, of a filter.
type FilterOperator string

// The operators the upstream documents; "" leaves the choice to it.
const (
	FilterOr  FilterOperator = "OR"
	FilterAnd FilterOperator = "AND"
)

// FeedTab is one of the feed's views, in the upstream's lower-case spelling.
type FeedTab string

// The tabs the upstream documents; "" sends none.
const (
	FeedTabNewest          FeedTab = "newest"
	FeedTabLatest          FeedTab = "latest"
	FeedTabQDC             FeedTab = "qdc" // reviewed, promoted posts only
	FeedTabFollowing       FeedTab = "following"
	FeedTabDraft           FeedTab = "draft"
	FeedTabFavorite        FeedTab = "favorite"
	FeedTabMostPopular     FeedTab = "most_popular"
	FeedTabOnlyRoomMembers FeedTab = "only_room_members"
	FeedTabPublic          FeedTab = "public"
	FeedTabFeed            FeedTab = "feed"
	FeedTabTrending        FeedTab = "trending"
	FeedTabPopular         FeedTab = "popular"
)

// The bounds of a feed's filter: what the upstream is asked in one call.
const (
	// MaxFeedReferences is the most references a filter holds.
	MaxFeedReferences = 20
	// MaxFeedValues is the most values any other list of a filter (or the
	// languages) holds.
	MaxFeedValues = 50
)

// FeedFilter keeps the feed's posts that match it. A nil or empty list, a ""
// operator and a nil VerifiedOnly are not sent: the upstream's default.
type FeedFilter struct {
	// References keeps posts about these passages; ReferencesOperator says
	// whether a post must be about any (OR) or all (AND) of them.
	References         []VerseRange
	ReferencesOperator FilterOperator
	// Tags keeps posts with these tags (their names), combined by TagsOperator.
	Tags         []string
	TagsOperator FilterOperator
	// Authors keeps posts by these users (their ids, UUIDs).
	Authors []string
	// Groups keeps posts in these groups (their urls); Pages in these pages
	// (their subdomains).
	Groups []string
	Pages  []string
	// PostTypeIDs keeps posts of these types: 1 reflections, 2 lessons.
	PostTypeIDs []int
	// VerifiedOnly keeps, when true, the posts of verified contributors.
	VerifiedOnly *bool
}

// Check says what is wrong with f, in a sentence a person can act on, or is
// nil. Its error is a plain one, not an *Error: f is the caller's to correct.
// It refuses a chapter outside 1 to 114, a verse below 1, a passage that ends
// before it starts, more than MaxFeedReferences references, more than
// MaxFeedValues values in any other list, an unknown operator, an author that
// is not a user id, a group url or page subdomain that ValidSlug refuses, an
// empty tag or one with a comma (which would split it in two), and a post
// type other than 1 and 2.
func (f FeedFilter) Check() error {
	if n := len(f.References); n > MaxFeedReferences {
		return fmt.Errorf("a feed filter takes at most %d references, not %d", MaxFeedReferences, n)
	}
	for i, r := range f.References {
		switch {
		case r.ChapterID < 1 || r.ChapterID > 114:
			return fmt.Errorf("reference %d: chapter %d does not exist (chapters are 1 to 114)", i+1, r.ChapterID)
		case r.From < 1 || r.To < 1:
			return fmt.Errorf("reference %d: verses are numbered from 1", i+1)
		case r.From > r.To:
			return fmt.Errorf("reference %d: the passage ends (verse %d) before it starts (verse %d)", i+1, r.To, r.From)
		}
	}
	if err := checkOperator("referencesOperator", f.ReferencesOperator); err != nil {
		return err
	}
	if err := checkOperator("tagsOperator", f.TagsOperator); err != nil {
		return err
	}
	lists := []struct {
		name string
		n    int
	}{{"tags", len(f.Tags)}, {"authors", len(f.Authors)}, {"groups", len(f.Groups)},
		{"pages", len(f.Pages)}, {"postTypeIds", len(f.PostTypeIDs)}}
	for _, l := range lists {
		if l.n > MaxFeedValues {
			return fmt.Errorf("a feed filter takes at most %d %s, not %d", MaxFeedValues, l.name, l.n)
		}
	}
	for i, t := range f.Tags {
		if t == "" || strings.ContainsRune(t, ',') {
			return fmt.Errorf("tag %d: a tag must not be empty nor contain a comma", i+1)
		}
	}
	for i, a := range f.Authors {
		if _, ok := CanonicalUUID(a); !ok {
			return fmt.Errorf("author %d is not a user id (a UUID such as 0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b)", i+1)
		}
	}
	for i, g := range f.Groups {
		if !ValidSlug(g) {
			return fmt.Errorf("group %d is not a group url (1 to %d letters, digits, '.', '_' or '-')", i+1, maxSlug)
		}
	}
	for i, p := range f.Pages {
		if !ValidSlug(p) {
			return fmt.Errorf("page %d is not a page subdomain (1 to %d letters, digits, '.', '_' or '-')", i+1, maxSlug)
		}
	}
	for i, t := range f.PostTypeIDs {
		if t != 1 && t != 2 {
			return fmt.Errorf("post type %d is %d; the post types are 1 (reflection) and 2 (lesson)", i+1, t)
		}
	}
	return nil
}

func checkOperator(name string, op FilterOperator) error {
	switch op {
	case "", FilterOr, FilterAnd:
		return nil
	}
	return fmt.Errorf("%s must be OR or AND", name)
}

// FeedQuery asks for one page of the feed. It is comparable: the filter, tab,
// order and languages are held encoded, as one string. Its zero value is the
// whole feed, unfiltered, in the upstream's default order; any other is made
// by NewFeedQuery.
type FeedQuery struct {
	params string // the encoded parameters but page and limit, "" for none
	// Page is from 1; Limit from 1 to EndpointFeed.MaxLimit.
	Page, Limit int
}

// AtPage is q asking for page page of limit items.
func (q FeedQuery) AtPage(page, limit int) FeedQuery { q.Page, q.Limit = page, limit; return q }

// NewFeedQuery checks f (with Check), tab ("" sends none), sortBy ("" sends
// none) and languages (Quran Reflect language ids, each 1 or more, at most
// MaxFeedValues; nil or empty sends none) and encodes them once, as the
// upstream documents: lists comma-separated, references indexed from 0, every
// filter under filter[...], languages beside them. Its error, like Check's, is
// a plain one a person can act on. Page and Limit are left 0: see AtPage.
func NewFeedQuery(f FeedFilter, tab FeedTab, sortBy PostSort, languages []int) (FeedQuery, error) {
	if err := f.Check(); err != nil {
		return FeedQuery{}, err
	}
	switch tab {
	case "", FeedTabNewest, FeedTabLatest, FeedTabQDC, FeedTabFollowing, FeedTabDraft, FeedTabFavorite,
		FeedTabMostPopular, FeedTabOnlyRoomMembers, FeedTabPublic, FeedTabFeed, FeedTabTrending, FeedTabPopular:
	default:
		return FeedQuery{}, errors.New("unknown feed tab")
	}
	switch sortBy {
	case "", PostSortLatest, PostSortPopular:
	default:
		return FeedQuery{}, errors.New("a feed is sorted by latest or popular")
	}
	if n := len(languages); n > MaxFeedValues {
		return FeedQuery{}, fmt.Errorf("a feed takes at most %d languages, not %d", MaxFeedValues, n)
	}
	for i, l := range languages {
		if l < 1 {
			return FeedQuery{}, fmt.Errorf("language %d: a Quran Reflect language id is 1 or more (Arabic 1, English 2, ...)", i+1)
		}
	}
	return FeedQuery{params: encodeFeed(f, tab, sortBy, languages)}, nil
}

// encodeFeed writes the parameters in one fixed order: the references, then
// the other filters, the languages, the tab and the order. Keys keep their
// brackets and lists their commas, as the upstream's own clients send them;
// every value is escaped, and Check has made sure no list value holds a comma.
func encodeFeed(f FeedFilter, tab FeedTab, sortBy PostSort, languages []int) string {
	var b strings.Builder
	param := func(key, value string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(value)
	}
	list := func(key string, values []string, canon func(string) string) {
		if len(values) == 0 {
			return
		}
		esc := make([]string, len(values))
		for i, v := range values {
			if canon != nil {
				v = canon(v)
			}
			esc[i] = url.QueryEscape(v)
		}
		param(key, strings.Join(esc, ","))
	}
	ints := func(key string, values []int) {
		if len(values) == 0 {
			return
		}
		s := make([]string, len(values))
		for i, v := range values {
			s[i] = strconv.Itoa(v)
		}
		param(key, strings.Join(s, ","))
	}
	for i, r := range f.References {
		prefix := "filter[references][" + strconv.Itoa(i) + "]"
		param(prefix+"[chapterId]", strconv.Itoa(r.ChapterID))
		param(prefix+"[from]", strconv.Itoa(r.From))
		param(prefix+"[to]", strconv.Itoa(r.To))
	}
	if f.ReferencesOperator != "" {
		param("filter[referencesOperator]", string(f.ReferencesOperator))
	}
	list("filter[tags]", f.Tags, nil)
	if f.TagsOperator != "" {
		param("filter[tagsOperator]", string(f.TagsOperator))
	}
	list("filter[authors]", f.Authors, func(s string) string { id, _ := CanonicalUUID(s); return id })
	list("filter[groups]", f.Groups, nil)
	list("filter[pages]", f.Pages, nil)
	ints("filter[postTypeIds]", f.PostTypeIDs)
	if f.VerifiedOnly != nil {
		param("filter[verifiedOnly]", strconv.FormatBool(*f.VerifiedOnly))
	}
	ints("languages", languages)
	if tab != "" {
		param("tab", string(tab))
	}
	if sortBy != "" {
		param("sortBy", string(sortBy))
	}
	return b.String()
}

// Feed fetches one page of the feed q asks for, as the holder of as sees it
// (an empty as: the service's own token). A page or limit out of range is
// refused with ErrInvalidArgument, without a call.
func (c *Client) Feed(ctx context.Context, q FeedQuery, as UserToken) (*Page[Post], error) {
	page := ListQuery{Page: q.Page, Limit: q.Limit}
	if msg := checkPage(q.Page, q.Limit, EndpointFeed.MaxLimit); msg != "" {
		return nil, invalid(EndpointFeed.Name, "", msg)
	}
	raw := "page=" + strconv.Itoa(q.Page) + "&limit=" + strconv.Itoa(q.Limit)
	if q.params != "" {
		raw = q.params + "&" + raw
	}
	return fetchPage(ctx, c, EndpointFeed, as, "", request{rawQuery: raw}, page, "data", decodePost)
}
