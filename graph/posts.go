package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// posts is everything the posts domain owns: posts by id (the lists of posts
// seed it), whether the viewer likes one, the lists about one post (related
// posts, re-reflections), the root lookup and plan of post, and the post
// writes (postwrites.go).
type posts struct {
	byID          *loader.Kind[string, *upstream.Post]
	liked         *loader.Kind[string, bool]
	related       *loader.Kind[upstream.PostListQuery, *upstream.Page[upstream.Post]]
	reReflections *loader.Kind[upstream.PostListQuery, *upstream.Page[upstream.Post]]
}

func newPosts(d Deps) *posts {
	up := d.Upstream
	return &posts{
		byID:          loader.Declare(upstream.EndpointPost, up.Post).ShareBy(d.sharing(upstream.EndpointPost), "v1", nil),
		liked:         loader.Declare(upstream.EndpointPostLiked, up.PostLiked),
		related:       loader.Declare(upstream.EndpointRelatedPosts, up.RelatedPosts).ShareBy(d.sharing(upstream.EndpointRelatedPosts), "v1", nil),
		reReflections: loader.Declare(upstream.EndpointReReflections, up.ReReflections).ShareBy(d.sharing(upstream.EndpointReReflections), "v1", nil),
	}
}

func (*posts) lookups() []guard.Lookup {
	return []guard.Lookup{{Field: "post", Arg: "id", Noun: "posts"}}
}

func (p *posts) plans() []loader.Plan {
	return []loader.Plan{primeRoots(p.lookups(), upstream.CanonicalPostID, p.byID)}
}

func postKey(p *upstream.Post) string { return p.ID }

// postID checks a post id from the caller and returns it in canonical form.
func postID(raw string) (string, error) {
	id, ok := upstream.CanonicalPostID(raw)
	if !ok {
		return "", errcode.Inputf("invalid post id: an id is a decimal integer from 1 to %s, digits only", upstream.MaxNumericID)
	}
	return id, nil
}

func (r *Resolver) post(ctx context.Context, raw string) (*upstream.Post, error) {
	id, err := postID(raw)
	if err != nil {
		return nil, err
	}
	return r.posts.byID.Load(ctx, id)
}

// viewersOwn is a fact about the viewer (whether they like a post), which a
// caller without a user token does not have: null for them, whatever the
// service's own token was answered.
func viewersOwn(ctx context.Context, v *bool) *bool {
	if viewer.From(ctx).Anonymous() {
		return nil
	}
	return v
}

// postLists are every list of posts: a post write may change any of them
// (a new post at the top, a deleted one gone, counts).
func (r *Resolver) postLists() []loader.Stale {
	return []loader.Stale{r.feed.posts, r.rooms.posts, r.users.posts, r.users.mine, r.posts.related, r.posts.reReflections}
}

// relatedPosts are the posts like p; the upstream serves them 8 at a time, so
// a window of 8 is the default.
func (r *Resolver) relatedPosts(ctx context.Context, p *upstream.Post, a paging.Args) (*model.PostConnection, error) {
	if a.First == nil && a.Last == nil {
		eight := 8
		if a.Before != nil && *a.Before != "" {
			a.Last = &eight
		} else {
			a.First = &eight
		}
	}
	return postList(ctx, r, r.posts.related, upstream.PostListQuery{PostID: p.ID}, a)
}

func (r *Resolver) postReReflections(ctx context.Context, p *upstream.Post, a paging.Args) (*model.PostConnection, error) {
	return postList(ctx, r, r.posts.reReflections, upstream.PostListQuery{PostID: p.ID}, a)
}

// embeddedRoomField reports whether a post carries the room's field itself.
func embeddedRoomField(name string) bool {
	switch name {
	case "id", "nodeId", "name", "url", "subdomain", "roomType", "__typename":
		return true
	}
	return false
}

// postRoom answers a post's room from what the post embeds when the query asks
// only for those fields, and otherwise loads the full room by id (once per room
// in the operation).
func (r *Resolver) postRoom(ctx context.Context, p *upstream.Post) (*upstream.Room, error) {
	onlyEmbedded := p.Room != nil
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if !embeddedRoomField(f.Name) {
			onlyEmbedded = false
		}
	}
	if onlyEmbedded && p.Room.ID != "" && p.Room.Name != nil {
		room := &upstream.Room{ID: p.Room.ID, Name: deref(p.Room.Name), URL: p.Room.URL, Subdomain: p.Room.Subdomain, RoomType: p.Room.RoomType}
		return room, nil
	}
	if p.RoomID == "" {
		return nil, nil
	}
	return r.roomFor(ctx, p.RoomID)
}
