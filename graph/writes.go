package graph

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// errSignInToWrite refuses a write from a caller without a user token, before
// any upstream call.
var errSignInToWrite = &errcode.LimitedError{Code: errcode.Unauthenticated,
	Msg: "sign-in required: writes are made as the signed-in user; send their access token as \"Authorization: Bearer <token>\""}

// writeOf is what a domain declares of one kind of write: the item it changes
// and how the caller names it, and the lists it makes stale. Each mutation then
// states only its upstream call (see mutate).
type writeOf[V any] struct {
	// id checks the caller's id and returns it in canonical form.
	id func(raw string) (string, error)
	// item is the loader of what the write changes: its key is forgotten (in
	// the operation and the viewer's shared copies) and read again after it.
	item *loader.Kind[string, V]
	// field is the payload's field that holds the item, where a failed read
	// after the write is reported.
	field string
	// stale are the lists the write may change: every page of each is
	// forgotten, so that the payload's nested lists are read again.
	stale []loader.Stale
}

// mutate runs one write for a signed-in viewer: it checks the caller and the
// id (no upstream call for either), runs call, drops what the write made stale,
// then reads the item as it is after the write. call makes its upstream calls
// through the loader policy (the caller's budget, MAX_UPSTREAM_CALLS, the
// refused-token charge), one loader.Write each: a write that reads the state
// before it toggles makes two, and both count (upstreamWrite is the usual one).
// A failed read is a null item with its error at the payload's field; a failed
// write is the mutation's error.
//
// wanted, when not nil, says whether the item is in the state the write asks
// for. An upstream that refuses the write (a 400, 403 or 409: "already
// following", in whatever words) is then asked for the item's state, and the
// write is a success when the item is already so: the refusal's wording
// decides nothing.
func mutate[V any](ctx context.Context, w writeOf[V], raw string, call func(ctx context.Context, id string) error, wanted func(V) bool) (V, error) {
	var zero V
	id, err := w.begin(ctx, raw)
	if err != nil {
		return zero, err
	}
	if err := call(ctx, id); err != nil {
		if wanted == nil || !refusal(err) {
			return zero, err
		}
		w.forget(ctx, id)
		if v, rerr := w.item.Load(ctx, id); rerr == nil && wanted(v) {
			return v, nil
		}
		return zero, err
	}
	return w.reread(ctx, id), nil
}

// begin checks the caller (a signed-in user) and the item's id, with no call.
func (w writeOf[V]) begin(ctx context.Context, raw string) (string, error) {
	if viewer.From(ctx).Anonymous() {
		return "", errSignInToWrite
	}
	return w.id(raw)
}

// forget drops the item id and every list the write made stale.
func (w writeOf[V]) forget(ctx context.Context, id string) {
	w.item.Forget(ctx, id)
	for _, s := range w.stale {
		s.ForgetAll(ctx)
	}
}

// reread forgets what the write made stale and reads the item again; a failed
// read is a null item with its error at the payload's field.
func (w writeOf[V]) reread(ctx context.Context, id string) V {
	w.forget(ctx, id)
	v, err := w.item.Load(ctx, id)
	if err != nil {
		payloadError(ctx, w.field, err)
	}
	return v
}

// payloadError reports err at the field of the mutation's payload.
func payloadError(ctx context.Context, field string, err error) {
	graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(graphql.GetPath(ctx)), ast.PathName(field)), err))
}

// refusal reports whether err is the upstream refusing a write as it stands
// (400, 403 or 409), which may mean that it is already done.
func refusal(err error) bool {
	var se *upstream.StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusConflict:
		return true
	}
	return false
}

// upstreamWrite is a mutation's call that is one upstream write of ep.
func upstreamWrite(ep upstream.Endpoint, write func(ctx context.Context, id string, as upstream.UserToken) error) func(context.Context, string) error {
	return func(ctx context.Context, id string) error {
		return loader.Write(ctx, ep, func(ctx context.Context, as upstream.UserToken) error { return write(ctx, id, as) })
	}
}
