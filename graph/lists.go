package graph

import (
	"context"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// pageQuery is a list's upstream query (upstream.MembersQuery, say): the key of
// its loader, one page of one list with its parameters. A wrong field is a
// compile error, and two windows with other parameters are two lists.
type pageQuery[Q any] interface {
	comparable
	// AtPage is the query asking for page page of limit items.
	AtPage(page, limit int) Q
}

// window fetches the upstream pages that hold a connection's window, all in one
// batch, and cuts the window from them. Every page is asked at the endpoint's
// MaxLimit, so that every window of a list maps to the same pages and two
// connections of one operation share them. Items that could not be read are
// reported at their own paths (their node is null); a page that failed fails the
// connection.
func window[Q pageQuery[Q], T any](ctx context.Context, k *loader.Kind[Q, *upstream.Page[T]], q Q,
	a paging.Args) (paging.Result[T], *model.PageInfo, error) {
	ep := k.Endpoint()
	// The list is the endpoint with every parameter of q but its page.
	list := paging.ListOf(fmt.Sprintf("%s %#v", ep.Name, q.AtPage(0, 0)))
	w, err := list.Ask(a)
	if err != nil {
		return paging.Result[T]{}, nil, err
	}
	size := ep.MaxLimit
	if size < 1 {
		panic("graph: " + ep.Name + " is read as a list but its Endpoint has no MaxLimit")
	}
	nums := w.Pages(size)
	keys := make([]Q, len(nums))
	for i, n := range nums {
		keys[i] = q.AtPage(n, size)
	}
	// The window's pages go out at once, in a batch of their own that closes
	// on its last page: no timer, for root fields as for nested ones.
	k.Prime(ctx, keys)
	pages, errs := k.LoadAll(ctx, keys)
	for _, err := range errs {
		if err != nil {
			return paging.Result[T]{}, nil, err
		}
	}
	r := paging.Cut(w, size, pages)
	r.List = list
	info := &model.PageInfo{HasNextPage: r.HasNextPage, HasPreviousPage: r.HasPreviousPage}
	if len(r.Items) > 0 {
		start, end := list.Cursor(r.Items[0].Offset), list.Cursor(r.Items[len(r.Items)-1].Offset)
		info.StartCursor, info.EndCursor = &start, &end
	}
	var failed []int
	for i, it := range r.Items {
		if it.Err != nil {
			failed = append(failed, i)
		}
	}
	if len(failed) > 0 {
		itemErrors(ctx, r.Items, failed)
	}
	return r, info, nil
}

// itemErrors reports each failed item at the paths the client asked for it:
// nodes.i, and edges.i.node.
func itemErrors[T any](ctx context.Context, items []paging.Item[T], failed []int) {
	opCtx := graphql.GetOperationContext(ctx)
	path := graphql.GetPath(ctx)
	at := func(elems ...ast.PathElement) ast.Path { return append(slices.Clone(path), elems...) }
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		for _, i := range failed {
			switch f.Name {
			case "nodes":
				graphql.AddError(ctx, gqlerror.WrapPath(at(ast.PathName(f.Alias), ast.PathIndex(i)), items[i].Err))
			case "edges":
				for _, e := range graphql.CollectFields(opCtx, f.Selections, nil) {
					if e.Name == "node" {
						graphql.AddError(ctx, gqlerror.WrapPath(at(ast.PathName(f.Alias), ast.PathIndex(i), ast.PathName(e.Alias)), items[i].Err))
					}
				}
			}
		}
	}
}

// present returns a pointer to each item that was read, nil for the others.
func present[T any](items []paging.Item[T]) []*T {
	out := make([]*T, len(items))
	for i := range items {
		if items[i].Err == nil {
			out[i] = &items[i].Value
		}
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// primeRoots is a plan that primes k with the keys the root fields named by
// lookups ask for; canonical turns a raw id into its key, or refuses it.
func primeRoots[V any](lookups []guard.Lookup, canonical func(string) (string, bool), k *loader.Kind[string, V]) loader.Plan {
	return func(ctx context.Context, roots []loader.Root) {
		if keys := loader.RootKeys(roots, lookups, canonical); len(keys) > 0 {
			k.Prime(ctx, keys)
		}
	}
}

// seed records the items of a list that were read under their ids in into.
func seed[T any](ctx context.Context, into interface {
	Seed(context.Context, string, *T)
}, items []paging.Item[T], id func(*T) string) {
	for i := range items {
		if items[i].Err == nil {
			into.Seed(ctx, id(&items[i].Value), &items[i].Value)
		}
	}
}
