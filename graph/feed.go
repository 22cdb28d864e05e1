package graph

import (
	"context"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// feed is everything the feed domain owns: the feed itself (quran.com's verse
// panel is one page of it), and tags, searched and trending. The feed's posts
// seed the posts domain's loader, so a post read in a feed costs no second
// call.
type feed struct {
	posts    *loader.Kind[upstream.FeedQuery, *upstream.Page[upstream.Post]]
	tags     *loader.Kind[upstream.TagsQuery, *upstream.Page[upstream.Tag]]
	trending *loader.Kind[int, []upstream.Tag]
}

func newFeed(d Deps) *feed {
	up := d.Upstream
	return &feed{
		posts:    loader.Declare(upstream.EndpointFeed, up.Feed).ShareBy(d.sharing(upstream.EndpointFeed), "v1", nil),
		tags:     loader.Declare(upstream.EndpointTags, up.Tags),
		trending: loader.Declare(upstream.EndpointTrendingTags, up.TrendingTags).ShareBy(d.sharing(upstream.EndpointTrendingTags), "v1", nil),
	}
}

func (*feed) lookups() []guard.Lookup { return nil }
func (*feed) plans() []loader.Plan    { return nil }

// The largest filter the feed takes: past these the upstream's query string
// grows without bound, and no screen needs more.
const (
	maxFeedReferences = 20
	maxFeedValues     = 50
)

// postTypeIDs are the upstream's ids of the post types.
var postTypeIDs = map[model.PostType]int{model.PostTypeReflection: 1, model.PostTypeLesson: 2}

// postTypeOf is the post type of an upstream post type id; nil for another.
func postTypeOf(id int) *model.PostType {
	for t, n := range postTypeIDs {
		if n == id {
			return &t
		}
	}
	return nil
}

// verseRanges checks ranges given as input (a chapter from 1 to 114, verses
// from 1, from before to) and converts them; what names them in messages.
func verseRanges(in []*model.VerseRangeInput, what string, most int) ([]upstream.VerseRange, error) {
	if len(in) > most {
		return nil, errcode.Inputf("%s: at most %d ranges, not %d", what, most, len(in))
	}
	out := make([]upstream.VerseRange, 0, len(in))
	for i, r := range in {
		switch {
		case r == nil:
			return nil, errcode.Inputf("%s[%d] is null", what, i)
		case r.ChapterID < 1 || r.ChapterID > 114:
			return nil, errcode.Inputf("%s[%d]: chapter %d is not a chapter of the Quran (1 to 114)", what, i, r.ChapterID)
		case r.From < 1 || r.To < 1:
			return nil, errcode.Inputf("%s[%d]: verses are numbered from 1", what, i)
		case r.From > r.To:
			return nil, errcode.Inputf("%s[%d]: from (%d) comes after to (%d); one verse is from = to", what, i, r.From, r.To)
		}
		out = append(out, upstream.VerseRange{ChapterID: r.ChapterID, From: r.From, To: r.To})
	}
	return out, nil
}

// feedQuery checks a feed's arguments and turns them into the upstream's
// query: every refusal is BAD_USER_INPUT, before any call.
func feedQuery(f *model.FeedFilter, tab *upstream.FeedTab, sortBy *upstream.PostSort) (upstream.FeedQuery, error) {
	var uf upstream.FeedFilter
	var languages []int
	if f != nil {
		refs, err := verseRanges(f.References, "filter.references", maxFeedReferences)
		if err != nil {
			return upstream.FeedQuery{}, err
		}
		for _, l := range []struct {
			name string
			n    int
		}{{"tags", len(f.Tags)}, {"authors", len(f.Authors)}, {"groups", len(f.Groups)},
			{"pages", len(f.Pages)}, {"postTypes", len(f.PostTypes)}, {"languages", len(f.Languages)}} {
			if l.n > maxFeedValues {
				return upstream.FeedQuery{}, errcode.Inputf("filter.%s: at most %d values, not %d", l.name, maxFeedValues, l.n)
			}
		}
		for _, a := range f.Authors {
			if _, ok := upstream.CanonicalUUID(a); !ok {
				return upstream.FeedQuery{}, errcode.Inputf("filter.authors: %q is not a user id (a UUID)", shorten(a))
			}
		}
		uf = upstream.FeedFilter{References: refs, Tags: f.Tags, Authors: f.Authors, Groups: f.Groups, Pages: f.Pages,
			VerifiedOnly: f.VerifiedOnly}
		if f.ReferencesOperator != nil {
			uf.ReferencesOperator = *f.ReferencesOperator
		}
		if f.TagsOperator != nil {
			uf.TagsOperator = *f.TagsOperator
		}
		for _, t := range f.PostTypes {
			uf.PostTypeIDs = append(uf.PostTypeIDs, postTypeIDs[t])
		}
		languages = f.Languages
	}
	q, err := upstream.NewFeedQuery(uf, deref(tab), deref(sortBy), languages)
	if err != nil {
		return upstream.FeedQuery{}, errcode.Inputf("%s", err.Error())
	}
	return q, nil
}

// shorten is a caller's value cut for a message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (r *Resolver) feedPosts(ctx context.Context, f *model.FeedFilter, tab *upstream.FeedTab, sortBy *upstream.PostSort, a paging.Args) (*model.PostConnection, error) {
	q, err := feedQuery(f, tab, sortBy)
	if err != nil {
		return nil, err
	}
	return postList(ctx, r, r.feed.posts, q, a)
}

// postList is one window of a list of posts, whose posts seed the post loader.
func postList[Q pageQuery[Q]](ctx context.Context, r *Resolver, k *loader.Kind[Q, *upstream.Page[upstream.Post]], q Q, a paging.Args) (*model.PostConnection, error) {
	res, info, err := window(ctx, k, q, a)
	if err != nil {
		return nil, err
	}
	seed(ctx, r.posts.byID, res.Items, postKey)
	return postConnection(res, info), nil
}

func (r *Resolver) searchTags(ctx context.Context, query *string, a paging.Args) (*model.TagConnection, error) {
	if n := len([]rune(deref(query))); n > maxSearchQuery {
		return nil, errcode.Inputf("query is at most %d characters, not %d", maxSearchQuery, n)
	}
	res, info, err := window(ctx, r.feed.tags, upstream.TagsQuery{Query: deref(query)}, a)
	if err != nil {
		return nil, err
	}
	nodes, edges := nodesAndEdges(res, func(c string, n *upstream.Tag) *model.TagEdge { return &model.TagEdge{Cursor: c, Node: n} })
	return &model.TagConnection{Nodes: nodes, Edges: edges, PageInfo: info, TotalCount: res.Total}, nil
}

// maxTrendingTags is the most trending tags one field asks for.
const maxTrendingTags = 50

func (r *Resolver) trendingTags(ctx context.Context, first *int) ([]*upstream.Tag, error) {
	n := 10
	if first != nil {
		n = *first
	}
	if n < 1 || n > maxTrendingTags {
		return nil, errcode.Inputf("first must be from 1 to %d, not %d", maxTrendingTags, n)
	}
	tags, err := r.feed.trending.Load(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]*upstream.Tag, len(tags))
	for i := range tags {
		t := tags[i]
		if t.ID == "" {
			// A trending tag the upstream names without an id: its name names it.
			t.ID = "name:" + t.Name
		}
		out[i] = &t
	}
	return out, nil
}
