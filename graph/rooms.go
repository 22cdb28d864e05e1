package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

func canonicalRoomID(raw string) (string, bool) { return upstream.CanonicalRoomID(raw) }

// roomID checks a room id from the caller and returns it in canonical form.
func roomID(raw string) (string, error) {
	id, ok := upstream.CanonicalRoomID(raw)
	if !ok {
		shown := raw
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return "", errcode.Inputf("invalid room id %q: an id is a decimal integer from 1 to %s, digits only", shown, upstream.MaxRoomID)
	}
	return id, nil
}

// room looks up one room through the operation's loader.
func (r *Resolver) room(ctx context.Context, raw string) (*upstream.Room, error) {
	id, err := roomID(raw)
	if err != nil {
		return nil, err
	}
	return r.rooms.Load(ctx, id)
}

// roomList looks up rooms in the order of raw. A failed item is nil and its
// error is reported at the item's own path, so the other items are still served.
func (r *Resolver) roomList(ctx context.Context, raw []string) ([]*upstream.Room, error) {
	if raw == nil {
		// [ID!]! cannot be null, but gqlgen lets an explicit null through when it
		// comes from a variable that has a default.
		return nil, errcode.Inputf("ids must be a list of room ids, not null")
	}
	ids := make([]string, 0, len(raw))
	at := make([]int, 0, len(raw)) // the index in raw of each id
	errs := make([]error, len(raw))
	for i, s := range raw {
		id, err := roomID(s)
		if err != nil {
			errs[i] = err
			continue
		}
		ids, at = append(ids, id), append(at, i)
	}
	out := make([]*upstream.Room, len(raw))
	rooms, loadErrs := r.rooms.LoadAll(ctx, ids)
	for j, i := range at {
		out[i], errs[i] = rooms[j], loadErrs[j]
	}
	path := graphql.GetPath(ctx)
	for i, err := range errs {
		if err != nil {
			graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(path), ast.PathIndex(i)), err))
		}
	}
	return out, nil
}
