package graph

import (
	"bytes"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/formatter"
)

// SDL is the schema as one printed document, descriptions included, built
// from the schema gqlgen executes: every type once (Query whole, not the
// source files' extensions of it), only the directives clients know
// (@deprecated), so that any tool accepts it (relay-compiler refuses an
// extension before its type). It is what introspection describes, and what
// /schema.graphql serves to code generators.
func SDL() []byte {
	sdlOnce.Do(func() {
		var b bytes.Buffer
		formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(NewExecutableSchema(Config{}).Schema())
		// A blank line between definitions, for the people who read it.
		sdl = bytes.ReplaceAll(b.Bytes(), []byte("\n}\n"), []byte("\n}\n\n"))
	})
	return sdl
}

var (
	sdlOnce sync.Once
	sdl     []byte
)

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
// first or last (10 when neither is given). The rule holds for every connection of every
// domain, with nothing to declare: a schema test fails on a connection without
// first. It embeds the interface, so it hides the generated schema's optional
// methods: should a subscription field take @subscriptionContext (gqlgen's
// ExecutableSchemaWithEventContext), weighed must pass that method through.
type weighed struct{ graphql.ExecutableSchema }

func (w weighed) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if !w.paged(typeName, field) {
		return w.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
	}
	n := 10
	for _, name := range []string{"first", "last"} {
		if v, given := args[name]; given && v != nil {
			m, err := graphql.UnmarshalInt(v)
			if err != nil {
				return 0, false // the field's own validation reports it
			}
			n = max(m, 1)
		}
	}
	return 1 + n*child, true
}

// paged reports whether the field takes first (a connection's page size):
// its arguments may leave it out, the schema says.
func (w weighed) paged(typeName, field string) bool {
	t := w.Schema().Types[typeName]
	if t == nil {
		return false
	}
	f := t.Fields.ForName(field)
	return f != nil && f.Arguments.ForName("first") != nil
}
