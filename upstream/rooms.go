package upstream

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// maxRoomBody bounds a room profile. One with its mutual followers is a few KB:
// this is generous, and still bounds what one answer can cost.
const maxRoomBody = 4 << 20

// maxWriteBody bounds the answer of a write, such as {"joined": true}.
const maxWriteBody = 64 << 10

// The endpoints of this file. Each is a value that is never written: callers
// pass it where they name the endpoint (a loader, a write, a metric).
var (
	// EndpointRoom is "Get room profile by ID".
	EndpointRoom = Endpoint{Name: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/{id}", MaxBody: maxRoomBody}
	// EndpointRoomByURL is the same profile, by a group's url.
	EndpointRoomByURL = Endpoint{Name: "room by url", Resource: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/group/{url}", MaxBody: maxRoomBody}
	// EndpointRoomBySubdomain is the same profile, by a page's subdomain.
	EndpointRoomBySubdomain = Endpoint{Name: "room by subdomain", Resource: "room", Method: http.MethodGet,
		Path: "/quran-reflect/v1/rooms/page/{subdomain}", MaxBody: maxRoomBody}
)

// The room writes: join and leave a group, follow and unfollow a page. They
// need a user token.
var (
	EndpointJoinRoom = Endpoint{Name: "join room", Resource: "room", Method: http.MethodPost,
		Path: "/quran-reflect/v1/rooms/{id}/join", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to join this room: only a group can be joined (a page is followed), and only once"}
	EndpointLeaveRoom = Endpoint{Name: "leave room", Resource: "room", Method: http.MethodPost,
		Path: "/quran-reflect/v1/rooms/{id}/leave", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to leave this room: only a member of a group can leave it"}
	EndpointFollowRoom = Endpoint{Name: "follow room", Resource: "room", Method: http.MethodPost,
		Path: "/quran-reflect/v1/rooms/{id}/follow", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to follow this room: only a page can be followed (a group is joined), and only once"}
	EndpointUnfollowRoom = Endpoint{Name: "unfollow room", Resource: "room", Method: http.MethodPost,
		Path: "/quran-reflect/v1/rooms/{id}/unfollow", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused to unfollow this room: only a page you follow can be unfollowed"}
)

// Room fetches the profile of room id as the holder of as sees it; an empty as
// means an anonymous caller, served with the service's own token. Every error it
// returns is an *Error with Endpoint "room" and Key id (canonical); an id that
// is not a room id is refused with ErrInvalidArgument, without a call.
func (c *Client) Room(ctx context.Context, id string, as UserToken) (*Room, error) {
	id, ok := CanonicalRoomID(id)
	if !ok {
		return nil, invalid(EndpointRoom.Name, "", "not a room id")
	}
	return fetch(ctx, c, EndpointRoom, as, id, inPath(id), about(decodeRoom, id, func(r *Room) string { return r.ID }))
}

// RoomByURL fetches the profile of the group whose url is url, as Room does. A
// url that ValidSlug refuses is refused with ErrInvalidArgument, without a call.
func (c *Client) RoomByURL(ctx context.Context, url string, as UserToken) (*Room, error) {
	if !ValidSlug(url) {
		return nil, invalid(EndpointRoomByURL.Name, "", "not a group url")
	}
	return fetch(ctx, c, EndpointRoomByURL, as, url, inPath(url), decodeRoom)
}

// RoomBySubdomain fetches the profile of the page whose subdomain is subdomain,
// as RoomByURL does.
func (c *Client) RoomBySubdomain(ctx context.Context, subdomain string, as UserToken) (*Room, error) {
	if !ValidSlug(subdomain) {
		return nil, invalid(EndpointRoomBySubdomain.Name, "", "not a page subdomain")
	}
	return fetch(ctx, c, EndpointRoomBySubdomain, as, subdomain, inPath(subdomain), decodeRoom)
}

// JoinRoom makes the holder of as a member of the group id. A refusal comes
// back as the upstream sent it, a *StatusError: 400 for a page, and for a
// member joining again (ALREADY_A_MEMBER); 403 for a private group the user
// was not invited to. Whether a refused join left the user a member is for
// the caller to read from the room (isMember), not from the refusal's words.
func (c *Client) JoinRoom(ctx context.Context, id string, as UserToken) error {
	return c.roomWrite(ctx, EndpointJoinRoom, id, as)
}

// LeaveRoom takes the holder of as out of the group id. A refusal is a
// *StatusError, as for JoinRoom: the owner cannot leave (403).
func (c *Client) LeaveRoom(ctx context.Context, id string, as UserToken) error {
	return c.roomWrite(ctx, EndpointLeaveRoom, id, as)
}

// FollowRoom makes the holder of as follow the page id. A refusal is a
// *StatusError, as for JoinRoom.
func (c *Client) FollowRoom(ctx context.Context, id string, as UserToken) error {
	return c.roomWrite(ctx, EndpointFollowRoom, id, as)
}

// UnfollowRoom makes the holder of as stop following the page id. A refusal is
// a *StatusError, as for JoinRoom.
func (c *Client) UnfollowRoom(ctx context.Context, id string, as UserToken) error {
	return c.roomWrite(ctx, EndpointUnfollowRoom, id, as)
}

func (c *Client) roomWrite(ctx context.Context, ep Endpoint, id string, as UserToken) error {
	id, ok := CanonicalRoomID(id)
	if !ok {
		return invalid(ep.Name, "", "not a room id")
	}
	_, err := write(ctx, c, ep, as, id, inPath(id), ignoreAnswer)
	return err
}

// RoomType says whether a room is a group or a page. The upstream sends it in lower case.
type RoomType string

// The room types the upstream documents.
const (
	RoomTypeGroup RoomType = "group"
	RoomTypePage  RoomType = "page"
)

// Room is a Quran Reflect room profile as one viewer sees it. Fields the docs mark as
// always present are plain values; the others are pointers (nil when the upstream
// omitted them).
type Room struct {
	ID                   string // decimal digits, never passed through a float
	Name                 string
	Description          string
	RoomType             *RoomType // nil when the upstream sent a value we do not know
	IsActive             bool
	IsVerified           bool
	IsPublic             bool
	HideFollowJoinButton *bool // present in pre-live, dropped from production
	IsOwner              bool
	IsAdmin              bool
	OwnerID              string
	PostsCount           int
	MembersCount         int
	URL                  *string
	Subdomain            *string
	Country              *string
	IsMember             *bool
	CreatedAt            *time.Time
	AvatarURLs           AvatarURLs
	PrivateToken         *string // secret: only for viewers allowed to invite
	MutualFollowersCount *int
	MutualFollowers      []User // nil when the upstream omitted it (anonymous viewers)
}

// AvatarURLs holds image URLs: Thumb and Original for rooms, Small, Medium and Large for users.
type AvatarURLs struct {
	Thumb    *string `json:"thumb"`
	Original *string `json:"original"`
	Small    *string `json:"small"`
	Medium   *string `json:"medium"`
	Large    *string `json:"large"`
}

// wireRoom is the JSON the upstream sends. Every field is a pointer so that an
// omitted field can be told from a zero value; ids decode as json.Number so that
// no digit is lost to float64.
type wireRoom struct {
	ID                   json.Number `json:"id"`
	Name                 *string     `json:"name"`
	Description          *string     `json:"description"`
	RoomType             *string     `json:"roomType"`
	IsActive             *bool       `json:"isActive"`
	IsVerified           *bool       `json:"isVerified"`
	IsPublic             *bool       `json:"isPublic"`
	HideFollowJoinButton *bool       `json:"hideFollowJoinButton"`
	IsOwner              *bool       `json:"isOwner"`
	IsAdmin              *bool       `json:"isAdmin"`
	OwnerID              *string     `json:"ownerId"`
	PostsCount           *int        `json:"postsCount"`
	MembersCount         *int        `json:"membersCount"`
	URL                  *string     `json:"url"`
	Subdomain            *string     `json:"subdomain"`
	Country              *string     `json:"country"`
	IsMember             *bool       `json:"isMember"`
	CreatedAt            *string     `json:"createdAt"`
	AvatarURLs           *AvatarURLs `json:"avatarUrls"`
	PrivateToken         *string     `json:"privateToken"`
	MutualFollowersCount *int        `json:"mutualFollowersCount"`
	MutualFollowers      []wireUser  `json:"mutualFollowers"`
}

// decodeRoom turns an upstream body into a Room. warn receives the oddities that do
// not fail the room (an unknown roomType, an unreadable optional date).
func decodeRoom(body []byte, warn func(msg string, args ...any)) (*Room, error) {
	room, err := parseRoom(body, warn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return room, nil
}

// DecodeRoom reads a room profile answer as the client does, oddities
// ignored: for tools that make the GET themselves (cmd/load's floor, which
// measures what gqlgen and one upstream call cost without this package).
func DecodeRoom(body []byte) (*Room, error) {
	return decodeRoom(body, func(string, ...any) {})
}

// parseRoom is decodeRoom without ErrMalformed, which a list adds to an item's
// error along with the item's place.
func parseRoom(body []byte, warn func(msg string, args ...any)) (*Room, error) {
	var w wireRoom
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	var missing []string
	need := func(present bool, name string) {
		if !present {
			missing = append(missing, name)
		}
	}
	need(w.ID != "", "id")
	need(w.Name != nil, "name")
	need(w.Description != nil, "description")
	need(w.RoomType != nil, "roomType")
	need(w.IsActive != nil, "isActive")
	need(w.IsVerified != nil, "isVerified")
	need(w.IsPublic != nil, "isPublic")
	need(w.IsOwner != nil, "isOwner")
	need(w.IsAdmin != nil, "isAdmin")
	need(w.OwnerID != nil, "ownerId")
	need(w.PostsCount != nil, "postsCount")
	need(w.MembersCount != nil, "membersCount")
	need(w.AvatarURLs != nil, "avatarUrls")
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", errMissing, strings.Join(missing, ", "))
	}
	id, ok := canonicalID(string(w.ID))
	if !ok {
		return nil, fmt.Errorf("id %q is not a positive integer", truncate(string(w.ID), 32))
	}
	room := &Room{
		ID:                   id,
		Name:                 *w.Name,
		Description:          *w.Description,
		IsActive:             *w.IsActive,
		IsVerified:           *w.IsVerified,
		IsPublic:             *w.IsPublic,
		HideFollowJoinButton: w.HideFollowJoinButton,
		IsOwner:              *w.IsOwner,
		IsAdmin:              *w.IsAdmin,
		OwnerID:              *w.OwnerID,
		PostsCount:           *w.PostsCount,
		MembersCount:         *w.MembersCount,
		URL:                  w.URL,
		Subdomain:            w.Subdomain,
		Country:              w.Country,
		IsMember:             w.IsMember,
		AvatarURLs:           *w.AvatarURLs,
		PrivateToken:         w.PrivateToken,
		MutualFollowersCount: w.MutualFollowersCount,
	}
	room.RoomType = roomTypeOf(*w.RoomType, warn)
	if w.CreatedAt != nil {
		if t, err := parseTime(*w.CreatedAt); err == nil {
			room.CreatedAt = &t
		} else {
			warn("unreadable createdAt; serving null", "createdAt", truncate(*w.CreatedAt, 40))
		}
	}
	if w.MutualFollowers != nil {
		room.MutualFollowers = make([]User, len(w.MutualFollowers))
		for i := range w.MutualFollowers {
			if err := w.MutualFollowers[i].decode(&room.MutualFollowers[i]); err != nil {
				return nil, fmt.Errorf("mutualFollowers[%d]: %w", i, err)
			}
		}
	}
	return room, nil
}

// roomTypeOf reads a room type in any case, or is nil (with a warning) for one
// we do not know.
func roomTypeOf(s string, warn func(msg string, args ...any)) *RoomType {
	switch t := RoomType(strings.ToLower(s)); t {
	case RoomTypeGroup, RoomTypePage:
		return &t
	}
	warn("unknown roomType; serving null", "roomType", truncate(s, 32))
	return nil
}
