package graph

import (
	"context"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// roomID checks a room id from the caller and returns it in canonical form.
func roomID(raw string) (string, error) {
	id, ok := upstream.CanonicalRoomID(raw)
	if !ok {
		shown := raw
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return "", &inputError{msg: fmt.Sprintf("invalid room id %q: an id is a decimal integer from 1 to %s, digits only", shown, upstream.MaxRoomID)}
	}
	return id, nil
}

// loadRoom looks up one room through the operation's loader.
func loadRoom(ctx context.Context, raw string) (*upstream.Room, error) {
	id, err := roomID(raw)
	if err != nil {
		return nil, err
	}
	return loadersFor(ctx).rooms.Load(ctx, id)()
}

// loadRooms looks up rooms in the order of raw. A failed item is nil and its
// error is reported at the item's own path, so the other items are still served.
func loadRooms(ctx context.Context, raw []string) ([]*upstream.Room, error) {
	if raw == nil {
		// [ID!]! cannot be null, but gqlgen lets an explicit null through when it
		// comes from a variable that has a default.
		return nil, &inputError{msg: "ids must be a list of room ids, not null"}
	}
	l := loadersFor(ctx)
	thunks := make([]dataloader.Thunk[*upstream.Room], len(raw))
	errs := make([]error, len(raw))
	for i, r := range raw {
		id, err := roomID(r)
		if err != nil {
			errs[i] = err
			continue
		}
		thunks[i] = l.rooms.Load(ctx, id)
	}
	out := make([]*upstream.Room, len(raw))
	path := graphql.GetPath(ctx)
	for i := range raw {
		if thunks[i] != nil {
			out[i], errs[i] = thunks[i]()
		}
		if errs[i] != nil {
			graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(path), ast.PathIndex(i)), errs[i]))
		}
	}
	return out, nil
}
