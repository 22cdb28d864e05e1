package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// users is everything the users domain owns: profiles by id and username, the
// viewer's own, a user's followers, following and posts, the root lookups and
// plans of user, people search, the viewer's own posts, and the follow writes.
type users struct {
	byID       *loader.Kind[string, *upstream.Profile]
	byUsername *loader.Kind[string, *upstream.Profile]
	me         *loader.Kind[string, *upstream.Profile]

	followers *loader.Kind[upstream.FollowsQuery, *upstream.Page[upstream.User]]
	following *loader.Kind[upstream.FollowsQuery, *upstream.Page[upstream.User]]
	posts     *loader.Kind[upstream.UserPostsQuery, *upstream.Page[upstream.Post]]
	// mine are the viewer's own posts, saved posts, notes and mentions.
	mine   *loader.Kind[upstream.MyPostsQuery, *upstream.Page[upstream.Post]]
	search *loader.Kind[upstream.UserSearchQuery, *upstream.Page[upstream.User]]

	// write is what following or unfollowing changes: the user (by id and by
	// username), who follows them and whom the viewer follows.
	write writeOf[*upstream.Profile]
}

func newUsers(d Deps) *users {
	up := d.Upstream
	u := &users{
		byID:       loader.Declare(upstream.EndpointUser, up.User).ShareBy(d.sharing(upstream.EndpointUser), "v1", nil),
		byUsername: loader.Declare(upstream.EndpointUserByUsername, up.UserByUsername).ShareBy(d.sharing(upstream.EndpointUserByUsername), "v1", nil),
		me: loader.Declare(upstream.EndpointMe, func(ctx context.Context, _ string, as upstream.UserToken) (*upstream.Profile, error) {
			return up.Me(ctx, as)
		}),
		followers: loader.Declare(upstream.EndpointFollowers, up.Followers).ShareBy(d.sharing(upstream.EndpointFollowers), "v1", nil),
		following: loader.Declare(upstream.EndpointFollowing, up.Following).ShareBy(d.sharing(upstream.EndpointFollowing), "v1", nil),
		posts:     loader.Declare(upstream.EndpointUserPosts, up.UserPosts).ShareBy(d.sharing(upstream.EndpointUserPosts), "v1", nil),
		mine:      loader.Declare(upstream.EndpointMyPosts, up.MyPosts),
		search:    loader.Declare(upstream.EndpointSearchUsers, up.SearchUsers),
	}
	u.write = writeOf[*upstream.Profile]{id: userID, item: u.byID, field: "user",
		stale: []loader.Stale{u.byUsername, u.followers, u.following, u.search}}
	return u
}

// userArgs are the arguments of which user takes exactly one.
func userArgs() []string { return []string{"id", "username"} }

func userLookups(arg string) []guard.Lookup {
	return []guard.Lookup{{Field: "user", Arg: arg, Noun: "users", OneOf: userArgs()}}
}

func (*users) lookups() []guard.Lookup { return userLookups("id") }

func (u *users) plans() []loader.Plan {
	return []loader.Plan{
		primeRoots(userLookups("id"), upstream.CanonicalUUID, u.byID),
		primeRoots(userLookups("username"), validUsername, u.byUsername),
	}
}

func validUsername(s string) (string, bool) {
	return canonicalUsername(s), upstream.ValidSlug(s)
}

