package upstream

import (
	"context"
	"fmt"
	"net/http"

	json "github.com/goccy/go-json"
)

// The writes on comments: create (a reply is a comment with a parent), edit,
// delete and the like toggle. They need a user token.

// The endpoints of this file.
var (
	// A comment's creation is about its post: a 404 is the post (or the
	// parent comment) gone, read as "post not found".
	EndpointCreateComment = Endpoint{Name: "create comment", Resource: "post", Method: http.MethodPost,
		Path: "/quran-reflect/v1/comments", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused this comment: it needs a body of 1 to 8000 characters, on a reflection that exists"}
	EndpointEditComment = Endpoint{Name: "edit comment", Resource: "comment", Method: http.MethodPatch,
		Path: "/quran-reflect/v1/comments/{id}", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused this edit: a comment needs a body of 1 to 8000 characters"}
	// EndpointDeleteComment is a GET that deletes: a Write all the same, so
	// it is never tried again after a 502, a 504 or a timeout.
	EndpointDeleteComment = Endpoint{Name: "delete comment", Resource: "comment", Method: http.MethodGet,
		Path: "/quran-reflect/v1/comments/{id}/delete", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to delete this comment: you are not allowed to delete it"}
	EndpointLikeComment = Endpoint{Name: "like comment", Resource: "comment", Method: http.MethodPost,
		Path: "/quran-reflect/v1/comments/{id}/toggle-like", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to change whether you like this comment"}
)

// NewComment is a comment to create: on post PostID, or, with ParentID, a
// reply to that comment.
type NewComment struct {
	PostID, Body string
	// ParentID is the comment replied to; "" for a top-level comment.
	ParentID string
	// IsPrivate shows the comment to the post's author only.
	IsPrivate bool
}

// CreateComment creates n as the holder of as and returns the comment the
// upstream made. It sends {"comment": {body, postId, isPrivate, parentId?}},
// the ids as JSON numbers; a post or parent id that is not one is refused with
// ErrInvalidArgument, without a call. A post or parent that is gone is a 404.
func (c *Client) CreateComment(ctx context.Context, n NewComment, as UserToken) (*Comment, error) {
	ep := EndpointCreateComment
	postID, ok := CanonicalPostID(n.PostID)
	if !ok {
		return nil, invalid(ep.Name, "", "not a post id")
	}
	var w struct {
		Comment struct {
			Body      string      `json:"body"`
			PostID    json.Number `json:"postId"`
			IsPrivate bool        `json:"isPrivate"`
			ParentID  json.Number `json:"parentId,omitempty"`
		} `json:"comment"`
	}
	w.Comment.Body, w.Comment.PostID, w.Comment.IsPrivate = n.Body, json.Number(postID), n.IsPrivate
	if n.ParentID != "" {
		parent, ok := CanonicalCommentID(n.ParentID)
		if !ok {
			return nil, invalid(ep.Name, postID, "not a comment id")
		}
		w.Comment.ParentID = json.Number(parent)
	}
	return write(ctx, c, ep, as, postID, request{body: w}, func(body []byte, warn func(string, ...any)) (*Comment, error) {
		return decodeWrittenComment(body, postID, warn)
	})
}

// EditComment replaces the body of comment id, as the holder of as, and
// returns the comment as it now is. Its answer holds the comment under
// "data" ("comment" is read too).
func (c *Client) EditComment(ctx context.Context, id, body string, as UserToken) (*Comment, error) {
	ep := EndpointEditComment
	id, ok := CanonicalCommentID(id)
	if !ok {
		return nil, invalid(ep.Name, "", "not a comment id")
	}
	var w struct {
		Comment struct {
			Body string `json:"body"`
		} `json:"comment"`
	}
	w.Comment.Body = body
	return write(ctx, c, ep, as, id, request{args: []string{id}, body: w},
		about(func(body []byte, warn func(string, ...any)) (*Comment, error) {
			return decodeWrittenComment(body, "", warn)
		}, id, func(c *Comment) string { return c.ID }))
}

// decodeWrittenComment reads the answer of a comment write: the comment under
// "comment" (create) or "data" (edit), beside success.
func decodeWrittenComment(body []byte, postID string, warn func(string, ...any)) (*Comment, error) {
	var w struct {
		Comment json.RawMessage `json:"comment"`
		Data    json.RawMessage `json:"data"`
		Success *bool           `json:"success"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := succeeded(w.Success); err != nil {
		return nil, err
	}
	raw := w.Comment
	if isNull(raw) {
		raw = w.Data
	}
	if isNull(raw) {
		return nil, fmt.Errorf("%w: %w: comment (or data)", ErrMalformed, errMissing)
	}
	cm, err := decodeComment(raw, postID, warn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &cm, nil
}

// DeleteComment deletes comment id, and its direct replies, as the holder of
// as. The upstream does it with a GET; it is a write all the same, tried once
// unless certainly not run. Not being allowed is a 400 (not a 403), a comment
// already gone a 404; an answer saying nothing was removed is malformed.
func (c *Client) DeleteComment(ctx context.Context, id string, as UserToken) error {
	ep := EndpointDeleteComment
	id, ok := CanonicalCommentID(id)
	if !ok {
		return invalid(ep.Name, "", "not a comment id")
	}
	_, err := write(ctx, c, ep, as, id, inPath(id), func(body []byte, warn func(string, ...any)) (struct{}, error) {
		removed, err := stateAnswer("removed")(body, warn)
		if err == nil && !removed {
			err = fmt.Errorf("%w: the answer says nothing was removed", ErrMalformed)
		}
		return struct{}{}, err
	})
	return err
}

// ToggleCommentLike likes comment id as the holder of as if they did not, or
// takes the like back, and returns the new state. No read tells the state
// first (a comment has no isLiked): never send it twice for one intent.
func (c *Client) ToggleCommentLike(ctx context.Context, id string, as UserToken) (bool, error) {
	ep := EndpointLikeComment
	id, ok := CanonicalCommentID(id)
	if !ok {
		return false, invalid(ep.Name, "", "not a comment id")
	}
	return write(ctx, c, ep, as, id, inPath(id), stateAnswer("liked"))
}
