package guard

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// measure is the size of a selection set with its fragments expanded. Counts
// saturate, so a fragment bomb's astronomic size stays a large number.
type measure struct {
	depth      int // deepest field nesting, outside introspection
	fields     int // fields at this level (for root fields)
	selections int
	aliases    int
	directives int
	lists      int // deepest nesting of list fields inside introspection
	idsTooLong int // a literal id list of a Lookup over the limit: its length
	idsField   string
	repeated   int // the most fields sharing one response name in one selection set
	repeatName string
}

// maxRepeats is how many fields of one selection set, fragments expanded, may
// share a response name. Validation compares every pair of fields that share
// one (to check they can merge), so n of them cost n² comparisons, and n
// conflicting ones n² errors: 469 copies of id and 30 of "id: name" were 14,070
// errors. A document written by hand repeats a name a few times at most.
const maxRepeats = 20

const saturate = 1 << 30

func sat(a, b int) int { return min(a+b, saturate) }

func (m *measure) add(o measure) {
	m.selections = sat(m.selections, o.selections)
	m.aliases = sat(m.aliases, o.aliases)
	m.directives = sat(m.directives, o.directives)
	m.fields = sat(m.fields, o.fields)
	m.depth = max(m.depth, o.depth)
	m.lists = max(m.lists, o.lists)
	if o.idsTooLong > m.idsTooLong {
		m.idsTooLong, m.idsField = o.idsTooLong, o.idsField
	}
	m.repeat(o.repeated, o.repeatName)
}

func (m *measure) repeat(n int, name string) {
	if n > m.repeated {
		m.repeated, m.repeatName = n, name
	}
}

// memoKey names a fragment's measure: inside introspection its list fields
// count, outside they are ordinary fields.
type memoKey struct {
	name  string
	intro bool
}

type walk struct {
	g         Guard
	fragments map[string]*ast.FragmentDefinition
	memo      map[memoKey]measure
	active    map[string]bool           // fragments being measured: a cycle is not followed
	names     map[string]map[string]int // a fragment's response names, counted
}

// Check measures a parsed document against the limits.
func (g Guard) Check(doc *ast.QueryDocument) *gqlerror.Error {
	w := walk{
		g:         g,
		fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		memo:      make(map[memoKey]measure, len(doc.Fragments)),
		active:    make(map[string]bool),
		names:     make(map[string]map[string]int),
	}
	l := g.Limits
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
			return errcode.New(errcode.ValidationFailed, fmt.Sprintf("there are two fragments named %q", f.Name))
		}
		w.fragments[f.Name] = f
		written = sat(written, countWritten(f.SelectionSet))
	}
	if written > l.Selections {
		return errcode.Newf(errcode.TooManySelections, "the document has more than %d fields", l.Selections)
	}
	// Validation checks that fields merge in every definition, used or not.
	for _, f := range doc.Fragments {
		m := w.fragment(f.Name, false)
		m.repeat(w.repeats(f.SelectionSet))
		if m.repeated > maxRepeats {
			return repeatedTooOften(m)
		}
	}
	for _, op := range doc.Operations {
		m := w.set(op.SelectionSet, false)
		m.directives = sat(m.directives, len(op.Directives))
		m.repeat(w.repeats(op.SelectionSet))
		switch {
		case m.selections > l.Selections:
			return errcode.Newf(errcode.TooManySelections, "the operation selects more than %d fields (fragments expanded)", l.Selections)
		case m.depth > l.Depth:
			return errcode.Newf(errcode.TooDeep, "the operation nests fields more than %d deep", l.Depth)
		case m.fields > l.RootFields:
			return errcode.Newf(errcode.TooManyRootFields, "the operation has more than %d root fields", l.RootFields)
		case m.aliases > l.Aliases:
			return errcode.Newf(errcode.TooManyAliases, "the operation uses more than %d aliases", l.Aliases)
		case m.directives > l.Directives:
			return errcode.Newf(errcode.TooManyDirectives, "the operation uses more than %d directives", l.Directives)
		case m.repeated > maxRepeats:
			return repeatedTooOften(m)
		case m.lists > maxIntrospectionLists:
			return errcode.Newf(errcode.IntrospectionTooDeep, "introspection nests more than %d lists", maxIntrospectionLists)
		case m.idsTooLong > 0:
			return errcode.Newf(errcode.TooManyIDs, "%s accepts at most %d ids, got %d", m.idsField, l.IDs, m.idsTooLong)
		}
	}
	return nil
}

