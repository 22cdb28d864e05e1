package upstream

import (
	"context"
	"fmt"
	"net/http"

	json "github.com/goccy/go-json"
)

// The lists about rooms: a room's members and posts, the viewer's joined and
// managed rooms, and the search for public rooms.

// The endpoints of this file, as errors and metrics name them.
const (
	EndpointMembers      = "room members"
	EndpointJoinedRooms  = "joined rooms"
	EndpointManagedRooms = "managed rooms"
	EndpointSearch       = "room search"
	EndpointRoomPosts    = "room posts"
)

// maxListBody bounds one page of a list: 50 members or 20 posts with their
// authors, tags and references stay far below it.
const maxListBody = 8 << 20

var (
	membersEndpoint = Endpoint{Name: EndpointMembers, Resource: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/{id}/members", MaxBody: maxListBody}
	// The viewer's own rooms: the upstream answers 401 to the service's token.
	joinedRoomsEndpoint = Endpoint{Name: EndpointJoinedRooms, Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/joined-rooms", MaxBody: maxListBody, UserOnly: true}
	managedRoomsEndpoint = Endpoint{Name: EndpointManagedRooms, Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/managed-rooms", MaxBody: maxListBody, UserOnly: true}
	searchEndpoint = Endpoint{Name: EndpointSearch, Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/search", MaxBody: maxListBody}
	roomPostsEndpoint = Endpoint{Name: EndpointRoomPosts, Resource: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/{id}/posts", MaxBody: maxListBody}
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

// RoomMembers fetches one page of the members of room roomID (at most
// MaxLimitMembers). Every error it returns is an *Error with Key the room id;
// an invalid id or page is refused with ErrInvalidArgument, without a call.
func (c *Client) RoomMembers(ctx context.Context, roomID string, q ListQuery, as UserToken) (*Page[Member], error) {
	id, ok := CanonicalRoomID(roomID)
	if !ok {
		return nil, invalid(EndpointMembers, "", "not a room id")
	}
	rq, err := listRequest(membersEndpoint, id, q, MaxLimitMembers, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, membersEndpoint, as, id, rq, q, "data", decodeMember)
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
	// Page is from 1; Limit from 1 to MaxLimitJoinedRooms.
	Page, Limit int
}

// JoinedRooms fetches one page of the rooms the holder of as has joined. It
// needs a user token: the upstream answers the service's own token with 401.
func (c *Client) JoinedRooms(ctx context.Context, q RoomsQuery, as UserToken) (*Page[Room], error) {
	return c.ownRooms(ctx, joinedRoomsEndpoint, q, as)
}

// ManagedRooms fetches one page of the rooms the holder of as owns or
// administers, as JoinedRooms does.
func (c *Client) ManagedRooms(ctx context.Context, q RoomsQuery, as UserToken) (*Page[Room], error) {
	return c.ownRooms(ctx, managedRoomsEndpoint, q, as)
}

func (c *Client) ownRooms(ctx context.Context, ep Endpoint, q RoomsQuery, as UserToken) (*Page[Room], error) {
	switch q.SortBy {
	case "", RoomSortNameAsc, RoomSortNameDesc, RoomSortLatestActivity:
	default:
		return nil, invalid(ep.Name, "", "unknown room sort order")
	}
	page := ListQuery{Page: q.Page, Limit: q.Limit}
	rq, err := listRequest(ep, "", page, MaxLimitJoinedRooms)
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
	// Page is from 1; Limit from 1 to MaxLimitSearch.
	Page, Limit int
}

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
		return nil, invalid(EndpointSearch, "", "unknown room type")
	}
	page := ListQuery{Page: q.Page, Limit: q.Limit}
	rq, err := listRequest(searchEndpoint, "", page, MaxLimitSearch)
	if err != nil {
		return nil, err
	}
	setIf(rq.query, "query", q.Query)
	setIf(rq.query, "roomType", roomType)
	return fetchPage(ctx, c, searchEndpoint, as, "", rq, page, "data", roomItem)
}

// RoomPosts fetches one page of the posts of room roomID (at most
// MaxLimitPosts), as the holder of as may see them.
func (c *Client) RoomPosts(ctx context.Context, roomID string, q PostsQuery, as UserToken) (*Page[Post], error) {
	id, ok := CanonicalRoomID(roomID)
	if !ok {
		return nil, invalid(EndpointRoomPosts, "", "not a room id")
	}
	rq, err := q.request(roomPostsEndpoint, id, true, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, roomPostsEndpoint, as, id, rq, q.page(), "data", decodePost)
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
