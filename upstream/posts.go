package upstream

import (
	"context"
	"fmt"
	"net/http"
	"time"

	json "github.com/goccy/go-json"
)

var (
	// A post's body is a reflection, which may be long: a post is bounded as a
	// room is.
	EndpointPost = Endpoint{Name: "post", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/{id}", MaxBody: maxRoomBody}
	EndpointUserPosts = Endpoint{Name: "user posts", Resource: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/user-posts/{id}", MaxBody: maxListBody, MaxLimit: maxPostsLimit}
	EndpointRelatedPosts = Endpoint{Name: "related posts", Resource: "post", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/{id}/related", MaxBody: maxListBody, MaxLimit: 8}
	// EndpointReReflections is documented in production only.
	EndpointReReflections = Endpoint{Name: "re-reflections", Resource: "post", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/{id}/re-reflections", MaxBody: maxListBody, MaxLimit: maxPostsLimit}
	// EndpointMyPosts is the signed-in user's posts: 401 to the service's token.
	EndpointMyPosts = Endpoint{Name: "my posts", Resource: "post", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/my-posts", MaxBody: maxListBody, MaxLimit: maxPostsLimit, UserOnly: true}
)

// maxPostsLimit is the largest page of room posts and user posts.
const maxPostsLimit = 20

// PostSort orders a list of posts.
type PostSort string

// The orders the upstream documents; "" leaves the choice to it (latest).
const (
	PostSortLatest  PostSort = "latest"
	PostSortPopular PostSort = "popular"
)

// RoomPostTab keeps the posts of a room of one kind.
type RoomPostTab string

// The tabs the upstream documents; "" is every post the viewer may see.
const (
	RoomPostTabReflections RoomPostTab = "reflections"
	RoomPostTabSaved       RoomPostTab = "saved"
	RoomPostTabPublic      RoomPostTab = "public"
	RoomPostTabMembersOnly RoomPostTab = "members_only"
)

// PostsQuery asks for one page of a room's or a user's posts.
type PostsQuery struct {
	// SortBy orders them; "" is the upstream's default.
	SortBy PostSort
	// Tab keeps one kind of post; for room posts only ("" for a user's).
	Tab RoomPostTab
	// Page is from 1; Limit from 1 to the endpoint's MaxLimit.
	Page, Limit int
}

func (q PostsQuery) page() ListQuery { return ListQuery{Page: q.Page, Limit: q.Limit} }

// request checks q for ep, whose list takes a tab when roomTabs is set, and
// returns the request of that page of the list under args.
func (q PostsQuery) request(ep Endpoint, key string, roomTabs bool, args ...string) (request, error) {
	switch q.SortBy {
	case "", PostSortLatest, PostSortPopular:
	default:
		return request{}, invalid(ep.Name, key, "unknown post sort order")
	}
	switch q.Tab {
	case "":
	case RoomPostTabReflections, RoomPostTabSaved, RoomPostTabPublic, RoomPostTabMembersOnly:
		if !roomTabs {
			return request{}, invalid(ep.Name, key, "a tab applies to room posts only")
		}
	default:
		return request{}, invalid(ep.Name, key, "unknown room post tab")
	}
	rq, err := listRequest(ep, key, q.page(), args...)
	if err != nil {
		return request{}, err
	}
	setIf(rq.query, "sortBy", string(q.SortBy))
	setIf(rq.query, "tab", string(q.Tab))
	return rq, nil
}

// Author is the author of a post or a comment, as the upstream embeds it: an
// object it does not type, of which only the id is needed.
type Author struct {
	ID         string // a user id
	Username   *string
	FirstName  *string
	LastName   *string
	Verified   bool
	AvatarURLs AvatarURLs // Small, Medium and Large
}

// Tag is a tag: on a post, in the list of tags, or trending (whose ID may be
// "": the upstream names trending tags only).
type Tag struct {
	ID, Name string
	// Language is the tag's language as the upstream sends it ("en"); nil
	// when it sends none.
	Language *string
}

// VerseRange is a passage a post refers to: ayahs From to To of chapter
// ChapterID, or the whole chapter when From and To are 0.
type VerseRange struct{ ChapterID, From, To int }

// PostRoom is the room a post was shared in, as the post embeds it.
type PostRoom struct {
	ID        string
	Name      *string
	Subdomain *string
	RoomType  *RoomType // nil when absent or unknown
	// URL is a group's slug: the docs name it _group, clients read url; the
	// upstream may send either.
	URL *string
}

// Post is a reflection or another post. Only its id and a date are required; a
// value the upstream left out is nil, or zero for the counts and the author
// and room ids (RoomID "" for a post in no room).
type Post struct {
	ID, AuthorID, RoomID string // decimal digits, except AuthorID, a user id
	Body                 *string
	CreatedAt, UpdatedAt time.Time // UpdatedAt is CreatedAt when absent
	PublishedAt          *time.Time
	CommentsCount        int
	PostTypeID           int
	Author               *Author
	Tags                 []Tag        // a tag without an id is left out
	References           []VerseRange // a reference without a chapter or ayah is left out
	Room                 *PostRoom
	IsLiked, IsSaved     *bool // for a signed-in viewer
	LikesCount           *int
	ViewsCount           *int
	// RoomPostStatus is the number as read; Visibility says what it means.
	RoomPostStatus *int
	// EstimatedReadingTime is as the upstream sends it (minutes), rounded to
	// a whole number.
	EstimatedReadingTime *int
	LanguageID           *int // a Quran Reflect language id (en 2), not the Content API's
	IsByFollowedUser     *bool
	IsCommentedOn        *bool
	Draft                *bool
}

// Post fetches post id as the holder of as sees it. Every error it returns is
// an *Error with Endpoint "post" and Key id (canonical); an id that is not a
// post id is refused with ErrInvalidArgument, without a call.
func (c *Client) Post(ctx context.Context, id string, as UserToken) (*Post, error) {
	id, ok := CanonicalPostID(id)
	if !ok {
		return nil, invalid(EndpointPost.Name, "", "not a post id")
	}
	return fetch(ctx, c, EndpointPost, as, id, inPath(id), about(func(body []byte, warn func(string, ...any)) (*Post, error) {
		p, err := decodePost(body, warn)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return &p, nil
	}, id, func(p *Post) string { return p.ID }))
}

// UserPostsQuery asks for one page of a user's posts. PostsQuery.Tab must be "".
type UserPostsQuery struct {
	UserID string
	PostsQuery
}

// AtPage is q asking for page page of limit items.
func (q UserPostsQuery) AtPage(page, limit int) UserPostsQuery {
	q.Page, q.Limit = page, limit
	return q
}

// UserPosts fetches one page of the posts of user q.UserID (a UUID; at most
// EndpointUserPosts.MaxLimit).
func (c *Client) UserPosts(ctx context.Context, q UserPostsQuery, as UserToken) (*Page[Post], error) {
	id, ok := CanonicalUUID(q.UserID)
	if !ok {
		return nil, invalid(EndpointUserPosts.Name, "", "not a user id")
	}
	rq, err := q.request(EndpointUserPosts, id, false, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, EndpointUserPosts, as, id, rq, q.page(), "data", decodePost)
}

// PostListQuery asks for one page of the posts related to post PostID, or of
// its re-reflections.
type PostListQuery struct {
	PostID string
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q PostListQuery) AtPage(page, limit int) PostListQuery { q.Page, q.Limit = page, limit; return q }

// RelatedPosts fetches one page of the posts the upstream relates to post
// q.PostID (at most EndpointRelatedPosts.MaxLimit).
func (c *Client) RelatedPosts(ctx context.Context, q PostListQuery, as UserToken) (*Page[Post], error) {
	return c.postList(ctx, EndpointRelatedPosts, q, as)
}

// ReReflections fetches one page of the re-reflections of post q.PostID (at
// most EndpointReReflections.MaxLimit).
func (c *Client) ReReflections(ctx context.Context, q PostListQuery, as UserToken) (*Page[Post], error) {
	return c.postList(ctx, EndpointReReflections, q, as)
}

func (c *Client) postList(ctx context.Context, ep Endpoint, q PostListQuery, as UserToken) (*Page[Post], error) {
	id, ok := CanonicalPostID(q.PostID)
	if !ok {
		return nil, invalid(ep.Name, "", "not a post id")
	}
	rq, err := listRequest(ep, id, q.ListQuery, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, ep, as, id, rq, q.ListQuery, "data", decodePost)
}

// MyPostsTab keeps the signed-in user's posts of one kind.
type MyPostsTab string

// The tabs the upstream documents; "" is its default (MyPostsReflections).
const (
	MyPostsReflections MyPostsTab = "my_reflections"
	MyPostsSaved       MyPostsTab = "saved"
	MyPostsNotes       MyPostsTab = "notes"
	MyPostsMentions    MyPostsTab = "mentions"
)

// MyPostsQuery asks for one page of the signed-in user's posts.
type MyPostsQuery struct {
	// Tab keeps one kind of post; "" is the upstream's default.
	Tab MyPostsTab
	// SortBy orders them; "" is the upstream's default (latest).
	SortBy PostSort
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q MyPostsQuery) AtPage(page, limit int) MyPostsQuery { q.Page, q.Limit = page, limit; return q }

// MyPosts fetches one page of the posts of the holder of as, which must be a
// user token (at most EndpointMyPosts.MaxLimit). An unknown tab or order is
// refused with ErrInvalidArgument, without a call.
func (c *Client) MyPosts(ctx context.Context, q MyPostsQuery, as UserToken) (*Page[Post], error) {
	ep := EndpointMyPosts
	switch q.Tab {
	case "", MyPostsReflections, MyPostsSaved, MyPostsNotes, MyPostsMentions:
	default:
		return nil, invalid(ep.Name, "", "unknown tab of my posts")
	}
	switch q.SortBy {
	case "", PostSortLatest, PostSortPopular:
	default:
		return nil, invalid(ep.Name, "", "unknown post sort order")
	}
	rq, err := listRequest(ep, "", q.ListQuery)
	if err != nil {
		return nil, err
	}
	setIf(rq.query, "tab", string(q.Tab))
	setIf(rq.query, "sortBy", string(q.SortBy))
	return fetchPage(ctx, c, ep, as, "", rq, q.ListQuery, "data", decodePost)
}

// wirePost is a PostSerialized. Ids stay raw, to be read as digits; the nested
// objects too, so that an odd tag or author costs only itself.
type wirePost struct {
	ID             json.RawMessage   `json:"id"`
	AuthorID       *string           `json:"authorId"`
	RoomID         json.RawMessage   `json:"roomId"`
	Body           *string           `json:"body"`
	CreatedAt      *string           `json:"createdAt"`
	UpdatedAt      *string           `json:"updatedAt"`
	PublishedAt    *string           `json:"publishedAt"`
	CommentsCount  *int              `json:"commentsCount"`
	PostTypeID     *int              `json:"postTypeId"`
	Author         json.RawMessage   `json:"author"`
	Tags           []json.RawMessage `json:"tags"`
	References     []json.RawMessage `json:"references"`
	Room           json.RawMessage   `json:"room"`
	IsLiked        *bool             `json:"isLiked"`
	IsSaved        *bool             `json:"isSaved"`
	LikesCount     *int              `json:"likesCount"`
	ViewsCount     *int              `json:"viewsCount"`
	RoomPostStatus *int              `json:"roomPostStatus"`
	ReadingTime    json.RawMessage   `json:"estimatedReadingTime"`
	LanguageID     json.RawMessage   `json:"languageId"`
	ByFollowedUser *bool             `json:"isByFollowedUser"`
	IsCommentedOn  *bool             `json:"isCommentedOn"`
	Draft          *bool             `json:"draft"`
}

// decodePost reads a post. It fails, with a plain error, only when the post has
// no id or no readable date; the rest is optional.
func decodePost(raw []byte, warn func(msg string, args ...any)) (Post, error) {
	var w wirePost
	if err := json.Unmarshal(raw, &w); err != nil {
		return Post{}, err
	}
	id, err := requiredID(w.ID)
	if err != nil {
		return Post{}, err
	}
	created, updated, err := dates(w.CreatedAt, w.UpdatedAt, warn)
	if err != nil {
		return Post{}, err
	}
	p := Post{
		ID:             id,
		Body:           w.Body,
		CreatedAt:      created,
		UpdatedAt:      updated,
		CommentsCount:  orDefault(w.CommentsCount, 0),
		PostTypeID:     orDefault(w.PostTypeID, 0),
		Author:         optional(w.Author, "author", warn, parseAuthor),
		Tags:           each(w.Tags, "tag", warn, parseTag),
		References:     each(w.References, "reference", warn, parseReference),
		Room:           optional(w.Room, "room", warn, parsePostRoom),
		IsLiked:        w.IsLiked,
		IsSaved:        w.IsSaved,
		LikesCount:     w.LikesCount,
		ViewsCount:     w.ViewsCount,
		RoomPostStatus: w.RoomPostStatus,

		EstimatedReadingTime: wholeNumber(w.ReadingTime, "estimatedReadingTime", warn),
		LanguageID:           wholeNumber(w.LanguageID, "languageId", warn),
		IsByFollowedUser:     w.ByFollowedUser,
		IsCommentedOn:        w.IsCommentedOn,
		Draft:                w.Draft,
	}
	p.AuthorID = authorID(w.AuthorID, p.Author, warn)
	if p.RoomID, err = numericID(w.RoomID); err != nil {
		warn("unreadable roomId; serving none", "err", err)
	}
	if p.RoomID == "" && p.Room != nil {
		p.RoomID = p.Room.ID
	}
	if w.PublishedAt != nil {
		if t, err := parseTime(*w.PublishedAt); err == nil {
			p.PublishedAt = &t
		} else {
			warn("unreadable publishedAt; serving null", "publishedAt", truncate(*w.PublishedAt, 40))
		}
	}
	if s := p.RoomPostStatus; s != nil && (*s < 0 || *s > 2) {
		warn("unknown roomPostStatus; serving null", "roomPostStatus", *s)
		p.RoomPostStatus = nil
	}
	return p, nil
}

// dates reads the required createdAt, or updatedAt in its place, and updatedAt,
// or createdAt in its place.
func dates(createdAt, updatedAt *string, warn func(msg string, args ...any)) (created, updated time.Time, err error) {
	read := func(name string, s *string) (time.Time, bool) {
		if s == nil {
			return time.Time{}, false
		}
		t, err := parseTime(*s)
		if err != nil {
			warn("unreadable "+name, name, truncate(*s, 40))
		}
		return t, err == nil
	}
	created, okC := read("createdAt", createdAt)
	updated, okU := read("updatedAt", updatedAt)
	switch {
	case okC && !okU:
		updated = created
	case okU && !okC:
		created = updated
	case !okC:
		return time.Time{}, time.Time{}, fmt.Errorf("%w: createdAt (or updatedAt)", errMissing)
	}
	return created, updated, nil
}

// authorID is the authorId the upstream sent, else its author's id.
func authorID(id *string, a *Author, warn func(msg string, args ...any)) string {
	switch {
	case id != nil && *id != "":
		return *id
	case a != nil:
		return a.ID
	}
	warn("no authorId and no author; serving an empty author id")
	return ""
}

// wireAuthor is the untyped author object: every field optional, but an author
// without an id is none.
type wireAuthor struct {
	ID         *string     `json:"id"`
	Username   *string     `json:"username"`
	FirstName  *string     `json:"firstName"`
	LastName   *string     `json:"lastName"`
	Verified   *bool       `json:"verified"`
	AvatarURLs *AvatarURLs `json:"avatarUrls"`
}

func parseAuthor(raw []byte) (Author, error) {
	var w wireAuthor
	if err := json.Unmarshal(raw, &w); err != nil {
		return Author{}, err
	}
	if w.ID == nil || *w.ID == "" {
		return Author{}, fmt.Errorf("%w: id", errMissing)
	}
	return Author{ID: *w.ID, Username: w.Username, FirstName: w.FirstName, LastName: w.LastName,
		Verified: orDefault(w.Verified, false), AvatarURLs: orDefault(w.AvatarURLs, AvatarURLs{})}, nil
}

// wireTag is a tag as posts and the tag list send it.
type wireTag struct {
	ID       json.RawMessage `json:"id"`
	Name     *string         `json:"name"`
	Language *string         `json:"language"`
}

// parseTag reads a tag of a post or of the tag list, which needs an id.
func parseTag(raw []byte) (Tag, error) {
	var w wireTag
	if err := json.Unmarshal(raw, &w); err != nil {
		return Tag{}, err
	}
	id, err := requiredID(w.ID)
	if err != nil {
		return Tag{}, err
	}
	return Tag{ID: id, Name: orDefault(w.Name, ""), Language: w.Language}, nil
}

func parseReference(raw []byte) (VerseRange, error) {
	var w struct {
		ChapterID *int `json:"chapterId"`
		From      *int `json:"from"`
		To        *int `json:"to"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return VerseRange{}, err
	}
	if w.ChapterID == nil || w.From == nil {
		return VerseRange{}, fmt.Errorf("%w: chapterId or from", errMissing)
	}
	r := VerseRange{ChapterID: *w.ChapterID, From: *w.From, To: orDefault(w.To, *w.From)}
	if r.From == 0 && r.ChapterID >= 1 && r.ChapterID <= 114 {
		// A reference to the whole chapter has from 0 (the docs); its to says nothing.
		return VerseRange{ChapterID: r.ChapterID}, nil
	}
	if r.ChapterID < 1 || r.ChapterID > 114 || r.From < 1 || r.To < r.From {
		return VerseRange{}, fmt.Errorf("%d:%d-%d is not a passage", r.ChapterID, r.From, r.To)
	}
	return r, nil
}

func parsePostRoom(raw []byte) (PostRoom, error) {
	var w struct {
		ID        json.RawMessage `json:"id"`
		Name      *string         `json:"name"`
		Subdomain *string         `json:"subdomain"`
		RoomType  *string         `json:"roomType"`
		URL       *string         `json:"url"`
		Group     *string         `json:"_group"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return PostRoom{}, err
	}
	id, err := requiredID(w.ID)
	if err != nil {
		return PostRoom{}, err
	}
	r := PostRoom{ID: id, Name: w.Name, Subdomain: w.Subdomain, URL: w.URL}
	if r.URL == nil || *r.URL == "" {
		r.URL = w.Group
	}
	if w.RoomType != nil {
		r.RoomType = roomTypeOf(*w.RoomType, func(string, ...any) {})
	}
	return r, nil
}
