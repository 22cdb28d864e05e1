package graph

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The post writes. The upstream's likes and saves are blind toggles, which a
// retried request would undo: setPostLiked and setPostSaved read the state
// first and toggle only when it differs, and check what the toggle answers.
// Creating a post cannot be made safe by reading first: the Idempotency-Key
// header does that (graph/idempotency).

// minPostBody is the shortest body the upstream takes.
const minPostBody = 6

// maxPostReferences is the most verse ranges one post refers to.
const maxPostReferences = 20

// postWrite is what every write of one post changes: the post (and whether
// the viewer likes it), every list of posts, and the profile of the viewer
// (their postsCount).
func (r *Resolver) postWrite() writeOf[*upstream.Post] {
	stale := append(r.postLists(), r.posts.liked, r.users.me, r.rooms.listed)
	if r.verses.counts != nil {
		stale = append(stale, r.verses.counts) // a post's references count for their verses
	}
	return writeOf[*upstream.Post]{id: postID, item: r.posts.byID, field: "post", stale: stale}
}

// checkBody refuses a post's body the upstream would refuse, with no call.
func checkBody(body string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(body)); n < minPostBody {
		return errcode.Inputf("a reflection needs at least %d characters, not %d", minPostBody, n)
	}
	return nil
}

func (r *Resolver) createPost(ctx context.Context, in model.CreatePostInput) (*model.PostPayload, error) {
	if viewer.From(ctx).Anonymous() {
		return nil, errSignInToWrite
	}
	if err := checkBody(in.Body); err != nil {
		return nil, err
	}
	if len(in.References) == 0 {
		return nil, errcode.Inputf("a reflection refers to at least one verse: give references")
	}
	refs, err := verseRanges(in.References, "input.references", maxPostReferences)
	if err != nil {
		return nil, err
	}
	np := upstream.NewPost{Body: in.Body, References: refs, Visibility: in.Visibility, Draft: deref(in.Draft)}
	if in.RoomID != nil {
		if np.RoomID, err = roomID(*in.RoomID); err != nil {
			return nil, err
		}
	}
	if np.RoomID == "" && deref(in.Visibility) == upstream.VisibilityMembersOnly {
		// Outside a room the upstream makes every post public: refuse rather
		// than publish what was meant for a room's members.
		return nil, errcode.Inputf("visibility MEMBERS_ONLY needs a roomId: a post in no room is public")
	}
	var created *upstream.Post
	err = loader.Write(ctx, upstream.EndpointCreatePost, func(ctx context.Context, as upstream.UserToken) error {
		var err error
		created, err = r.up.CreatePost(ctx, np, as)
		return err
	})
	if err != nil {
		return nil, err
	}
	w := r.postWrite()
	w.forget(ctx, created.ID)
	if np.RoomID != "" {
		r.rooms.byID.Forget(ctx, np.RoomID) // its postsCount
	}
	r.forgetAuthor(ctx, created.AuthorID)
	r.posts.byID.Seed(ctx, created.ID, created)
	return &model.PostPayload{Post: created}, nil
}

func (r *Resolver) updatePost(ctx context.Context, raw string, in model.UpdatePostInput) (*model.PostPayload, error) {
	e := upstream.PostEdit{Body: in.Body, Visibility: in.Visibility, Draft: in.Draft}
	if in.Body != nil {
		if err := checkBody(*in.Body); err != nil {
			return nil, err
		}
	}
	if in.References != nil {
		if len(in.References) == 0 {
			return nil, errcode.Inputf("a reflection refers to at least one verse: give references, or leave them out to keep them")
		}
		refs, err := verseRanges(in.References, "input.references", maxPostReferences)
		if err != nil {
			return nil, err
		}
		e.References = refs
	}
	p, err := mutate(ctx, r.postWrite(), raw, upstreamWrite(upstream.EndpointUpdatePost, func(ctx context.Context, id string, as upstream.UserToken) error {
		_, err := r.up.UpdatePost(ctx, id, e, as)
		return err
	}), nil)
	if err != nil {
		return nil, err
	}
	r.forgetAround(ctx, p)
	return &model.PostPayload{Post: p}, nil
}

// forgetAround drops what a write of post p changed beside the post: its
// room (postsCount) and its author's profile (postsCount, likesCount). With p
// unknown, every room and profile the operation and the viewer's shared
// copies hold.
func (r *Resolver) forgetAround(ctx context.Context, p *upstream.Post) {
	if p == nil {
		r.rooms.byID.ForgetAll(ctx)
		r.users.byID.ForgetAll(ctx)
		r.users.byUsername.ForgetAll(ctx)
		return
	}
	if p.RoomID != "" {
		r.rooms.byID.Forget(ctx, p.RoomID)
	}
	if p.AuthorID != "" {
		r.forgetAuthor(ctx, p.AuthorID)
	}
}