// userID checks a user id from the caller and returns it in canonical form.
func userID(raw string) (string, error) {
	id, ok := upstream.CanonicalUUID(raw)
	if !ok {
		return "", errcode.Inputf("invalid user id: a user id is a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	}
	return id, nil
}

// person is u, as an answer carried them, as a User: a field u lacks reads
// the profile through the operation's loader (profileOf), when asked for.
func (r *Resolver) person(ctx context.Context, u upstream.User) *model.Person {
	return &model.Person{Seen: u, Anonymous: viewer.From(ctx).Anonymous(), Me: r.viewerID,
		Load: func(ctx context.Context) (*upstream.Profile, error) { return r.profileOf(ctx, u.ID) }}
}

// people are users as an answer carried them, as Users.
func (r *Resolver) people(ctx context.Context, us []upstream.User) []*model.Person {
	if us == nil {
		return nil
	}
	out := make([]*model.Person, len(us))
	for i := range us {
		out[i] = r.person(ctx, us[i])
	}
	return out
}

// personOf is a profile as a User; nil for nil.
func (r *Resolver) personOf(ctx context.Context, p *upstream.Profile) *model.Person {
	if p == nil {
		return nil
	}
	return model.FromProfile(p, viewer.From(ctx).Anonymous(), r.viewerID)
}

// asPerson is personOf for a loader's answer.
func (r *Resolver) asPerson(ctx context.Context, p *upstream.Profile, err error) (*model.Person, error) {
	if err != nil {
		return nil, err
	}
	return r.personOf(ctx, p), nil
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
		return r.users.byID.Load(ctx, uid)
	}
	if !upstream.ValidSlug(*username) {
		return nil, errcode.Inputf("invalid username: 1 to 64 letters, digits, dots, dashes or underscores")
	}
	p, err := r.users.byUsername.Load(ctx, canonicalUsername(*username))
	if err == nil && p != nil {
		r.users.byID.Seed(ctx, p.ID, p)
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
	return r.users.byID.Load(ctx, uid)
}

// viewerUser is the signed-in user's own profile.
func (r *Resolver) viewerUser(ctx context.Context) (*upstream.Profile, error) {
	p, err := r.users.me.Load(ctx, "")
	if err == nil && p != nil {
		r.users.byID.Seed(ctx, p.ID, p)
	}
	return p, err
}

// viewerID is the signed-in viewer's user id, from their profile (read once
// per operation).
func (r *Resolver) viewerID(ctx context.Context) (string, error) {
	p, err := r.viewerUser(ctx)
	if err != nil || p == nil {
		return "", err
	}
	return p.ID, nil
}

// theViewer is null for a caller without a user token, with no upstream call.
func theViewer(ctx context.Context) *model.Viewer {
	if viewer.From(ctx).Anonymous() {
		return nil
	}
	return &model.Viewer{}
}

func (r *Resolver) userFollows(ctx context.Context, u *model.Person, following bool, a paging.Args) (*model.UserConnection, error) {
	k := r.users.followers
	if following {
		k = r.users.following
	}
	res, info, err := window(ctx, k, upstream.FollowsQuery{UserID: u.ID()}, a)
	if err != nil {
		return nil, err
	}
	return r.userConnection(ctx, res, info), nil
}

func (r *Resolver) userPostList(ctx context.Context, u *model.Person, a paging.Args, sortBy *upstream.PostSort) (*model.PostConnection, error) {
	q := upstream.UserPostsQuery{UserID: u.ID(), PostsQuery: upstream.PostsQuery{SortBy: deref(sortBy)}}
	return postList(ctx, r, r.users.posts, q, a)
}

// viewerPosts are the viewer's posts of one tab.
func (r *Resolver) viewerPosts(ctx context.Context, tab *upstream.MyPostsTab, sortBy *upstream.PostSort, a paging.Args) (*model.PostConnection, error) {
	q := upstream.MyPostsQuery{Tab: deref(tab), SortBy: deref(sortBy)}
	return postList(ctx, r, r.users.mine, q, a)
}

// maxSearchQuery bounds a search's text.
const maxSearchQuery = 100

func (r *Resolver) searchUsers(ctx context.Context, query string, a paging.Args) (*model.UserConnection, error) {
	if n := len([]rune(query)); n > maxSearchQuery {
		return nil, errcode.Inputf("query is at most %d characters, not %d", maxSearchQuery, n)
	}
	res, info, err := window(ctx, r.users.search, upstream.UserSearchQuery{Query: query, All: true}, a)
	if err != nil {
		return nil, err
	}
	return r.userConnection(ctx, res, info), nil
}

// userWrite follows or unfollows a user, then reads the user as they are after
// it.
func (r *Resolver) userWrite(ctx context.Context, raw string, follow bool) (*model.UserPayload, error) {
	// A follow also changes whether posts are by a followed user.
	w := r.users.write
	w.stale = append(append(slices.Clone(w.stale), r.postLists()...), r.posts.byID)
	p, err := mutate(ctx, w, raw, upstreamWrite(upstream.EndpointFollowUser, func(ctx context.Context, id string, as upstream.UserToken) error {
		return r.up.FollowUser(ctx, id, follow, as)
	}), func(p *upstream.Profile) bool {
		// A refused follow is settled by the user's state, never the refusal's words.
		return p != nil && p.Followed != nil && *p.Followed == follow
	})
	if err != nil {
		return nil, err
	}
	return &model.UserPayload{User: r.personOf(ctx, p), Viewer: theViewer(ctx)}, nil
}

// author is a post's or comment's author as a User; nil when it names none.
func (r *Resolver) author(ctx context.Context, u *upstream.User) *model.Person {
	if u == nil {
		return nil
	}
	return r.person(ctx, *u)
}

// mutualFollowers are the people the viewer follows who follow p: only a
// profile lists them.
func (r *Resolver) mutualFollowers(ctx context.Context, p *model.Person) ([]*model.Person, error) {
	full, err := p.FullProfile(ctx)
	if err != nil {
		return nil, err
	}
	return r.people(ctx, full.MutualFollowers), nil
}
