package upstream

import (
	"context"
	"fmt"
	"net/http"

	json "github.com/goccy/go-json"
)

// The lists about rooms: a room's members and posts, the viewer's joined and
// managed rooms, and the search for public rooms.

// maxListBody bounds one page of a list: 50 members or 20 posts with their
// authors, tags and references stay far below it.
const maxListBody = 8 << 20

// The endpoints of this file.
var (
	EndpointMembers = Endpoint{Name: "room members", Resource: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/{id}/members", MaxBody: maxListBody, MaxLimit: maxMembersLimit}
	// The viewer's own rooms: the upstream answers 401 to the service's token.
	EndpointJoinedRooms = Endpoint{Name: "joined rooms", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/joined-rooms", MaxBody: maxListBody, MaxLimit: 5, UserOnly: true}
	EndpointManagedRooms = Endpoint{Name: "managed rooms", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/managed-rooms", MaxBody: maxListBody, MaxLimit: 5, UserOnly: true}
	EndpointSearch = Endpoint{Name: "room search", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/search", MaxBody: maxListBody, MaxLimit: maxSearchLimit}
	EndpointRoomPosts = Endpoint{Name: "room posts", Resource: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/{id}/posts", MaxBody: maxListBody, MaxLimit: maxPostsLimit}
)

// Member is a member of a room, as its member list shows them. The docs mark
// every field as always present; only the id is required here, and a missing
// field is its zero value.
type Member struct {
	ID             string // the user's id, a UUID
	Username       *string
	FirstName      *string
	LastName       *string
	Verified       bool
	AvatarURLs     AvatarURLs // Small, Medium and Large
	IsAdmin        bool
	IsOwner        bool
	IsFollowed     bool // whether the viewer follows this member
	IsActive       bool
	FollowersCount int
}

// memberFields are the fields of a user a member carries.
const memberFields = FieldUsername | FieldFirstName | FieldLastName | FieldVerified | FieldAvatarURLs |
	FieldFollowed | FieldFollowersCount

// AsUser is the member as a user: the fields a member carries, the rest
// Absent. IsAdmin, IsOwner and IsActive are the membership's, not the user's.
func (m *Member) AsUser() User {
	followed := m.IsFollowed
	return User{ID: m.ID, Username: m.Username, FirstName: m.FirstName, LastName: m.LastName, Verified: m.Verified,
		AvatarURLs: m.AvatarURLs, Followed: &followed, FollowersCount: m.FollowersCount, Absent: AllFields &^ memberFields}
}

// MembersQuery asks for one page of a room's members.
type MembersQuery struct {
	RoomID string
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q MembersQuery) AtPage(page, limit int) MembersQuery { q.Page, q.Limit = page, limit; return q }

// RoomMembers fetches one page of the members of room q.RoomID (at most
// EndpointMembers.MaxLimit). Every error it returns is an *Error with Key the
// room id; an invalid id or page is refused with ErrInvalidArgument, without a
// call.
func (c *Client) RoomMembers(ctx context.Context, q MembersQuery, as UserToken) (*Page[Member], error) {
	id, ok := CanonicalRoomID(q.RoomID)
	if !ok {
		return nil, invalid(EndpointMembers.Name, "", "not a room id")
	}
	rq, err := listRequest(EndpointMembers, id, q.ListQuery, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, EndpointMembers, as, id, rq, q.ListQuery, "data", decodeMember)
}

// RoomSort orders the viewer's joined or managed rooms.
type RoomSort string

// The orders the upstream documents; "" leaves the choice to it (by name).
const (
	RoomSortNameAsc        RoomSort = "NAME_ASC"
	RoomSortNameDesc       RoomSort = "NAME_DESC"
	RoomSortLatestActivity RoomSort = "LATEST_ACTIVITY"
)

// RoomsQuery asks for one page of the viewer's joined or managed rooms.
type RoomsQuery struct {
	// Query keeps the rooms whose name matches it; "" keeps every one.
	Query string
	// SortBy orders them; "" is the upstream's default.
	SortBy RoomSort
	// Page is from 1; Limit from 1 to the endpoint's MaxLimit.
	Page, Limit int
}

// AtPage is q asking for page page of limit items.
func (q RoomsQuery) AtPage(page, limit int) RoomsQuery { q.Page, q.Limit = page, limit; return q }

// JoinedRooms fetches one page of the rooms the holder of as has joined. It
// needs a user token: the upstream answers the service's own token with 401.
func (c *Client) JoinedRooms(ctx context.Context, q RoomsQuery, as UserToken) (*Page[Room], error) {
	return c.ownRooms(ctx, EndpointJoinedRooms, q, as)
}

// ManagedRooms fetches one page of the rooms the holder of as owns or
// administers, as JoinedRooms does.
func (c *Client) ManagedRooms(ctx context.Context, q RoomsQuery, as UserToken) (*Page[Room], error) {
	return c.ownRooms(ctx, EndpointManagedRooms, q, as)
}

func (c *Client) ownRooms(ctx context.Context, ep Endpoint, q RoomsQuery, as UserToken) (*Page[Room], error) {
	switch q.SortBy {
	case "", RoomSortNameAsc, RoomSortNameDesc, RoomSortLatestActivity:
	default:
		return nil, invalid(ep.Name, "", "unknown room sort order")
	}
	page := ListQuery{Page: q.Page, Limit: q.Limit}
	rq, err := listRequest(ep, "", page)
	if err != nil {
		return nil, err
	}
	setIf(rq.query, "query", q.Query)
	setIf(rq.query, "sortBy", string(q.SortBy))
	return fetchPage(ctx, c, ep, as, "", rq, page, "data", roomItem)
}

// SearchQuery asks for one page of the public rooms that match a text.
type SearchQuery struct {
	// Query is the text, matched against names and descriptions.
	Query string
	// Type keeps only groups or only pages; "" keeps both.
	Type RoomType
	// Page is from 1; Limit from 1 to EndpointSearch.MaxLimit.
	Page, Limit int
}

// AtPage is q asking for page page of limit items.
func (q SearchQuery) AtPage(page, limit int) SearchQuery { q.Page, q.Limit = page, limit; return q }

// SearchRooms fetches one page of the public rooms that match q.
func (c *Client) SearchRooms(ctx context.Context, q SearchQuery, as UserToken) (*Page[Room], error) {
	var roomType string
	switch q.Type {
	case "":
	case RoomTypeGroup:
		roomType = "GROUP" // the search takes it in upper case, unlike the rooms it returns
	case RoomTypePage:
		roomType = "PAGE"
	default:
		return nil, invalid(EndpointSearch.Name, "", "unknown room type")
	}
	page := ListQuery{Page: q.Page, Limit: q.Limit}
	rq, err := listRequest(EndpointSearch, "", page)
	if err != nil {
		return nil, err
	}
	setIf(rq.query, "query", q.Query)
	setIf(rq.query, "roomType", roomType)
	return fetchPage(ctx, c, EndpointSearch, as, "", rq, page, "data", roomItem)
}

// RoomPostsQuery asks for one page of a room's posts.
type RoomPostsQuery struct {
	RoomID string
	PostsQuery
}

// AtPage is q asking for page page of limit items.
func (q RoomPostsQuery) AtPage(page, limit int) RoomPostsQuery {
	q.Page, q.Limit = page, limit
	return q
}

// RoomPosts fetches one page of the posts of room q.RoomID (at most
// EndpointRoomPosts.MaxLimit), as the holder of as may see them.
func (c *Client) RoomPosts(ctx context.Context, q RoomPostsQuery, as UserToken) (*Page[Post], error) {
	id, ok := CanonicalRoomID(q.RoomID)
	if !ok {
		return nil, invalid(EndpointRoomPosts.Name, "", "not a room id")
	}
	rq, err := q.request(EndpointRoomPosts, id, true, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, EndpointRoomPosts, as, id, rq, q.page(), "data", decodePost)
}

// roomItem decodes a room of a list (a RoomListItemDto: a room profile without
// the viewer's mutual followers and invite token).
func roomItem(raw []byte, warn func(msg string, args ...any)) (Room, error) {
	r, err := parseRoom(raw, warn)
	if err != nil {
		return Room{}, err
	}
	return *r, nil
}

// wireMember is a member as the upstream sends it.
type wireMember struct {
	ID             *string     `json:"id"`
	Username       *string     `json:"username"`
	FirstName      *string     `json:"firstName"`
	LastName       *string     `json:"lastName"`
	Verified       *bool       `json:"verified"`
	AvatarURLs     *AvatarURLs `json:"avatarUrls"`
	IsAdmin        *bool       `json:"isAdmin"`
	IsOwner        *bool       `json:"isOwner"`
	IsFollowed     *bool       `json:"isFollowed"`
	IsActive       *bool       `json:"isActive"`
	FollowersCount *int        `json:"followersCount"`
}

func decodeMember(raw []byte, _ func(msg string, args ...any)) (Member, error) {
	var w wireMember
	if err := json.Unmarshal(raw, &w); err != nil {
		return Member{}, err
	}
	if w.ID == nil || *w.ID == "" {
		return Member{}, fmt.Errorf("%w: id", errMissing)
	}
	return Member{
		ID:             *w.ID,
		Username:       w.Username,
		FirstName:      w.FirstName,
		LastName:       w.LastName,
		Verified:       orDefault(w.Verified, false),
		AvatarURLs:     orDefault(w.AvatarURLs, AvatarURLs{}),
		IsAdmin:        orDefault(w.IsAdmin, false),
		IsOwner:        orDefault(w.IsOwner, false),
		IsFollowed:     orDefault(w.IsFollowed, false),
		IsActive:       orDefault(w.IsActive, false),
		FollowersCount: orDefault(w.FollowersCount, 0),
	}, nil
}
