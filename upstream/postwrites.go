package upstream

import (
	"context"
	"fmt"
	"net/http"

	json "github.com/goccy/go-json"
)

// The writes on posts: create, edit, delete, report, the like and save
// toggles and the record of a view; and the one read-back a toggle has, a
// post's liked state. They need a user token, but for the view.

// The endpoints of this file.
var (
	EndpointCreatePost = Endpoint{Name: "create post", Resource: "post", Method: http.MethodPost,
		Path: "/quran-reflect/v1/posts", MaxBody: maxRoomBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused this reflection: it needs a body of at least 6 characters, " +
			"references to verses that exist, and a visibility the room allows"}
	EndpointUpdatePost = Endpoint{Name: "update post", Resource: "post", Method: http.MethodPatch,
		Path: "/quran-reflect/v1/posts/{id}", MaxBody: maxRoomBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused this edit: a reflection needs a body of at least 6 characters, " +
			"references to verses that exist, and a visibility the room allows"}
	EndpointDeletePost = Endpoint{Name: "delete post", Resource: "post", Method: http.MethodDelete,
		Path: "/quran-reflect/v1/posts/{id}", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to delete this reflection"}
	// EndpointPostLiked is a read: the state a like toggle would change.
	EndpointPostLiked = Endpoint{Name: "post liked", Resource: "post", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/{id}/liked", MaxBody: maxWriteBody, UserOnly: true}
	EndpointLikePost = Endpoint{Name: "like post", Resource: "post", Method: http.MethodPost,
		Path: "/quran-reflect/v1/posts/{id}/toggle-like", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to change whether you like this reflection"}
	EndpointSavePost = Endpoint{Name: "save post", Resource: "post", Method: http.MethodPost,
		Path: "/quran-reflect/v1/posts/{id}/toggle-save", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to change whether you saved this reflection"}
	EndpointReportPost = Endpoint{Name: "report post", Resource: "post", Method: http.MethodPost,
		Path: "/quran-reflect/v1/posts/{id}/report", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused this report: it needs a reason"}
	// EndpointRecordView is production's POST; Config.ViewsByGET sends it as
	// pre-live's GET. The service's own token may record a view.
	EndpointRecordView = Endpoint{Name: "record view", Resource: "post", Method: http.MethodPost,
		Path: "/quran-reflect/v1/posts/viewed/{id}", MaxBody: maxWriteBody, Write: true,
		Refusal: "Quran Reflect refused to record a view of this reflection"}
)

// NewPost is a post to create.
type NewPost struct {
	// Body is the reflection; the upstream wants at least 6 characters.
	Body string
	// References are the passages it is about.
	References []VerseRange
	// RoomID is the room it is shared in; "" for none.
	RoomID string
	// Visibility is who may see it in the room; nil sends none (the
	// upstream's default: public).
	Visibility *Visibility
	// Draft keeps it unpublished.
	Draft bool
}

// wireReference is a passage as a write sends it.
type wireReference struct {
	ChapterID int `json:"chapterId"`
	From      int `json:"from"`
	To        int `json:"to"`
}

func wireReferences(rs []VerseRange) []wireReference {
	out := make([]wireReference, len(rs))
	for i, r := range rs {
		out[i] = wireReference(r)
	}
	return out
}

// wirePostWrite is a CreatePostDto, or an UpdatePostDto, which takes the same
// fields, each optional. The room id is a json.Number: its digits go out as
// they came, never through a float.
type wirePostWrite struct {
	Body           *string          `json:"body,omitempty"`
	Draft          *bool            `json:"draft,omitempty"`
	References     *[]wireReference `json:"references,omitempty"`
	Mentions       *[]struct{}      `json:"mentions,omitempty"`
	RoomPostStatus *int             `json:"roomPostStatus,omitempty"`
	RoomID         json.Number      `json:"roomId,omitempty"`
}

// sentStatus is the roomPostStatus a write sends for v (nil: none), or the
// refusal of an unknown one.
func sentStatus(ep Endpoint, key string, v *Visibility) (*int, error) {
	if v == nil {
		return nil, nil
	}
	n, ok := roomPostStatus(*v)
	if !ok {
		return nil, invalid(ep.Name, key, "unknown visibility")
	}
	return &n, nil
}

// CreatePost creates p as the holder of as and returns the post the upstream
// made. It sends {"post": {body, draft, references, mentions: [],
// roomPostStatus?, roomId?}}. A room id that is not one, or an unknown
// Visibility, is refused with ErrInvalidArgument, without a call; a post the
// upstream refuses (too short a body, a reference to no verse, a visibility
// the room does not allow) is a 400 whose *Error carries the endpoint's
// Refusal.
func (c *Client) CreatePost(ctx context.Context, p NewPost, as UserToken) (*Post, error) {
	ep := EndpointCreatePost
	w := wirePostWrite{Body: &p.Body, Draft: &p.Draft, Mentions: &[]struct{}{}}
	refs := wireReferences(p.References)
	w.References = &refs
	if p.RoomID != "" {
		id, ok := CanonicalRoomID(p.RoomID)
		if !ok {
			return nil, invalid(ep.Name, "", "not a room id")
		}
		w.RoomID = json.Number(id)
	}
	status, err := sentStatus(ep, "", p.Visibility)
	if err != nil {
		return nil, err
	}
	w.RoomPostStatus = status
	body := struct {
		Post wirePostWrite `json:"post"`
	}{w}
	return write(ctx, c, ep, as, "", request{body: body}, decodeWrittenPost)
}

// PostEdit is a change to a post: each field that is nil stays as it is.
type PostEdit struct {
	Body *string
	// References replaces the post's passages; nil leaves them, an empty
	// (non-nil) slice removes them all.
	References []VerseRange
	Visibility *Visibility
	Draft      *bool
}

// UpdatePost changes post id as e says, as the holder of as, and returns the
// post as it now is. It sends an UpdatePostDto with only the fields e sets,
// not wrapped in "post". An id that is not a post id, or an unknown
// Visibility, is refused with ErrInvalidArgument, without a call; not being
// the author is a 403.
func (c *Client) UpdatePost(ctx context.Context, id string, e PostEdit, as UserToken) (*Post, error) {
	ep := EndpointUpdatePost
	id, ok := CanonicalPostID(id)
	if !ok {
		return nil, invalid(ep.Name, "", "not a post id")
	}
	w := wirePostWrite{Body: e.Body, Draft: e.Draft}
	if e.References != nil {
		refs := wireReferences(e.References)
		w.References = &refs
	}
	status, err := sentStatus(ep, id, e.Visibility)
	if err != nil {
		return nil, err
	}
	w.RoomPostStatus = status
	return write(ctx, c, ep, as, id, request{args: []string{id}, body: w},
		about(decodeWrittenPost, id, func(p *Post) string { return p.ID }))
}

// decodeWrittenPost reads a PostCreatedResponse: the post under "post"
// (production) or "data" (pre-live), beside success.
func decodeWrittenPost(body []byte, warn func(string, ...any)) (*Post, error) {
	var w struct {
		Post    json.RawMessage `json:"post"`
		Data    json.RawMessage `json:"data"`
		Success *bool           `json:"success"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := succeeded(w.Success); err != nil {
		return nil, err
	}
	raw := w.Post
	if isNull(raw) {
		raw = w.Data
	}
	if isNull(raw) {
		return nil, fmt.Errorf("%w: %w: post (or data)", ErrMalformed, errMissing)
	}
	p, err := decodePost(raw, warn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &p, nil
}

// succeeded reads a write's success: false is an answer that contradicts its
// status, malformed; absent is the status's word, success.
func succeeded(success *bool) error {
	if success != nil && !*success {
		return fmt.Errorf("%w: the answer says the write did not succeed", ErrMalformed)
	}
	return nil
}

// DeletePost deletes post id as the holder of as. The upstream accepts it and
// queues it: counts (likes, comments, saves) elsewhere change later. Not being
// the author is a 403, a post already gone a 404.
func (c *Client) DeletePost(ctx context.Context, id string, as UserToken) error {
	_, err := c.postWrite(ctx, EndpointDeletePost, id, nil, as, successAnswer)
	return err
}

// PostLiked reports whether the holder of as (a user token) likes post id:
// the read that lets a caller toggle a like only when it differs.
func (c *Client) PostLiked(ctx context.Context, id string, as UserToken) (bool, error) {
	ep := EndpointPostLiked
	id, ok := CanonicalPostID(id)
	if !ok {
		return false, invalid(ep.Name, "", "not a post id")
	}
	return fetch(ctx, c, ep, as, id, inPath(id), stateAnswer("liked"))
}

// TogglePostLike likes post id as the holder of as if they did not, or takes
// the like back if they did, and returns the new state. A toggle cannot ask
// for a state: a caller that wants one reads PostLiked first, and never sends
// a toggle twice.
func (c *Client) TogglePostLike(ctx context.Context, id string, as UserToken) (bool, error) {
	return c.postWrite(ctx, EndpointLikePost, id, nil, as, stateAnswer("liked"))
}

// TogglePostSave saves post id for the holder of as, or unsaves it, and
// returns the new state, as TogglePostLike does (the state to read first is
// the post's isSaved).
func (c *Client) TogglePostSave(ctx context.Context, id string, as UserToken) (bool, error) {
	return c.postWrite(ctx, EndpointSavePost, id, nil, as, stateAnswer("saved"))
}

// ReportPost reports post id to the moderators as the holder of as: reason is
// the abuse ("spam", say), comment what the reporter adds ("" for nothing).
// It returns what the upstream says of the report (reported).
func (c *Client) ReportPost(ctx context.Context, id, reason, comment string, as UserToken) (bool, error) {
	body := struct {
		Report struct {
			Abuse    string `json:"abuse"`
			Comments string `json:"comments"`
		} `json:"report"`
	}{}
	body.Report.Abuse, body.Report.Comments = reason, comment
	return c.postWrite(ctx, EndpointReportPost, id, body, as, stateAnswer("reported"))
}

// RecordPostView tells the upstream that post id was viewed: by the holder of
// as, or with the service's own token when as is empty. It is a POST, or a GET
// when Config.ViewsByGET is set.
func (c *Client) RecordPostView(ctx context.Context, id string, as UserToken) error {
	ep := EndpointRecordView
	if c.cfg.ViewsByGET {
		ep.Method = http.MethodGet
	}
	_, err := c.postWrite(ctx, ep, id, nil, as, successAnswer)
	return err
}

// postWrite calls the write ep about post id, with body (nil for none), and
// reads its answer with decode.
func (c *Client) postWrite(ctx context.Context, ep Endpoint, id string, body any, as UserToken,
	decode func([]byte, func(string, ...any)) (bool, error)) (bool, error) {
	id, ok := CanonicalPostID(id)
	if !ok {
		return false, invalid(ep.Name, "", "not a post id")
	}
	return write(ctx, c, ep, as, id, request{args: []string{id}, body: body}, decode)
}

// stateAnswer decodes an answer that is one required boolean, {field: bool}:
// a state (liked, saved) or what the upstream says it did (reported, removed).
func stateAnswer(field string) func([]byte, func(string, ...any)) (bool, error) {
	return func(body []byte, _ func(string, ...any)) (bool, error) {
		var w map[string]json.RawMessage
		if err := json.Unmarshal(body, &w); err != nil {
			return false, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		var v *bool
		if raw, ok := w[field]; ok {
			if err := json.Unmarshal(raw, &v); err != nil {
				return false, fmt.Errorf("%w: %s is not a boolean", ErrMalformed, field)
			}
		}
		if v == nil {
			return false, fmt.Errorf("%w: %w: %s", ErrMalformed, errMissing, field)
		}
		return *v, nil
	}
}

// successAnswer decodes {success}, as succeeded reads it.
func successAnswer(body []byte, _ func(string, ...any)) (bool, error) {
	var w struct {
		Success *bool `json:"success"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return true, succeeded(w.Success)
}
