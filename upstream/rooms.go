package upstream

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// roomEndpoint is "Get room profile by ID". A room with its mutual followers is a
// few KB: MaxBody is generous, and still bounds what one answer can cost.
var roomEndpoint = Endpoint{
	Name:    EndpointRoom,
	Method:  http.MethodGet,
	Path:    "/quran-reflect/v1/rooms/{id}",
	MaxBody: 4 << 20,
}

// Room fetches the profile of room id as the holder of as sees it; an empty as
// means an anonymous caller, served with the service's own token. Every error it
// returns is an *Error with Endpoint "room" and Key id.
func (c *Client) Room(ctx context.Context, id string, as UserToken) (*Room, error) {
	return fetch(ctx, c, roomEndpoint, as, id, decodeRoom, id)
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
	var w wireRoom
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
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
		return nil, fmt.Errorf("%w: %w: %s", ErrMalformed, errMissing, strings.Join(missing, ", "))
	}
	id, ok := canonicalID(string(w.ID))
	if !ok {
		return nil, fmt.Errorf("%w: id %q is not a positive integer", ErrMalformed, truncate(string(w.ID), 32))
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
	switch t := RoomType(strings.ToLower(*w.RoomType)); t {
	case RoomTypeGroup, RoomTypePage:
		room.RoomType = &t
	default:
		warn("unknown roomType; serving null", "roomType", truncate(*w.RoomType, 32))
	}
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
				return nil, fmt.Errorf("%w: mutualFollowers[%d]: %w", ErrMalformed, i, err)
			}
		}
	}
	return room, nil
}
