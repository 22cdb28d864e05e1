package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// nodes is object identification (Relay's server specification): node and
// nodes read what a nodeId names through the loader of its type's domain, so
// that they batch and share with every other lookup of the operation. It owns
// no loader of its own.
type nodes struct{ r *Resolver }

// The GraphQL types that implement Node, as their nodeIds name them.
const (
	nodeRoom    = "Room"
	nodeUser    = "User"
	nodePost    = "Post"
	nodeComment = "Comment"
	nodeTag     = "Tag"
)

// nodeType is a Node type node can read: its ids' canonical form, and its
// domain's loader, to prime and to load through.
type nodeType struct {
	canonical func(string) (string, bool)
	load      func(context.Context, []string) ([]model.Node, []error)
	prime     func(context.Context, []string)
}

// readable are the Node types node can read, by name.
func (n nodes) readable() map[string]nodeType {
	r := n.r
	return map[string]nodeType{
		nodeRoom: {upstream.CanonicalRoomID, loadAs(r.rooms.byID, func(_ context.Context, v *upstream.Room) model.Node { return v }),
			r.rooms.byID.Prime},
		nodeUser: {upstream.CanonicalUUID, loadAs(r.users.byID, func(ctx context.Context, v *upstream.Profile) model.Node {
			return r.personOf(ctx, v)
		}), r.users.byID.Prime},
		nodePost: {upstream.CanonicalPostID, loadAs(r.posts.byID, func(_ context.Context, v *upstream.Post) model.Node { return v }),
			r.posts.byID.Prime},
	}
}

// loadAs loads keys through k, each value as a Node.
func loadAs[V comparable](k *loader.Kind[string, V], as func(context.Context, V) model.Node) func(context.Context, []string) ([]model.Node, []error) {
	return func(ctx context.Context, keys []string) ([]model.Node, []error) {
		vs, errs := k.LoadAll(ctx, keys)
		out := make([]model.Node, len(vs))
		var zero V
		for i, v := range vs {
			if errs[i] == nil && v != zero {
				out[i] = as(ctx, v)
			}
		}
		return out, errs
	}
}

// nodeLookups are node and nodes, whose ids the guard caps as it caps rooms'.
func (nodes) nodeLookups() []guard.Lookup {
	return []guard.Lookup{
		{Field: "node", Arg: "nodeId", Noun: "nodes"},
		{Field: "nodes", Arg: "nodeIds", List: true, Noun: "nodes"},
	}
}

func (n nodes) lookups() []guard.Lookup { return n.nodeLookups() }

// plans prime each readable type's loader with the ids node and nodes name.
func (n nodes) plans() []loader.Plan {
	var out []loader.Plan
	for typ, e := range n.readable() {
		out = append(out, func(ctx context.Context, roots []loader.Root) {
			keys := loader.RootKeys(roots, n.nodeLookups(), func(raw string) (string, bool) {
				t, id, ok := model.ParseGlobalID(raw)
				if !ok || t != typ {
					return "", false
				}
				return e.canonical(id)
			})
			if len(keys) > 0 {
				e.prime(ctx, keys)
			}
		})
	}
	return out
}

// nodeRef is what a nodeId names, or why it names nothing readable.
type nodeRef struct {
	typ, id string
	err     error
}

func (n nodes) parse(raw string) nodeRef {
	typ, id, ok := model.ParseGlobalID(raw)
	if !ok {
		return nodeRef{err: errcode.Inputf("invalid nodeId: not an id this service gave out (a Node's nodeId, not its id)")}
	}
	switch typ {
	case nodeComment, nodeTag:
		return nodeRef{err: errcode.Inputf("a %s cannot be read by its nodeId: the upstream has no read of one by id", typ)}
	}
	e, ok := n.readable()[typ]
	if !ok {
		return nodeRef{err: errcode.Inputf("invalid nodeId: it names no type of this schema")}
	}
	canonical, ok := e.canonical(id)
	if !ok {
		return nodeRef{err: errcode.Inputf("invalid nodeId: it names no %s", typ)}
	}
	return nodeRef{typ: typ, id: canonical}
}

// load reads every readable ref, each type's in one LoadAll, all types'
// batches primed first so that they go out together. errs[i] is refs[i]'s
// error (its own, or its load's).
func (n nodes) load(ctx context.Context, refs []nodeRef) ([]model.Node, []error) {
	out := make([]model.Node, len(refs))
	errs := make([]error, len(refs))
	byType := map[string][]int{}
	for i, ref := range refs {
		if ref.err != nil {
			errs[i] = ref.err
			continue
		}
		byType[ref.typ] = append(byType[ref.typ], i)
	}
	readable := n.readable()
	keysOf := func(at []int) []string {
		keys := make([]string, len(at))
		for j, i := range at {
			keys[j] = refs[i].id
		}
		return keys
	}
	for typ, at := range byType {
		readable[typ].prime(ctx, keysOf(at))
	}
	for typ, at := range byType {
		vs, loadErrs := readable[typ].load(ctx, keysOf(at))
		for j, i := range at {
			out[i], errs[i] = vs[j], loadErrs[j]
		}
	}
	return out, errs
}

// node is Query.node.
func (r *Resolver) node(ctx context.Context, raw string) (model.Node, error) {
	n := nodes{r}
	out, errs := n.load(ctx, []nodeRef{n.parse(raw)})
	return out[0], errs[0]
}

// nodeList is Query.nodes: an item's error at its own path, the others
// served.
func (r *Resolver) nodeList(ctx context.Context, raw []string) ([]model.Node, error) {
	if raw == nil {
		return nil, errcode.Inputf("nodeIds must be a list of nodeIds, not null")
	}
	n := nodes{r}
	refs := make([]nodeRef, len(raw))
	for i, s := range raw {
		refs[i] = n.parse(s)
	}
	out, errs := n.load(ctx, refs)
	path := graphql.GetPath(ctx)
	for i, err := range errs {
		if err != nil {
			graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(path), ast.PathIndex(i)), err))
		}
	}
	return out, nil
}