func repeatedTooOften(m measure) *gqlerror.Error {
	return errcode.Newf(errcode.TooManySelections, "the document selects %q more than %d times in one selection set (fragments expanded)", m.repeatName, maxRepeats)
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

func (w *walk) set(set ast.SelectionSet, intro bool) measure {
	var m measure
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.add(w.field(s, intro))
		case *ast.InlineFragment:
			inner := w.set(s.SelectionSet, intro)
			inner.directives = sat(inner.directives, len(s.Directives))
			m.add(inner)
		case *ast.FragmentSpread:
			inner := w.fragment(s.Name, intro)
			inner.directives = sat(inner.directives, len(s.Directives))
			m.add(inner)
		}
	}
	return m
}

func (w *walk) fragment(name string, intro bool) measure {
	key := memoKey{name, intro}
	if m, ok := w.memo[key]; ok {
		return m
	}
	f, ok := w.fragments[name]
	if !ok || w.active[name] {
		return measure{} // undefined or cyclic: validation reports it
	}
	w.active[name] = true
	m := w.set(f.SelectionSet, intro)
	m.directives = sat(m.directives, len(f.Directives))
	delete(w.active, name)
	w.memo[key] = m
	return m
}

// introspectionList reports whether name is a list field of introspection's
// types: each one nested multiplies the answer.
func introspectionList(name string) bool {
	switch name {
	case "types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues", "directives":
		return true
	}
	return false
}

func (w *walk) field(f *ast.Field, intro bool) measure {
	childIntro := intro || f.Name == "__schema" || f.Name == "__type"
	child := w.set(f.SelectionSet, childIntro)
	m := measure{
		fields:     1,
		selections: sat(child.selections, 1),
		aliases:    child.aliases,
		directives: sat(child.directives, len(f.Directives)),
		idsTooLong: child.idsTooLong,
		idsField:   child.idsField,
		lists:      child.lists,
		depth:      child.depth + 1,
	}
	m.repeat(child.repeated, child.repeatName)
	if len(f.SelectionSet) > 0 {
		m.repeat(w.repeats(f.SelectionSet))
	}
	if f.Alias != "" && f.Alias != f.Name {
		m.aliases = sat(m.aliases, 1)
	}
	switch {
	case f.Name == "__schema" || f.Name == "__type":
		m.depth = 1 // introspection is bounded by list nesting instead
	case intro && introspectionList(f.Name):
		m.lists++
	}
	if l, ok := w.g.lookup(f.Name); ok && l.List {
		if a := f.Arguments.ForName(l.Arg); a != nil && a.Value != nil && a.Value.Kind == ast.ListValue {
			if n := len(a.Value.Children); n > w.g.Limits.IDs && n > m.idsTooLong {
				m.idsTooLong, m.idsField = n, l.Field
			}
		}
	}
	return m
}

// repeats is the response name most fields of set share, fragments expanded,
// and how many share it.
func (w *walk) repeats(set ast.SelectionSet) (n int, name string) {
	counts := make(map[string]int)
	w.countNames(set, counts)
	for k, c := range counts {
		if c > n || c == n && k < name {
			n, name = c, k
		}
	}
	return n, name
}

// countNames adds the response names of set's fields, through inline fragments
// and spreads, to counts.
func (w *walk) countNames(set ast.SelectionSet, counts map[string]int) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			counts[name] = sat(counts[name], 1)
		case *ast.InlineFragment:
			w.countNames(s.SelectionSet, counts)
		case *ast.FragmentSpread:
			for k, c := range w.fragmentNames(s.Name) {
				counts[k] = sat(counts[k], c)
			}
		}
	}
}

// fragmentNames is countNames for a fragment, memoized.
func (w *walk) fragmentNames(name string) map[string]int {
	if c, ok := w.names[name]; ok {
		return c
	}
	f, ok := w.fragments[name]
	if !ok || w.active[name] {
		return nil // undefined or cyclic: validation reports it
	}
	w.active[name] = true
	counts := make(map[string]int)
	w.countNames(f.SelectionSet, counts)
	delete(w.active, name)
	w.names[name] = counts
	return counts
}
