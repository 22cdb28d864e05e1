package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// rooms is everything the rooms domain owns: rooms by id and slug, the lists
// about rooms (a room's members and posts, search, the viewer's rooms), the
// root lookups and plans of room, rooms and their slugs, and the room writes.
type rooms struct {
	byID *loader.Kind[string, *upstream.Room]
	// listed are rooms as list answers carry them (search, the viewer's
	// rooms): everything but what only the room's own profile has.
	listed      *loader.Memo[string, *upstream.Room]
	byURL       *loader.Kind[string, *upstream.Room]
	bySubdomain *loader.Kind[string, *upstream.Room]

	members *loader.Kind[upstream.MembersQuery, *upstream.Page[upstream.Member]]
	posts   *loader.Kind[upstream.RoomPostsQuery, *upstream.Page[upstream.Post]]
	search  *loader.Kind[upstream.SearchQuery, *upstream.Page[upstream.Room]]
	joined  *loader.Kind[upstream.RoomsQuery, *upstream.Page[upstream.Room]]
	managed *loader.Kind[upstream.RoomsQuery, *upstream.Page[upstream.Room]]

	// write is what every room write changes: the room (and its copies by slug
	// and from lists), its members and which of its posts the viewer may see, and the
	// viewer's rooms.
	write writeOf[*upstream.Room]
}

func newRooms(d Deps) *rooms {
	up := d.Upstream
	r := &rooms{
		// A room by id may be shared across requests; one carrying a
		// privateToken (the owner's view) is never written to Redis, where
		// it would sit in the clear: it is fetched each time instead.
		// v2: the JSON shape of upstream.Room; bump it when that changes (v2: its
		// mutual followers carry Absent).
		byID:        loader.Declare(upstream.EndpointRoom, up.Room).ShareBy(d.sharing(upstream.EndpointRoom), "v2", roomCacheable).Wrap(d.WrapRoom),
		listed:      loader.NewMemo[string, *upstream.Room](),
		byURL:       loader.Declare(upstream.EndpointRoomByURL, up.RoomByURL).ShareBy(d.sharing(upstream.EndpointRoomByURL), "v1", nil),
		bySubdomain: loader.Declare(upstream.EndpointRoomBySubdomain, up.RoomBySubdomain).ShareBy(d.sharing(upstream.EndpointRoomBySubdomain), "v1", nil),
		members:     loader.Declare(upstream.EndpointMembers, up.RoomMembers).ShareBy(d.sharing(upstream.EndpointMembers), "v1", nil),
		posts:       loader.Declare(upstream.EndpointRoomPosts, up.RoomPosts).ShareBy(d.sharing(upstream.EndpointRoomPosts), "v1", nil),
		search:      loader.Declare(upstream.EndpointSearch, up.SearchRooms),
		joined:      loader.Declare(upstream.EndpointJoinedRooms, up.JoinedRooms),
		managed:     loader.Declare(upstream.EndpointManagedRooms, up.ManagedRooms),
	}
	r.write = writeOf[*upstream.Room]{id: roomID, item: r.byID, field: "room",
		stale: []loader.Stale{r.listed, r.byURL, r.bySubdomain, r.members, r.posts, r.joined, r.managed}}
	return r
}

// roomCacheable says which rooms may be written to Redis: not one carrying a
// privateToken (the owner's view), since the secret would sit there in the
// clear.
func roomCacheable(r *upstream.Room) bool { return r.PrivateToken == nil }

// roomArgs are the arguments of which room takes exactly one.
func roomArgs() []string { return []string{"id", "url", "subdomain"} }

func roomSlugLookups(arg string) []guard.Lookup {
	return []guard.Lookup{{Field: "room", Arg: arg, Noun: "rooms", OneOf: roomArgs()}}
}

// lookups are room(id:) and rooms(ids:), whose ids the guard caps; the slug
// lookups (one room each) are planned, not capped.
func (*rooms) lookups() []guard.Lookup {
	return []guard.Lookup{
		{Field: "room", Arg: "id", Noun: "rooms", OneOf: roomArgs()},
		{Field: "rooms", Arg: "ids", List: true, Noun: "rooms"},
	}
}

func (r *rooms) plans() []loader.Plan {
	return []loader.Plan{
		primeRoots(r.lookups(), upstream.CanonicalRoomID, r.byID),
		primeRoots(roomSlugLookups("url"), validSlug, r.byURL),
		primeRoots(roomSlugLookups("subdomain"), validSlug, r.bySubdomain),
	}
}

