package graph

import (
	"context"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// comments is everything the comments domain owns: a post's comments, a page
// at a time. No root field looks comments up yet.
type comments struct {
	ofPost *loader.Kind[upstream.CommentsQuery, *upstream.Page[upstream.Comment]]
}

func newComments(d Deps) *comments {
	return &comments{ofPost: loader.Declare(upstream.EndpointComments, d.Upstream.PostComments)}
}

func (*comments) lookups() []guard.Lookup { return nil }
func (*comments) plans() []loader.Plan    { return nil }

func (r *Resolver) postComments(ctx context.Context, p *upstream.Post, a paging.Args) (*model.CommentConnection, error) {
	res, info, err := window(ctx, r.comments.ofPost, upstream.CommentsQuery{PostID: p.ID}, a)
	if err != nil {
		return nil, err
	}
	return commentConnection(res, info), nil
}