// forgetAuthor drops the profile of a post's author (postsCount,
// likesCount): by id, and by username, which a write does not know, so every
// profile by username.
func (r *Resolver) forgetAuthor(ctx context.Context, id string) {
	r.users.byID.Forget(ctx, id)
	r.users.byUsername.ForgetAll(ctx)
}

func (r *Resolver) deletePost(ctx context.Context, raw string) (*model.DeletePayload, error) {
	w := r.postWrite()
	id, err := w.begin(ctx, raw)
	if err != nil {
		return nil, err
	}
	known, wasKnown := r.posts.byID.Peek(ctx, id)
	if err := upstreamWrite(upstream.EndpointDeletePost, r.up.DeletePost)(ctx, id); err != nil {
		return nil, err
	}
	w.forget(ctx, id)
	if !wasKnown {
		known = nil
	}
	r.forgetAround(ctx, known)
	return &model.DeletePayload{DeletedID: id}, nil
}

// setPostState brings one of the viewer's toggles on a post (a like, a save)
// to want: it reads the state with read, toggles only when it differs, and
// checks the toggle's answer. A toggle that answers the other state (another
// device toggled in between) is not repeated: the payload is the post as it
// is now, with a CONFLICT error.
func (r *Resolver) setPostState(ctx context.Context, raw string, want bool, what string,
	read func(ctx context.Context, id string) (bool, error), toggle upstream.Endpoint,
	call func(ctx context.Context, id string, as upstream.UserToken) (bool, error)) (*model.PostPayload, error) {
	w := r.postWrite()
	id, err := w.begin(ctx, raw)
	if err != nil {
		return nil, err
	}
	now, err := read(ctx, id)
	if err != nil {
		return nil, err
	}
	if now == want {
		// Nothing to change: the post as read (a like's read is its own call).
		p, err := r.posts.byID.Load(ctx, id)
		if err != nil {
			payloadError(ctx, w.field, err)
		}
		return &model.PostPayload{Post: p}, nil
	}
	var after bool
	err = loader.Write(ctx, toggle, func(ctx context.Context, as upstream.UserToken) error {
		var err error
		after, err = call(ctx, id, as)
		return err
	})
	if err != nil {
		return nil, err
	}
	p := w.reread(ctx, id)
	r.forgetAround(ctx, p)
	if after != want {
		payloadError(ctx, w.field, &errcode.LimitedError{Code: errcode.Conflict,
			Msg: "the post's " + what + " changed elsewhere while this request ran: the post is shown as it is now; ask again to change it"})
	}
	return &model.PostPayload{Post: p}, nil
}

func (r *Resolver) setPostLiked(ctx context.Context, raw string, liked bool) (*model.PostPayload, error) {
	return r.setPostState(ctx, raw, liked, "like", r.posts.liked.Load, upstream.EndpointLikePost, r.up.TogglePostLike)
}

func (r *Resolver) setPostSaved(ctx context.Context, raw string, saved bool) (*model.PostPayload, error) {
	read := func(ctx context.Context, id string) (bool, error) {
		p, err := r.posts.byID.Load(ctx, id)
		if err != nil {
			return false, err
		}
		if p.IsSaved == nil {
			return false, &errcode.LimitedError{Code: errcode.Upstream, Msg: "Quran Reflect did not say whether the post is saved; nothing was changed"}
		}
		return *p.IsSaved, nil
	}
	return r.setPostState(ctx, raw, saved, "save", read, upstream.EndpointSavePost, r.up.TogglePostSave)
}

// maxReportText bounds a report's reason and comment.
const maxReportText = 2000

func (r *Resolver) reportPost(ctx context.Context, raw, reason string, comment *string) (*model.ReportPayload, error) {
	w := r.postWrite()
	id, err := w.begin(ctx, raw)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, errcode.Inputf("a report needs a reason")
	}
	if utf8.RuneCountInString(reason) > maxReportText || utf8.RuneCountInString(deref(comment)) > maxReportText {
		return nil, errcode.Inputf("a report's reason and comment are at most %d characters each", maxReportText)
	}
	var reported bool
	err = loader.Write(ctx, upstream.EndpointReportPost, func(ctx context.Context, as upstream.UserToken) error {
		var err error
		reported, err = r.up.ReportPost(ctx, id, reason, deref(comment), as)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.ReportPayload{Reported: reported}, nil
}

// recordPostView counts a view: signed-out readers too, with the service's
// own token.
func (r *Resolver) recordPostView(ctx context.Context, raw string) (bool, error) {
	id, err := postID(raw)
	if err != nil {
		return false, err
	}
	if err := upstreamWrite(upstream.EndpointRecordView, r.up.RecordPostView)(ctx, id); err != nil {
		return false, err
	}
	r.posts.byID.Forget(ctx, id) // its viewsCount
	return true, nil
}
