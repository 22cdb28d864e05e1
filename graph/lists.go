package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// window fetches the upstream pages that hold a connection's window, all in one
// batch, and cuts the window from them. Items that could not be read are
// reported at their own paths (their node is null); a page that failed fails the
// connection.
func window[T any](ctx context.Context, k *loader.Kind[listKey, *upstream.Page[T]], size int, id, params string,
	first *int, after *string) (paging.Result[T], *model.PageInfo, error) {
	w, err := paging.Ask(first, after)
	if err != nil {
		return paging.Result[T]{}, nil, err
	}
	nums := w.Pages(size)
	keys := make([]listKey, len(nums))
	for i, n := range nums {
		keys[i] = listKey{ID: id, Params: params, Page: n}
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
	info := &model.PageInfo{HasNextPage: r.HasNextPage, HasPreviousPage: r.HasPreviousPage}
	if len(r.Items) > 0 {
		start, end := paging.Cursor(r.Items[0].Offset), paging.Cursor(r.Items[len(r.Items)-1].Offset)
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

// The parameters of a list are part of its page keys: two windows with other
// parameters are two lists.
func joinParams(parts ...string) string { return strings.Join(parts, "\x1f") }

func splitParams(s string, n int) []string {
	parts := strings.SplitN(s, "\x1f", n)
	for len(parts) < n {
		parts = append(parts, "")
	}
	return parts
}

func postsQuery(params string, q upstream.ListQuery) upstream.PostsQuery {
	p := splitParams(params, 2)
	return upstream.PostsQuery{SortBy: upstream.PostSort(p[0]), Tab: upstream.RoomPostTab(p[1]), Page: q.Page, Limit: q.Limit}
}

func roomsQuery(params string, q upstream.ListQuery) upstream.RoomsQuery {
	p := splitParams(params, 2)
	return upstream.RoomsQuery{Query: p[0], SortBy: upstream.RoomSort(p[1]), Page: q.Page, Limit: q.Limit}
}

func searchQuery(params string, q upstream.ListQuery) upstream.SearchQuery {
	p := splitParams(params, 2)
	return upstream.SearchQuery{Query: p[0], Type: upstream.RoomType(p[1]), Page: q.Page, Limit: q.Limit}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
