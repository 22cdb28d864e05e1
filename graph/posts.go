package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// posts is everything the posts domain owns: posts by id (the lists of posts
// seed it), and the root lookup and plan of post.
type posts struct {
	byID *loader.Kind[string, *upstream.Post]
}

func newPosts(d Deps) *posts {
	return &posts{byID: loader.Declare(upstream.EndpointPost, d.Upstream.Post)}
}

func (*posts) lookups() []guard.Lookup {
	return []guard.Lookup{{Field: "post", Arg: "id", Noun: "posts"}}
}

func (p *posts) plans() []loader.Plan {
	return []loader.Plan{primeRoots(p.lookups(), upstream.CanonicalPostID, p.byID)}
}

func postKey(p *upstream.Post) string { return p.ID }

func (r *Resolver) post(ctx context.Context, raw string) (*upstream.Post, error) {
	id, ok := upstream.CanonicalPostID(raw)
	if !ok {
		return nil, errcode.Inputf("invalid post id: an id is a decimal integer from 1 to %s, digits only", upstream.MaxNumericID)
	}
	return r.posts.byID.Load(ctx, id)
}

// embeddedRoomField reports whether a post carries the room's field itself.
func embeddedRoomField(name string) bool {
	switch name {
	case "id", "nodeId", "name", "subdomain", "roomType", "__typename":
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
		room := &upstream.Room{ID: p.Room.ID, Name: deref(p.Room.Name), Subdomain: p.Room.Subdomain, RoomType: p.Room.RoomType}
		return room, nil
	}
	if p.RoomID == "" {
		return nil, nil
	}
	return r.roomFor(ctx, p.RoomID)
}

// visibility maps the upstream's roomPostStatus (0, 1, 2).
func visibility(p *upstream.Post) *model.PostVisibility {
	if p.RoomPostStatus == nil {
		return nil
	}
	var v model.PostVisibility
	switch *p.RoomPostStatus {
	case 0:
		v = model.PostVisibilityMembersOnly
	case 1:
		v = model.PostVisibilityPublic
	case 2:
		v = model.PostVisibilityAsRoom
	default:
		return nil
	}
	return &v
}
