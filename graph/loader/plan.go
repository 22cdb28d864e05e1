package loader

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
)

// Root is a root field of a query operation with its arguments, read once for
// every plan.
type Root struct {
	Name string
	Args map[string]any
}

// RootFields are the root fields of a query operation, with their arguments
// read exactly as the generated code reads them (none for other operations:
// writes are not planned).
func RootFields(opCtx *graphql.OperationContext) []Root {
	if opCtx == nil || opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return nil
	}
	fields := graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"})
	roots := make([]Root, len(fields))
	for i, f := range fields {
		roots[i] = Root{Name: f.Name, Args: f.ArgumentMap(opCtx.Variables)}
	}
	return roots
}

// RootKeys lists, once each and in order, the valid keys that the root fields
// named by lookups will ask for: the keys a plan can prime before execution. It
// reads arguments exactly as the generated code does; canonical turns a raw id
// into its key, or refuses it (invalid ids are left for the resolvers to
// report).
func RootKeys(roots []Root, lookups []guard.Lookup, canonical func(string) (string, bool)) []string {
	var keys []string
	var seen map[string]struct{} // made on the first key: most operations plan none of a kind
	add := func(v any) {
		if v == nil {
			return // an optional argument left out (gqlgen would read it as "null")
		}
		raw, err := graphql.UnmarshalID(v)
		if err != nil {
			return
		}
		key, ok := canonical(raw)
		if !ok {
			return
		}
		if seen == nil {
			seen = make(map[string]struct{})
		}
		if _, dup := seen[key]; !dup {
			seen[key] = struct{}{}
			keys = append(keys, key)
		}
	}
	for _, f := range roots {
		for _, l := range lookups {
			if f.Name != l.Field {
				continue
			}
			args := f.Args
			if len(l.OneOf) > 0 {
				given := 0
				for _, a := range l.OneOf {
					if args[a] != nil {
						given++
					}
				}
				if given != 1 {
					continue
				}
			}
			arg := args[l.Arg]
			if !l.List {
				add(arg)
				continue
			}
			for _, v := range graphql.CoerceList(arg) {
				add(v)
			}
		}
	}
	return keys
}