// validSlug keeps a valid slug or username as its key.
func validSlug(s string) (string, bool) { return s, upstream.ValidSlug(s) }

// roomID checks a room id from the caller and returns it in canonical form.
func roomID(raw string) (string, error) {
	id, ok := upstream.CanonicalRoomID(raw)
	if !ok {
		shown := raw
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return "", errcode.Inputf("invalid room id %q: an id is a decimal integer from 1 to %s, digits only", shown, upstream.MaxNumericID)
	}
	return id, nil
}

// room looks up one room through the operation's loader.
func (r *Resolver) room(ctx context.Context, raw string) (*upstream.Room, error) {
	id, err := roomID(raw)
	if err != nil {
		return nil, err
	}
	return r.rooms.byID.Load(ctx, id)
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
	rooms, loadErrs := r.rooms.byID.LoadAll(ctx, ids)
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
		room, err = r.rooms.byURL.Load(ctx, *url)
	default:
		if !upstream.ValidSlug(*subdomain) {
			return nil, errcode.Inputf("invalid subdomain: a page's subdomain is 1 to 64 letters, digits, dots, dashes or underscores")
		}
		room, err = r.rooms.bySubdomain.Load(ctx, *subdomain)
	}
	if err == nil && room != nil {
		r.rooms.byID.Seed(ctx, room.ID, room)
	}
	return room, err
}

func roomKey(r *upstream.Room) string { return r.ID }

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
		if room, ok := r.rooms.listed.Peek(ctx, id); ok {
			return room, nil
		}
	}
	return r.rooms.byID.Load(ctx, id)
}

func (r *Resolver) roomMembers(ctx context.Context, room *upstream.Room, a paging.Args) (*model.RoomMemberConnection, error) {
	res, info, err := window(ctx, r.rooms.members, upstream.MembersQuery{RoomID: room.ID}, a)
	if err != nil {
		return nil, err
	}
	return r.memberConnection(ctx, res, info), nil
}

func (r *Resolver) roomPostList(ctx context.Context, room *upstream.Room, a paging.Args, sortBy *upstream.PostSort, tab *upstream.RoomPostTab) (*model.PostConnection, error) {
	q := upstream.RoomPostsQuery{RoomID: room.ID, PostsQuery: upstream.PostsQuery{SortBy: deref(sortBy), Tab: deref(tab)}}
	return postList(ctx, r, r.rooms.posts, q, a)
}

func (r *Resolver) searchRooms(ctx context.Context, query string, typ *upstream.RoomType, a paging.Args) (*model.RoomConnection, error) {
	res, info, err := window(ctx, r.rooms.search, upstream.SearchQuery{Query: query, Type: deref(typ)}, a)
	if err != nil {
		return nil, err
	}
	seed(ctx, r.rooms.listed, res.Items, roomKey)
	return roomConnection(res, info), nil
}

// viewerRooms are the rooms the viewer joined, or manages.
func (r *Resolver) viewerRooms(ctx context.Context, managed bool, query *string, sortBy *upstream.RoomSort, a paging.Args) (*model.RoomConnection, error) {
	k := r.rooms.joined
	if managed {
		k = r.rooms.managed
	}
	res, info, err := window(ctx, k, upstream.RoomsQuery{Query: deref(query), SortBy: deref(sortBy)}, a)
	if err != nil {
		return nil, err
	}
	seed(ctx, r.rooms.listed, res.Items, roomKey)
	return roomConnection(res, info), nil
}

// roomWrite runs a room write, then reads the room as it is after it. A
// refused write is a success when the room reads back as the write wanted it
// (member, or following a page, when member is set; neither otherwise).
func (r *Resolver) roomWrite(ctx context.Context, raw string, ep upstream.Endpoint,
	call func(context.Context, string, upstream.UserToken) error, member bool) (*model.RoomPayload, error) {
	room, err := mutate(ctx, r.rooms.write, raw, upstreamWrite(ep, call), func(room *upstream.Room) bool {
		return room != nil && room.IsMember != nil && *room.IsMember == member
	})
	if err != nil {
		return nil, err
	}
	return &model.RoomPayload{Room: room, Viewer: theViewer(ctx)}, nil
}
