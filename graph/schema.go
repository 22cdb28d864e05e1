package graph

import (
	"context"
	"embed"
	"io/fs"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
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

// ExecutableSchema is the schema with r's resolvers and the complexity weights:
// list fields weigh as many times their children as they may return items.
func (r *Resolver) ExecutableSchema() graphql.ExecutableSchema {
	c := Config{Resolvers: r}
	c.Complexity.Query.Rooms = func(child int, ids []string) int { return 1 + max(len(ids), 1)*child }
	c.Complexity.Room.MutualFollowers = func(child int) int { return 1 + mutualFollowersWeight*child }
	return NewExecutableSchema(c)
}

// roomLookups are the root fields that look rooms up by id.
func roomLookups() []guard.Lookup {
	return []guard.Lookup{
		{Field: "room", Arg: "id", Noun: "rooms"},
		{Field: "rooms", Arg: "ids", List: true, Noun: "rooms"},
	}
}

// Lookups are every root field that looks things up by id: the guard caps their
// ids. Each kind's plan primes its own loader with its own lookups' keys.
func Lookups() []guard.Lookup { return roomLookups() }

// Plans prime the loaders with every key the operation's root fields name, so
// that the first wave of upstream calls goes out as one batch per loader that
// closes on its last key, with no timer.
func (r *Resolver) Plans() []loader.Plan {
	rooms := roomLookups()
	return []loader.Plan{func(ctx context.Context, opCtx *graphql.OperationContext) {
		if ids := loader.RootKeys(opCtx, rooms, canonicalRoomID); len(ids) > 0 {
			r.rooms.Prime(ctx, ids)
		}
	}}
}
