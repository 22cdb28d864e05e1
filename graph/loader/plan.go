package loader

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
)

// RootKeys lists, once each and in order, the valid keys that the root fields
// named by lookups will ask for in a query operation: the keys a plan can prime
// before execution. It reads arguments exactly as the generated code does;
// canonical turns a raw id into its key, or refuses it (invalid ids are left for
// the resolvers to report).
func RootKeys(opCtx *graphql.OperationContext, lookups []guard.Lookup, canonical func(string) (string, bool)) []string {
	if opCtx == nil || opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return nil
	}
	var keys []string
	seen := make(map[string]struct{})
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
		if _, dup := seen[key]; !dup {
			seen[key] = struct{}{}
			keys = append(keys, key)
		}
	}
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
		for _, l := range lookups {
			if f.Name != l.Field {
				continue
			}
			args := f.ArgumentMap(opCtx.Variables)
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
