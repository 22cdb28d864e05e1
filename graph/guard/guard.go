// Package guard keeps abusive requests from costing anything: a query guard that
// measures a document before gqlgen validates it (depth, aliases, root fields,
// directives, selections, introspection fan-out, ids per operation), and the
// per-caller token buckets that budget each caller's upstream calls. It knows no
// schema: the schema package tells it which root fields look things up by id.
package guard

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// Limits bound what one request may ask.
type Limits struct {
	Tokens     int // lexical tokens in the document
	Depth      int // nesting of fields, outside introspection
	Aliases    int // aliased fields, fragments expanded
	RootFields int // fields at the root of an operation
	Directives int // directives, fragments expanded
	Selections int // fields, fragments expanded
	IDs        int // ids in one list argument of a Lookup, and lookups by id per operation
	Complexity int // weighted cost, list fields times their size
}

// DefaultLimits are the limits a deployment runs with unless it says otherwise.
// The worst document they accept (499 copies of one field) costs about 10 ms to
// validate the first time.
func DefaultLimits() Limits {
	return Limits{Tokens: 2000, Depth: 10, Aliases: 30, RootFields: 20, Directives: 20, Selections: 500, IDs: 100, Complexity: 5000}
}

// Lookup is a root field that looks things up by an id argument: one id
// (room(id:)) or a list (rooms(ids:)). Its ids count against Limits.IDs.
type Lookup struct {
	Field string
	Arg   string
	List  bool
	Noun  string // what it looks up, plural, for messages ("rooms")
	// OneOf, when set, are the field's arguments of which exactly one must be
	// given (room: id, url, subdomain): a field that gives another number is
	// refused by its resolver, and nothing is looked up for it beforehand.
	OneOf []string
}

// maxIntrospectionLists bounds how many list fields nest inside __schema or
// __type. The standard introspection query (GraphiQL's) nests three (types,
// fields, args); each further level multiplies the answer by a type's field count,
// which is how an introspection query is made to explode. Introspection is exempt
// from the depth limit instead, since that query's ofType chains go 14 deep.
const maxIntrospectionLists = 3

// Guard rejects abusive documents before gqlgen validates them: validation has a
// quadratic rule (overlapping fields) and gqlgen's complexity calculation expands
// every fragment, so both must only ever see documents of bounded size. It parses
// the document itself (gqlgen parses it again; a parse costs far less than
// validation) and measures it in one pass, each fragment measured once and
// memoized, so a fragment bomb costs linear time.
type Guard struct {
	Limits  Limits
	Lookups []Lookup
	// Validated reports whether gqlgen's query cache already holds the document:
	// then it passed this guard and validation before.
	Validated func(ctx context.Context, query string) bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = Guard{}

func (Guard) ExtensionName() string                   { return "QueryGuard" }
func (Guard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters runs first, before gqlgen parses or validates.
func (g Guard) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" || (g.Validated != nil && g.Validated(ctx, params.Query)) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, g.Limits.Tokens)
	if err != nil {
		if strings.Contains(err.Error(), "exceeded token limit") {
			return errcode.Newf(errcode.TooManyTokens, "the document has more than %d tokens", g.Limits.Tokens)
		}
		return nil // a syntax error: gqlgen's parser reports it with its position
	}
	return g.Check(doc)
}

// MutateOperationContext runs after variables are coerced, before execution: it
// bounds the ids of Lookups, including lists that come from variables.
func (g Guard) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil || len(g.Lookups) == 0 {
		return nil
	}
	total, noun := 0, ""
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
		l, ok := g.lookup(f.Name)
		if !ok {
			continue
		}
		n := 1
		if l.List {
			n = len(graphql.CoerceList(f.ArgumentMap(opCtx.Variables)[l.Arg]))
			if n > g.Limits.IDs {
				return errcode.Newf(errcode.TooManyIDs, "%s accepts at most %d ids, got %d", l.Field, g.Limits.IDs, n)
			}
		}
		total += n
		switch noun {
		case "", l.Noun:
			noun = l.Noun
		default:
			noun = "things"
		}
	}
	// Across all of an operation's lookups too: twenty rooms fields of a hundred
	// ids each are one request's worth of two thousand.
	if total > g.Limits.IDs {
		return errcode.Newf(errcode.TooManyIDs, "an operation may look up at most %d %s, it asks for %d", g.Limits.IDs, noun, total)
	}
	return nil
}

func (g Guard) lookup(field string) (Lookup, bool) {
	for _, l := range g.Lookups {
		if l.Field == field {
			return l, true
		}
	}
	return Lookup{}, false
}
