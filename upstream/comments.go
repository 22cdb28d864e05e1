package upstream

import (
	"context"
	"net/http"
	"time"

	json "github.com/goccy/go-json"
)

// The comments of a post. They share the decoding of their dates and authors
// with posts (posts.go).

// The comment reads.
var (
	// EndpointComments is the top-level comments of a post.
	EndpointComments = Endpoint{Name: "comments", Resource: "post", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/{id}/comments", MaxBody: maxListBody, MaxLimit: 20}
	// EndpointReplies is the replies to a comment.
	EndpointReplies = Endpoint{Name: "replies", Resource: "comment", Method: http.MethodGet,
		Path: "/quran-reflect/v1/comments/{id}/replies", MaxBody: maxListBody, MaxLimit: 20}
)

// Comment is a comment on a post. ParentID is nil for a top-level comment.
type Comment struct {
	ID, PostID, AuthorID string
	ParentID             *string
	IsPrivate            bool
	Body                 string
	CreatedAt, UpdatedAt time.Time
	Author               *Author
	RepliesCount         *int
	LikesCount           *int
	IsEdited             *bool // sent by pre-live only
}

// CommentsQuery asks for one page of a post's top-level comments.
type CommentsQuery struct {
	PostID string
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q CommentsQuery) AtPage(page, limit int) CommentsQuery { q.Page, q.Limit = page, limit; return q }

// PostComments fetches one page of the top-level comments of post q.PostID (at
// most EndpointComments.MaxLimit).
func (c *Client) PostComments(ctx context.Context, q CommentsQuery, as UserToken) (*Page[Comment], error) {
	id, ok := CanonicalPostID(q.PostID)
	if !ok {
		return nil, invalid(EndpointComments.Name, "", "not a post id")
	}
	rq, err := listRequest(EndpointComments, id, q.ListQuery, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, EndpointComments, as, id, rq, q.ListQuery, "comments",
		func(raw []byte, warn func(string, ...any)) (Comment, error) { return decodeComment(raw, id, warn) })
}

// RepliesQuery asks for one page of the replies to a comment.
type RepliesQuery struct {
	CommentID string
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q RepliesQuery) AtPage(page, limit int) RepliesQuery { q.Page, q.Limit = page, limit; return q }

// CommentReplies fetches one page of the replies to comment q.CommentID (at
// most EndpointReplies.MaxLimit). The answer's items sit under "replies"
// (beside the parent comment, which is not read).
func (c *Client) CommentReplies(ctx context.Context, q RepliesQuery, as UserToken) (*Page[Comment], error) {
	id, ok := CanonicalCommentID(q.CommentID)
	if !ok {
		return nil, invalid(EndpointReplies.Name, "", "not a comment id")
	}
	rq, err := listRequest(EndpointReplies, id, q.ListQuery, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, EndpointReplies, as, id, rq, q.ListQuery, "replies",
		func(raw []byte, warn func(string, ...any)) (Comment, error) { return decodeComment(raw, "", warn) })
}

// wireComment is a Comment as the upstream sends it.
type wireComment struct {
	ID           json.RawMessage `json:"id"`
	PostID       json.RawMessage `json:"postId"`
	AuthorID     *string         `json:"authorId"`
	ParentID     json.RawMessage `json:"parentId"`
	IsPrivate    *bool           `json:"isPrivate"`
	Body         *string         `json:"body"`
	CreatedAt    *string         `json:"createdAt"`
	UpdatedAt    *string         `json:"updatedAt"`
	Author       json.RawMessage `json:"author"`
	RepliesCount *int            `json:"repliesCount"`
	LikesCount   *int            `json:"likesCount"`
	IsEdited     *bool           `json:"isEdited"`
}

// decodeComment reads a comment of post postID (its PostID when it names none;
// postID "" when the caller does not know the post).
// Like a post, it fails only without an id or a readable date.
func decodeComment(raw []byte, postID string, warn func(msg string, args ...any)) (Comment, error) {
	var w wireComment
	if err := json.Unmarshal(raw, &w); err != nil {
		return Comment{}, err
	}
	id, err := requiredID(w.ID)
	if err != nil {
		return Comment{}, err
	}
	created, updated, err := dates(w.CreatedAt, w.UpdatedAt, warn)
	if err != nil {
		return Comment{}, err
	}
	c := Comment{
		ID:           id,
		PostID:       postID,
		IsPrivate:    orDefault(w.IsPrivate, false),
		Body:         orDefault(w.Body, ""),
		CreatedAt:    created,
		UpdatedAt:    updated,
		Author:       optional(w.Author, "author", warn, parseAuthor),
		RepliesCount: w.RepliesCount,
		LikesCount:   w.LikesCount,
		IsEdited:     w.IsEdited,
	}
	c.AuthorID = authorID(w.AuthorID, c.Author, warn)
	if p, err := numericID(w.PostID); err != nil {
		warn("unreadable postId; serving the post asked for", "err", err)
	} else if p != "" {
		c.PostID = p
	}
	if p, err := numericID(w.ParentID); err != nil {
		warn("unreadable parentId; serving null", "err", err)
	} else if p != "" {
		c.ParentID = &p
	}
	return c, nil
}
