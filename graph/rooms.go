package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// errSignInToWrite refuses a write from a caller without a user token, before
// any upstream call.
var errSignInToWrite = &errcode.LimitedError{Code: errcode.Unauthenticated,
	Msg: "sign-in required: writes are made as the signed-in user; send their access token as \"Authorization: Bearer <token>\""}

func canonicalRoomID(raw string) (string, bool) { return upstream.CanonicalRoomID(raw) }

// roomID checks a room id from the caller and returns it in canonical form.
func roomID(raw string) (string, error) {
	id, ok := upstream.CanonicalRoomID(raw)
	if !ok {
		shown := raw
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return "", errcode.Inputf("invalid room id %q: an id is a decimal integer from 1 to %s, digits only", shown, upstream.MaxRoomID)
	}
	return id, nil
}

// room looks up one room through the operation's loader.
func (r *Resolver) room(ctx context.Context, raw string) (*upstream.Room, error) {
	id, err := roomID(raw)
	if err != nil {
		return nil, err
	}
	return r.rooms.Load(ctx, id)
}

// roomList looks up rooms in the order of raw. A failed item is nil and its
// error is reported at the item's own path, so the other items are still served.
func (r *Resolver) roomList(ctx context.Context, raw []string) ([]*upstream.Room, error) {
	if raw == nil {
		// [ID!]! cannot be null, but gqlgen lets an explicit null through when it
		// comes from a variable that has a default.
		return nil, errcode.Inputf("ids must be a list of room ids, not null")
	}
	ids := make([]string, 0, len(raw))
	at := make([]int, 0, len(raw)) // the index in raw of each id
	errs := make([]error, len(raw))
	for i, s := range raw {
		id, err := roomID(s)
		if err != nil {
			errs[i] = err
			continue
		}
		ids, at = append(ids, id), append(at, i)
	}
	out := make([]*upstream.Room, len(raw))
	rooms, loadErrs := r.rooms.LoadAll(ctx, ids)
	for j, i := range at {
		out[i], errs[i] = rooms[j], loadErrs[j]
	}
	path := graphql.GetPath(ctx)
	for i, err := range errs {
		if err != nil {
			graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(path), ast.PathIndex(i)), err))
		}
	}
	return out, nil
}

// roomBy looks up one room by exactly one of its id, group url or page
// subdomain. A room found by slug is recorded under its id too, so that the
// operation does not fetch it again.
func (r *Resolver) roomBy(ctx context.Context, id, url, subdomain *string) (*upstream.Room, error) {
	given := 0
	for _, a := range []*string{id, url, subdomain} {
		if a != nil {
			given++
		}
	}
	if given != 1 {
		return nil, errcode.Inputf("room takes exactly one of id, url or subdomain")
	}
	var (
		room *upstream.Room
		err  error
	)
	switch {
	case id != nil:
		return r.room(ctx, *id)
	case url != nil:
		if !upstream.ValidSlug(*url) {
			return nil, errcode.Inputf("invalid url: a group's slug is 1 to 64 letters, digits, dots, dashes or underscores")
		}
		room, err = r.roomsByURL.Load(ctx, *url)
	default:
		if !upstream.ValidSlug(*subdomain) {
			return nil, errcode.Inputf("invalid subdomain: a page's subdomain is 1 to 64 letters, digits, dots, dashes or underscores")
		}
		room, err = r.roomsBySubdomain.Load(ctx, *subdomain)
	}
	if err == nil && room != nil {
		r.rooms.Seed(ctx, room.ID, room)
	}
	return room, err
}

// seedRooms records the rooms of a list under their ids: a room seen in a list
// is not fetched again by id in the same operation for the fields a list item
// carries (see roomFor).
func (r *Resolver) seedRooms(ctx context.Context, items []paging.Item[upstream.Room]) {
	for i := range items {
		if items[i].Err == nil {
			r.listedRooms.Seed(ctx, items[i].Value.ID, &items[i].Value)
		}
	}
}

// profileOnlyRoomField reports whether only a room's own profile has the field:
// list items leave it out.
func profileOnlyRoomField(name string) bool {
	switch name {
	case "privateToken", "mutualFollowers", "mutualFollowersCount", "hideFollowJoinButton":
		return true
	}
	return false
}

// roomFor is room id for a nested field (a post's room): from a list answer of
// this operation when the query asks only for what a list item carries, else
// the room's profile (once per room in the operation).
func (r *Resolver) roomFor(ctx context.Context, id string) (*upstream.Room, error) {
	listed := true
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		listed = listed && !profileOnlyRoomField(f.Name)
	}
	if listed {
		if room, ok := r.listedRooms.Peek(ctx, id); ok {
			return room, nil
		}
	}
	return r.rooms.Load(ctx, id)
}

func (r *Resolver) roomMembers(ctx context.Context, room *upstream.Room, first *int, after *string) (*model.RoomMemberConnection, error) {
	res, info, err := window(ctx, r.members, upstream.MaxLimitMembers, room.ID, "", first, after)
	if err != nil {
		return nil, err
	}
	return memberConnection(res, info), nil
}

func (r *Resolver) roomPostList(ctx context.Context, room *upstream.Room, first *int, after *string, sortBy *upstream.PostSort, tab *upstream.RoomPostTab) (*model.PostConnection, error) {
	params := joinParams(string(deref(sortBy)), string(deref(tab)))
	res, info, err := window(ctx, r.roomPosts, upstream.MaxLimitPosts, room.ID, params, first, after)
	if err != nil {
		return nil, err
	}
	r.seedPosts(ctx, res.Items)
	return postConnection(res, info), nil
}

func (r *Resolver) searchRooms(ctx context.Context, query string, typ *upstream.RoomType, first *int, after *string) (*model.RoomConnection, error) {
	res, info, err := window(ctx, r.search, upstream.MaxLimitSearch, "", joinParams(query, string(deref(typ))), first, after)
	if err != nil {
		return nil, err
	}
	r.seedRooms(ctx, res.Items)
	return roomConnection(res, info), nil
}

// roomWrite runs a room write for a signed-in viewer, then reads the room as it
// is after it: neither the operation's loaders nor a cache shared across
// requests may answer with what they held before.
func (r *Resolver) roomWrite(ctx context.Context, raw, endpoint string, write func(context.Context, string, upstream.UserToken) error) (*model.RoomPayload, error) {
	v := viewer.From(ctx)
	if v.Anonymous() {
		return nil, errSignInToWrite
	}
	id, err := roomID(raw)
	if err != nil {
		return nil, err
	}
	err = loader.Write(ctx, endpoint, func(ctx context.Context, as upstream.UserToken) error { return write(ctx, id, as) })
	if err != nil {
		return nil, err
	}
	r.rooms.Forget(ctx, id)
	r.forgetRoom(ctx, id, v.Token)
	// The lists the write changes: the room's members, the viewer's rooms.
	r.members.ForgetAll(ctx)
	r.joined.ForgetAll(ctx)
	r.managed.ForgetAll(ctx)
	room, err := r.rooms.Load(ctx, id)
	if err != nil {
		graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(graphql.GetPath(ctx)), ast.PathName("room")), err))
	}
	return &model.RoomPayload{Room: room}, nil
}
