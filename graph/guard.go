package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Limits bound what one request may ask. Zero values take the defaults.
type Limits struct {
	Tokens     int // lexical tokens in the document (default 2000)
	Depth      int // nesting of fields, outside introspection (default 10)
	Aliases    int // aliased fields, fragments expanded (default 30)
	RootFields int // fields at the root of an operation (default 20)
	Directives int // directives, fragments expanded (default 20)
	Selections int // fields, fragments expanded (default 500)
	RoomIDs    int // ids in one rooms(ids:) list (default 100)
	Complexity int // weighted cost, list fields times their size (default 5000)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Tokens, 2000)
	def(&l.Depth, 10)
	def(&l.Aliases, 30)
	def(&l.RootFields, 20)
	def(&l.Directives, 20)
	def(&l.Selections, 500)
	def(&l.RoomIDs, 100)
	def(&l.Complexity, 5000)
	return l
}

// The codes of guard rejections; each names the limit that was hit.
const (
	CodeTooManyTokens     = "TOO_MANY_TOKENS"
	CodeTooDeep           = "QUERY_TOO_DEEP"
	CodeTooManyAliases    = "TOO_MANY_ALIASES"
	CodeTooManyRootFields = "TOO_MANY_ROOT_FIELDS"
	CodeTooManyDirectives = "TOO_MANY_DIRECTIVES"
	CodeTooManySelections = "TOO_MANY_SELECTIONS"
	CodeTooManyIDs        = "TOO_MANY_IDS"
	CodeIntrospectionDeep = "INTROSPECTION_TOO_DEEP"
	CodeTooComplex        = "COMPLEXITY_LIMIT_EXCEEDED" // gqlgen's own code for its complexity limit
)

// maxIntrospectionLists bounds how many list fields nest inside __schema or
// __type. The standard introspection query (GraphiQL's) nests three (types,
// fields, args); each further level multiplies the answer by a type's field count,
// which is how an introspection query is made to explode. Introspection is exempt
// from the depth limit instead, since that query's ofType chains go 14 deep.
const maxIntrospectionLists = 3

// queryGuard rejects abusive documents before gqlgen validates them: validation
// has a quadratic rule (overlapping fields) and gqlgen's complexity calculation
// expands every fragment, so both must only ever see documents of bounded size.
// It parses the document itself (gqlgen parses it again; a parse costs far less
// than validation) and measures it in one pass, each fragment measured once and
// memoized, so a fragment bomb costs linear time.
type queryGuard struct {
	limits Limits
	// validated reports whether gqlgen's query cache already holds the document:
	// then it passed this guard and validation before.
	validated func(ctx context.Context, query string) bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = queryGuard{}

func (queryGuard) ExtensionName() string                   { return "QueryGuard" }
func (queryGuard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters runs first, before gqlgen parses or validates.
func (g queryGuard) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" || g.validated(ctx, params.Query) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, g.limits.Tokens)
	if err != nil {
		if strings.Contains(err.Error(), "exceeded token limit") {
			return limitError(CodeTooManyTokens, "the document has more than %d tokens", g.limits.Tokens)
		}
		return nil // a syntax error: gqlgen's parser reports it with its position
	}
	return g.check(doc)
}

// MutateOperationContext runs after variables are coerced, before execution: it
// bounds rooms(ids:) lists that come from variables.
func (g queryGuard) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	total := 0
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{"Query"}) {
		switch f.Name {
		case "room":
			total++
		case "rooms":
			n := len(graphql.CoerceList(f.ArgumentMap(opCtx.Variables)["ids"]))
			if n > g.limits.RoomIDs {
				return limitError(CodeTooManyIDs, "rooms accepts at most %d ids, got %d", g.limits.RoomIDs, n)
			}
			total += n
		}
	}
	// Across all of an operation's room and rooms fields too: twenty rooms
	// fields of a hundred ids each are one request's worth of two thousand.
	if total > g.limits.RoomIDs {
		return limitError(CodeTooManyIDs, "an operation may look up at most %d rooms, it asks for %d", g.limits.RoomIDs, total)
	}
	return nil
}

