package graph

import (
	"context"
	"embed"
	"io/fs"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

//go:embed *.graphqls
var schemaFiles embed.FS

// SDL is the schema as written, descriptions included, every file in name
// order: what /schema.graphql serves to code generators.
func SDL() []byte {
	names, _ := fs.Glob(schemaFiles, "*.graphqls")
	slices.Sort(names)
	var out []byte
	for _, n := range names {
		b, _ := schemaFiles.ReadFile(n)
		if len(out) > 0 {
			out = append(out, '\n')
		}
		out = append(out, b...)
	}
	return out
}

// mutualFollowersWeight is the complexity weight of a room's mutual followers: the
// upstream does not say how many it sends, so assume a page of them.
const mutualFollowersWeight = 10

// connectionCost weighs a connection by the items it may return: its children
// (an edge or a node, with their fields) once per item of first.
func connectionCost(child int, first *int) int {
	n := 10
	if first != nil {
		n = max(*first, 1)
	}
	return 1 + n*child
}

// ExecutableSchema is the schema with r's resolvers and the complexity weights:
// list fields weigh as many times their children as they may return items.
func (r *Resolver) ExecutableSchema() graphql.ExecutableSchema {
	c := Config{Resolvers: r}
	c.Complexity.Query.Rooms = func(child int, ids []string) int { return 1 + max(len(ids), 1)*child }
	c.Complexity.Room.MutualFollowers = func(child int) int { return 1 + mutualFollowersWeight*child }
	c.Complexity.User.MutualFollowers = c.Complexity.Room.MutualFollowers
	c.Complexity.Query.SearchRooms = func(child int, _ string, _ *upstream.RoomType, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	c.Complexity.Room.Members = func(child int, first *int, _ *string) int { return connectionCost(child, first) }
	c.Complexity.Room.Posts = func(child int, first *int, _ *string, _ *upstream.PostSort, _ *upstream.RoomPostTab) int {
		return connectionCost(child, first)
	}
	c.Complexity.User.Followers = func(child int, first *int, _ *string) int { return connectionCost(child, first) }
	c.Complexity.User.Following = c.Complexity.User.Followers
	c.Complexity.User.Posts = func(child int, first *int, _ *string, _ *upstream.PostSort) int { return connectionCost(child, first) }
	c.Complexity.Post.Comments = func(child int, first *int, _ *string) int { return connectionCost(child, first) }
	c.Complexity.Viewer.JoinedRooms = func(child int, _ *string, _ *upstream.RoomSort, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	c.Complexity.Viewer.ManagedRooms = c.Complexity.Viewer.JoinedRooms
	return NewExecutableSchema(c)
}

// The root fields that look things up: the guard caps their ids, and each
// kind's plan primes its own loader with its own lookups' keys.
func roomLookups() []guard.Lookup {
	return []guard.Lookup{
		{Field: "room", Arg: "id", Noun: "rooms", OneOf: roomArgs()},
		{Field: "rooms", Arg: "ids", List: true, Noun: "rooms"},
	}
}

// roomArgs and userArgs are the arguments of which room and user take exactly one.
func roomArgs() []string { return []string{"id", "url", "subdomain"} }
func userArgs() []string { return []string{"id", "username"} }

func roomSlugLookups(arg string) []guard.Lookup {
	return []guard.Lookup{{Field: "room", Arg: arg, Noun: "rooms", OneOf: roomArgs()}}
}

func userLookups(arg string) []guard.Lookup {
	return []guard.Lookup{{Field: "user", Arg: arg, Noun: "users", OneOf: userArgs()}}
}

func postLookups() []guard.Lookup { return []guard.Lookup{{Field: "post", Arg: "id", Noun: "posts"}} }

// Lookups are every root field that looks things up by id or slug.
func Lookups() []guard.Lookup {
	return slices.Concat(roomLookups(), userLookups("id"), postLookups())
}

// validSlug keeps a valid slug or username as its key.
func validSlug(s string) (string, bool) { return s, upstream.ValidSlug(s) }

func validUsername(s string) (string, bool) {
	return canonicalUsername(s), upstream.ValidSlug(s)
}

// Plans prime the loaders with every key the operation's root fields name, so
// that the first wave of upstream calls goes out as one batch per loader that
// closes on its last key, with no timer.
func (r *Resolver) Plans() []loader.Plan {
	prime := func(lookups []guard.Lookup, canonical func(string) (string, bool), prime func(context.Context, []string)) loader.Plan {
		return func(ctx context.Context, roots []loader.Root) {
			if keys := loader.RootKeys(roots, lookups, canonical); len(keys) > 0 {
				prime(ctx, keys)
			}
		}
	}
	return []loader.Plan{
		prime(roomLookups(), canonicalRoomID, r.rooms.Prime),
		prime(roomSlugLookups("url"), validSlug, r.roomsByURL.Prime),
		prime(roomSlugLookups("subdomain"), validSlug, r.roomsBySubdomain.Prime),
		prime(userLookups("id"), upstream.CanonicalUUID, r.users.Prime),
		prime(userLookups("username"), validUsername, r.usersByName.Prime),
		prime(postLookups(), upstream.CanonicalPostID, r.posts.Prime),
	}
}
