package graph

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// comments is everything the comments domain owns: a post's comments and a
// comment's replies, a page at a time, the comments the operation has seen
// (the upstream reads no comment by id), and the comment writes. No root
// field looks comments up.
type comments struct {
	ofPost  *loader.Kind[upstream.CommentsQuery, *upstream.Page[upstream.Comment]]
	replies *loader.Kind[upstream.RepliesQuery, *upstream.Page[upstream.Comment]]
	// seen are the comments this operation read, in lists or payloads.
	seen *loader.Memo[string, *upstream.Comment]
}

func newComments(d Deps) *comments {
	return &comments{
		ofPost:  loader.Declare(upstream.EndpointComments, d.Upstream.PostComments).ShareBy(d.sharing(upstream.EndpointComments), "v1", nil),
		replies: loader.Declare(upstream.EndpointReplies, d.Upstream.CommentReplies).ShareBy(d.sharing(upstream.EndpointReplies), "v1", nil),
		seen:    loader.NewMemo[string, *upstream.Comment](),
	}
}

func (*comments) lookups() []guard.Lookup { return nil }
func (*comments) plans() []loader.Plan    { return nil }

func commentKey(c *upstream.Comment) string { return c.ID }

func (r *Resolver) postComments(ctx context.Context, p *upstream.Post, a paging.Args) (*model.CommentConnection, error) {
	return commentList(ctx, r, r.comments.ofPost, upstream.CommentsQuery{PostID: p.ID}, a)
}

func (r *Resolver) commentReplies(ctx context.Context, c *upstream.Comment, a paging.Args) (*model.CommentConnection, error) {
	return commentList(ctx, r, r.comments.replies, upstream.RepliesQuery{CommentID: c.ID}, a)
}

func commentList[Q pageQuery[Q]](ctx context.Context, r *Resolver, k *loader.Kind[Q, *upstream.Page[upstream.Comment]], q Q, a paging.Args) (*model.CommentConnection, error) {
	res, info, err := window(ctx, k, q, a)
	if err != nil {
		return nil, err
	}
	seed(ctx, r.comments.seen, res.Items, commentKey)
	return commentConnection(res, info), nil
}

// commentPost is the post a comment is on, through the post loader.
func (r *Resolver) commentPost(ctx context.Context, c *upstream.Comment) (*upstream.Post, error) {
	if c.PostID == "" {
		return nil, nil
	}
	return r.posts.byID.Load(ctx, c.PostID)
}

// maxCommentBody is the longest comment the upstream takes.
const maxCommentBody = 8000

// commentID checks a comment id from the caller: decimal digits, as a post's.
func commentID(raw string) (string, error) {
	id, ok := upstream.CanonicalCommentID(raw)
	if !ok {
		return "", errcode.Inputf("invalid comment id: an id is a decimal integer from 1 to %s, digits only", upstream.MaxNumericID)
	}
	return id, nil
}

func checkCommentBody(body string) error {
	switch n := utf8.RuneCountInString(body); {
	case strings.TrimSpace(body) == "":
		return errcode.Inputf("a comment needs some text")
	case n > maxCommentBody:
		return errcode.Inputf("a comment is at most %d characters, not %d", maxCommentBody, n)
	}
	return nil
}

// commentWritten drops what a comment write on post postID made stale: its
// comments and replies, the post (its commentsCount) and every list of posts
// (the counts they carry).
func (r *Resolver) commentWritten(ctx context.Context, postID string) {
	r.comments.ofPost.ForgetAll(ctx)
	r.comments.replies.ForgetAll(ctx)
	r.comments.seen.ForgetAll(ctx)
	if postID != "" {
		r.posts.byID.Forget(ctx, postID)
	} else {
		r.posts.byID.ForgetAll(ctx)
	}
	for _, s := range r.postLists() {
		s.ForgetAll(ctx)
	}
}

func (r *Resolver) createComment(ctx context.Context, in model.CreateCommentInput) (*model.CommentPayload, error) {
	if viewer.From(ctx).Anonymous() {
		return nil, errSignInToWrite
	}
	post, err := postID(in.PostID)
	if err != nil {
		return nil, err
	}
	if err := checkCommentBody(in.Body); err != nil {
		return nil, err
	}
	nc := upstream.NewComment{PostID: post, Body: in.Body, IsPrivate: deref(in.IsPrivate)}
	if in.ParentID != nil {
		if nc.ParentID, err = commentID(*in.ParentID); err != nil {
			return nil, err
		}
	}
	var c *upstream.Comment
	err = loader.Write(ctx, upstream.EndpointCreateComment, func(ctx context.Context, as upstream.UserToken) error {
		var err error
		c, err = r.up.CreateComment(ctx, nc, as)
		return err
	})
	if errors.Is(err, upstream.ErrNotFound) && nc.ParentID != "" {
		// The upstream answers 404 for a missing post and a missing parent alike.
		return nil, &errcode.LimitedError{Code: errcode.NotFound, Msg: "the post, or the comment replied to on it, was not found"}
	}
	if err != nil {
		return nil, err
	}
	r.commentWritten(ctx, post)
	r.comments.seen.Seed(ctx, c.ID, c)
	return &model.CommentPayload{Comment: c}, nil
}

func (r *Resolver) editComment(ctx context.Context, raw, body string) (*model.CommentPayload, error) {
	if viewer.From(ctx).Anonymous() {
		return nil, errSignInToWrite
	}
	id, err := commentID(raw)
	if err != nil {
		return nil, err
	}
	if err := checkCommentBody(body); err != nil {
		return nil, err
	}
	var c *upstream.Comment
	err = loader.Write(ctx, upstream.EndpointEditComment, func(ctx context.Context, as upstream.UserToken) error {
		var err error
		c, err = r.up.EditComment(ctx, id, body, as)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.commentWritten(ctx, c.PostID)
	r.comments.seen.Seed(ctx, c.ID, c)
	return &model.CommentPayload{Comment: c}, nil
}

// deleteComment deletes a comment: upstream a GET, which the service never
// retries, prefetches or runs from a GET request (it is a mutation).
func (r *Resolver) deleteComment(ctx context.Context, raw string) (*model.DeletePayload, error) {
	if viewer.From(ctx).Anonymous() {
		return nil, errSignInToWrite
	}
	id, err := commentID(raw)
	if err != nil {
		return nil, err
	}
	post := ""
	if c, ok := r.comments.seen.Peek(ctx, id); ok {
		post = c.PostID
	}
	if err := upstreamWrite(upstream.EndpointDeleteComment, r.up.DeleteComment)(ctx, id); err != nil {
		return nil, err
	}
	r.commentWritten(ctx, post)
	return &model.DeletePayload{DeletedID: id}, nil
}

func (r *Resolver) toggleCommentLike(ctx context.Context, raw string) (*model.CommentLikePayload, error) {
	if viewer.From(ctx).Anonymous() {
		return nil, errSignInToWrite
	}
	id, err := commentID(raw)
	if err != nil {
		return nil, err
	}
	seen, _ := r.comments.seen.Peek(ctx, id)
	var liked bool
	err = loader.Write(ctx, upstream.EndpointLikeComment, func(ctx context.Context, as upstream.UserToken) error {
		var err error
		liked, err = r.up.ToggleCommentLike(ctx, id, as)
		return err
	})
	if err != nil {
		return nil, err
	}
	post := ""
	if seen != nil {
		post = seen.PostID
	}
	r.commentWritten(ctx, post)
	return &model.CommentLikePayload{Liked: liked, Comment: seen}, nil
}
