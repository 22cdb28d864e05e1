package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// userID checks a user id from the caller and returns it in canonical form.
func userID(raw string) (string, error) {
	id, ok := upstream.CanonicalUUID(raw)
	if !ok {
		return "", errcode.Inputf("invalid user id: a user id is a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	}
	return id, nil
}

// userBy looks up one profile by exactly one of its id or username. A profile
// found by username is recorded under its id too.
func (r *Resolver) userBy(ctx context.Context, id, username *string) (*upstream.Profile, error) {
	switch {
	case (id == nil) == (username == nil):
		return nil, errcode.Inputf("user takes exactly one of id or username")
	case id != nil:
		uid, err := userID(*id)
		if err != nil {
			return nil, err
		}
		return r.users.Load(ctx, uid)
	}
	if !upstream.ValidSlug(*username) {
		return nil, errcode.Inputf("invalid username: 1 to 64 letters, digits, dots, dashes or underscores")
	}
	p, err := r.usersByName.Load(ctx, canonicalUsername(*username))
	if err == nil && p != nil {
		r.users.Seed(ctx, p.ID, p)
	}
	return p, err
}

// canonicalUsername is a username's key: the upstream finds users by username
// in any case.
func canonicalUsername(s string) string { return strings.ToLower(s) }

// profileOf loads the full profile of a user met inside another answer (a
// member, a mutual follower, an author): once per distinct user in the
// operation, all of one wave in one batch.
func (r *Resolver) profileOf(ctx context.Context, id string) (*upstream.Profile, error) {
	uid, ok := upstream.CanonicalUUID(id)
	if !ok {
		return nil, errcode.Inputf("this user has no id the upstream would accept")
	}
	return r.users.Load(ctx, uid)
}

// viewerUser is the signed-in user's own profile.
func (r *Resolver) viewerUser(ctx context.Context) (*upstream.Profile, error) {
	p, err := r.me.Load(ctx, "")
	if err == nil && p != nil {
		r.users.Seed(ctx, p.ID, p)
	}
	return p, err
}

// theViewer is null for a caller without a user token, with no upstream call.
func theViewer(ctx context.Context) *model.Viewer {
	if viewer.From(ctx).Anonymous() {
		return nil
	}
	return &model.Viewer{}
}

func (r *Resolver) viewerRooms(ctx context.Context, managed bool, query *string, sortBy *upstream.RoomSort, first *int, after *string) (*model.RoomConnection, error) {
	k := r.joined
	if managed {
		k = r.managed
	}
	res, info, err := window(ctx, k, upstream.MaxLimitJoinedRooms, "", joinParams(deref(query), string(deref(sortBy))), first, after)
	if err != nil {
		return nil, err
	}
	r.seedRooms(ctx, res.Items)
	return roomConnection(res, info), nil
}

func (r *Resolver) userFollows(ctx context.Context, u *upstream.Profile, following bool, first *int, after *string) (*model.UserConnection, error) {
	k := r.followers
	if following {
		k = r.following
	}
	res, info, err := window(ctx, k, upstream.MaxLimitFollows, u.ID, "", first, after)
	if err != nil {
		return nil, err
	}
	return userConnection(res, info), nil
}

func (r *Resolver) userPostList(ctx context.Context, u *upstream.Profile, first *int, after *string, sortBy *upstream.PostSort) (*model.PostConnection, error) {
	res, info, err := window(ctx, r.userPosts, upstream.MaxLimitPosts, u.ID, joinParams(string(deref(sortBy)), ""), first, after)
	if err != nil {
		return nil, err
	}
	r.seedPosts(ctx, res.Items)
	return postConnection(res, info), nil
}

// userWrite follows or unfollows a user for a signed-in viewer, then reads the
// user as they are after it.
func (r *Resolver) userWrite(ctx context.Context, raw string, follow bool) (*model.UserPayload, error) {
	v := viewer.From(ctx)
	if v.Anonymous() {
		return nil, errSignInToWrite
	}
	id, err := userID(raw)
	if err != nil {
		return nil, err
	}
	err = loader.Write(ctx, upstream.EndpointFollowUser, func(ctx context.Context, as upstream.UserToken) error {
		return r.up.FollowUser(ctx, id, follow, as)
	})
	if err != nil {
		return nil, err
	}
	r.users.Forget(ctx, id)
	// The lists the write changes: whom the viewer follows, who follows them.
	r.followers.ForgetAll(ctx)
	r.following.ForgetAll(ctx)
	p, err := r.users.Load(ctx, id)
	if err != nil {
		graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(graphql.GetPath(ctx)), ast.PathName("user")), err))
	}
	return &model.UserPayload{User: p}, nil
}
