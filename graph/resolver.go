// Package graph is the GraphQL schema of the service and its resolvers: the
// .graphqls files (one per domain), gqlgen's generated executable schema, the
// resolvers, and what is specific to them: the loaders the resolvers read
// through, the root lookups the guard caps and the plans prime, and the
// complexity weights. Everything that does not care which field is asked for
// (HTTP, the guard, loaders, paging, persisted queries, telemetry, errors) lives
// in graph's subpackages, which never import this one.
package graph

import (
	"context"

	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

//go:generate go run github.com/99designs/gqlgen generate

// Fetchers are the upstream calls the loaders make.
type Fetchers struct {
	Upstream *upstream.Client
	// Room is *upstream.Client.Room, possibly shared across requests;
	// ForgetRoom drops a viewer's shared copy of a room after a write (nil: no
	// sharing).
	Room       loader.Fetch[string, *upstream.Room]
	ForgetRoom func(ctx context.Context, id string, as upstream.UserToken)
}

// listKey names one upstream page of one list: whose list (ID), with which
// parameters, and which page.
type listKey struct {
	ID, Params string
	Page       int
}

// Resolver is the root resolver: it holds the loaders the resolvers read
// through. Each operation gets its own instance of each loader (see
// loader.Scope), carrying its viewer, so every upstream resource is fetched at
// most once per operation.
type Resolver struct {
	up         *upstream.Client
	forgetRoom func(ctx context.Context, id string, as upstream.UserToken)

	rooms *loader.Kind[string, *upstream.Room]
	// listedRooms are rooms as list answers carry them (search, the viewer's
	// rooms): everything but what only the room's own profile has.
	listedRooms      *loader.Kind[string, *upstream.Room]
	roomsByURL       *loader.Kind[string, *upstream.Room]
	roomsBySubdomain *loader.Kind[string, *upstream.Room]
	users            *loader.Kind[string, *upstream.Profile]
	usersByName      *loader.Kind[string, *upstream.Profile]
	me               *loader.Kind[string, *upstream.Profile]
	posts            *loader.Kind[string, *upstream.Post]

	members   *loader.Kind[listKey, *upstream.Page[upstream.Member]]
	roomPosts *loader.Kind[listKey, *upstream.Page[upstream.Post]]
	joined    *loader.Kind[listKey, *upstream.Page[upstream.Room]]
	managed   *loader.Kind[listKey, *upstream.Page[upstream.Room]]
	search    *loader.Kind[listKey, *upstream.Page[upstream.Room]]
	followers *loader.Kind[listKey, *upstream.Page[upstream.User]]
	following *loader.Kind[listKey, *upstream.Page[upstream.User]]
	userPosts *loader.Kind[listKey, *upstream.Page[upstream.Post]]
	comments  *loader.Kind[listKey, *upstream.Page[upstream.Comment]]
}

// NewResolver declares the schema's loaders over f.
func NewResolver(f Fetchers) *Resolver {
	up := f.Upstream
	forget := f.ForgetRoom
	if forget == nil {
		forget = func(context.Context, string, upstream.UserToken) {}
	}
	return &Resolver{
		up:               up,
		forgetRoom:       forget,
		rooms:            loader.Declare(upstream.EndpointRoom, f.Room),
		listedRooms:      loader.Declare(upstream.EndpointRoom, f.Room),
		roomsByURL:       loader.Declare(upstream.EndpointRoomByURL, up.RoomByURL),
		roomsBySubdomain: loader.Declare(upstream.EndpointRoomBySubdomain, up.RoomBySubdomain),
		users:            loader.Declare(upstream.EndpointUser, up.User),
		usersByName:      loader.Declare(upstream.EndpointUser, up.UserByUsername),
		me: loader.Declare(upstream.EndpointMe, func(ctx context.Context, _ string, as upstream.UserToken) (*upstream.Profile, error) {
			return up.Me(ctx, as)
		}),
		posts: loader.Declare(upstream.EndpointPost, up.Post),
		members: pages(upstream.EndpointMembers, upstream.MaxLimitMembers, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Member], error) {
			return up.RoomMembers(ctx, k.ID, q, as)
		}),
		roomPosts: pages(upstream.EndpointRoomPosts, upstream.MaxLimitPosts, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Post], error) {
			return up.RoomPosts(ctx, k.ID, postsQuery(k.Params, q), as)
		}),
		joined: pages(upstream.EndpointJoinedRooms, upstream.MaxLimitJoinedRooms, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Room], error) {
			return up.JoinedRooms(ctx, roomsQuery(k.Params, q), as)
		}),
		managed: pages(upstream.EndpointManagedRooms, upstream.MaxLimitJoinedRooms, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Room], error) {
			return up.ManagedRooms(ctx, roomsQuery(k.Params, q), as)
		}),
		search: pages(upstream.EndpointSearch, upstream.MaxLimitSearch, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Room], error) {
			return up.SearchRooms(ctx, searchQuery(k.Params, q), as)
		}),
		followers: pages(upstream.EndpointFollowers, upstream.MaxLimitFollows, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.User], error) {
			return up.Followers(ctx, k.ID, q, as)
		}),
		following: pages(upstream.EndpointFollowing, upstream.MaxLimitFollows, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.User], error) {
			return up.Following(ctx, k.ID, q, as)
		}),
		userPosts: pages(upstream.EndpointUserPosts, upstream.MaxLimitPosts, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Post], error) {
			return up.UserPosts(ctx, k.ID, postsQuery(k.Params, q), as)
		}),
		comments: pages(upstream.EndpointComments, upstream.MaxLimitComments, func(ctx context.Context, k listKey, q upstream.ListQuery, as upstream.UserToken) (*upstream.Page[upstream.Comment], error) {
			return up.PostComments(ctx, k.ID, q, as)
		}),
	}
}

// pages declares the loader of one upstream list's pages, always asked at the
// endpoint's largest page size, so that every window of it maps to the same
// pages and two connections of one operation share them.
func pages[T any](endpoint string, size int, fetch func(context.Context, listKey, upstream.ListQuery, upstream.UserToken) (*upstream.Page[T], error)) *loader.Kind[listKey, *upstream.Page[T]] {
	return loader.Declare(endpoint, func(ctx context.Context, k listKey, as upstream.UserToken) (*upstream.Page[T], error) {
		return fetch(ctx, k, upstream.ListQuery{Page: k.Page, Limit: size}, as)
	})
}