func limitError(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// measure is the size of a selection set with its fragments expanded. Counts
// saturate, so a fragment bomb's astronomic size stays a large number.
type measure struct {
	depth      int // deepest field nesting, outside introspection
	fields     int // fields at this level (for root fields)
	selections int
	aliases    int
	directives int
	lists      int // deepest nesting of introspection's list fields (their names are not used elsewhere in this schema)
	idsTooLong int // a literal rooms(ids:) list over the limit: its length
}

const saturate = 1 << 30

func sat(a, b int) int { return min(a+b, saturate) }

func (m *measure) add(o measure) {
	m.selections = sat(m.selections, o.selections)
	m.aliases = sat(m.aliases, o.aliases)
	m.directives = sat(m.directives, o.directives)
	m.fields = sat(m.fields, o.fields)
	m.depth = max(m.depth, o.depth)
	m.lists = max(m.lists, o.lists)
	m.idsTooLong = max(m.idsTooLong, o.idsTooLong)
}

type guardWalk struct {
	g         queryGuard
	fragments map[string]*ast.FragmentDefinition
	memo      map[string]measure
	active    map[string]bool // fragments being measured: a cycle is not followed
}

func (g queryGuard) check(doc *ast.QueryDocument) *gqlerror.Error {
	w := guardWalk{
		g:         g,
		fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		memo:      make(map[string]measure, len(doc.Fragments)),
		active:    make(map[string]bool),
	}
	l := g.limits
	// Validation walks every definition, used or not, and its overlapping-fields
	// rule is quadratic in a selection set's size: so the document's own fields,
	// counted as written, are bounded too, and a fragment name defined twice
	// (which would hide one definition from the walk below) is refused here.
	written := 0
	for _, op := range doc.Operations {
		written = sat(written, countWritten(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		if _, dup := w.fragments[f.Name]; dup {
			return &gqlerror.Error{Message: fmt.Sprintf("there are two fragments named %q", f.Name),
				Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
		}
		w.fragments[f.Name] = f
		written = sat(written, countWritten(f.SelectionSet))
	}
	if written > l.Selections {
		return limitError(CodeTooManySelections, "the document has more than %d fields", l.Selections)
	}
	for _, op := range doc.Operations {
		m := w.set(op.SelectionSet)
		m.directives = sat(m.directives, len(op.Directives))
		switch {
		case m.selections > l.Selections:
			return limitError(CodeTooManySelections, "the operation selects more than %d fields (fragments expanded)", l.Selections)
		case m.depth > l.Depth:
			return limitError(CodeTooDeep, "the operation nests fields more than %d deep", l.Depth)
		case m.fields > l.RootFields:
			return limitError(CodeTooManyRootFields, "the operation has more than %d root fields", l.RootFields)
		case m.aliases > l.Aliases:
			return limitError(CodeTooManyAliases, "the operation uses more than %d aliases", l.Aliases)
		case m.directives > l.Directives:
			return limitError(CodeTooManyDirectives, "the operation uses more than %d directives", l.Directives)
		case m.lists > maxIntrospectionLists:
			return limitError(CodeIntrospectionDeep, "introspection nests more than %d lists", maxIntrospectionLists)
		case m.idsTooLong > 0:
			return limitError(CodeTooManyIDs, "rooms accepts at most %d ids, got %d", l.RoomIDs, m.idsTooLong)
		}
	}
	return nil
}

// countWritten counts the fields of a selection set as written, without
// following fragment spreads.
func countWritten(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n = sat(n, sat(1, countWritten(s.SelectionSet)))
		case *ast.InlineFragment:
			n = sat(n, countWritten(s.SelectionSet))
		}
	}
	return n
}

func (w *guardWalk) set(set ast.SelectionSet) measure {
	var m measure
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.add(w.field(s))
		case *ast.InlineFragment:
			inner := w.set(s.SelectionSet)
			inner.directives = sat(inner.directives, len(s.Directives))
			m.add(inner)
		case *ast.FragmentSpread:
			inner := w.fragment(s.Name)
			inner.directives = sat(inner.directives, len(s.Directives))
			m.add(inner)
		}
	}
	return m
}

func (w *guardWalk) fragment(name string) measure {
	if m, ok := w.memo[name]; ok {
		return m
	}
	f, ok := w.fragments[name]
	if !ok || w.active[name] {
		return measure{} // undefined or cyclic: validation reports it
	}
	w.active[name] = true
	m := w.set(f.SelectionSet)
	m.directives = sat(m.directives, len(f.Directives))
	delete(w.active, name)
	w.memo[name] = m
	return m
}

func (w *guardWalk) field(f *ast.Field) measure {
	child := w.set(f.SelectionSet)
	m := measure{
		fields:     1,
		selections: sat(child.selections, 1),
		aliases:    child.aliases,
		directives: sat(child.directives, len(f.Directives)),
		idsTooLong: child.idsTooLong,
		lists:      child.lists,
		depth:      child.depth + 1,
	}
	if f.Alias != "" && f.Alias != f.Name {
		m.aliases = sat(m.aliases, 1)
	}
	switch f.Name {
	case "__schema", "__type":
		m.depth = 1 // introspection is bounded by list nesting instead
	case "types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues", "directives":
		m.lists++
	case "rooms":
		if a := f.Arguments.ForName("ids"); a != nil && a.Value != nil && a.Value.Kind == ast.ListValue {
			if n := len(a.Value.Children); n > w.g.limits.RoomIDs {
				m.idsTooLong = max(m.idsTooLong, n)
			}
		}
	}
	return m
}
