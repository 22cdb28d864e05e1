package graph

import (
	"context"
	"embed"
	"io/fs"
	"slices"

	"github.com/99designs/gqlgen/graphql"
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
// list fields weigh as many times their children as they may return items. A
// field with a first argument is weighed by it (see weighed); only the
// exceptions, lists without first, have weights of their own here.
func (r *Resolver) ExecutableSchema() graphql.ExecutableSchema {
	c := Config{Resolvers: r}
	c.Complexity.Query.Rooms = func(child int, ids []string) int { return 1 + max(len(ids), 1)*child }
	c.Complexity.Room.MutualFollowers = func(child int) int { return 1 + mutualFollowersWeight*child }
	c.Complexity.User.MutualFollowers = c.Complexity.Room.MutualFollowers
	return weighed{NewExecutableSchema(c)}
}

// weighed weighs every field that takes a first argument by the items it may
// return: its children (an edge or a node, with their fields) once per item of
// first (10 when first is null). The rule holds for every connection of every
// domain, with nothing to declare: a schema test fails on a connection without
// first. It embeds the interface, so it hides the generated schema's optional
// methods: should a subscription field take @subscriptionContext (gqlgen's
// ExecutableSchemaWithEventContext), weighed must pass that method through.
type weighed struct{ graphql.ExecutableSchema }

func (w weighed) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	first, ok := args["first"]
	if !ok {
		return w.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
	}
	n := 10
	if first != nil {
		v, err := graphql.UnmarshalInt(first)
		if err != nil {
			return 0, false // the field's own validation reports it
		}
		n = max(v, 1)
	}
	return 1 + n*child, true
}
