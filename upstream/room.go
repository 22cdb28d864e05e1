package upstream

import (
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"strconv"
	"strings"
	"time"
)

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

// User is a user as listed in a room's mutual followers. The fields the docs give
// defaults for hold those defaults when the upstream omitted them.
type User struct {
	ID              string
	AvatarURLs      AvatarURLs
	CreatedAt       time.Time
	JoiningYear     int
	Settings        *UserSettings
	Username        *string
	FirstName       *string
	LastName        *string
	Bio             *string
	Country         *string
	Followed        *bool
	LanguageID      *int
	Verified        bool
	PostAs          bool
	IsAdmin         bool
	PostsCount      int
	FollowersCount  int
	LikesCount      int
	LanguageIsoCode string
}

// UserSettings are a user's reading preferences.
type UserSettings struct {
	AyahLanguages                []int `json:"ayahLanguages"`
	ReflectionLanguages          []int `json:"reflectionLanguages"`
	Customized                   *bool `json:"customized"`
	HideFollowSuggestion         *bool `json:"hideFollowSuggestion"`
	ShowFollowFeaturedSuggestion *bool `json:"showFollowFeaturedSuggestion"`
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

type wireUser struct {
	ID              *string       `json:"id"`
	AvatarURLs      *AvatarURLs   `json:"avatarUrls"`
	CreatedAt       *string       `json:"createdAt"`
	JoiningYear     json.Number   `json:"joiningYear"`
	Settings        *UserSettings `json:"settings"`
	Username        *string       `json:"username"`
	FirstName       *string       `json:"firstName"`
	LastName        *string       `json:"lastName"`
	Bio             *string       `json:"bio"`
	Country         *string       `json:"country"`
	Followed        *bool         `json:"followed"`
	LanguageID      *int          `json:"languageId"`
	Verified        *bool         `json:"verified"`
	PostAs          *bool         `json:"postAs"`
	IsAdmin         *bool         `json:"isAdmin"`
	PostsCount      *int          `json:"postsCount"`
	FollowersCount  *int          `json:"followersCount"`
	LikesCount      *int          `json:"likesCount"`
	LanguageIsoCode *string       `json:"languageIsoCode"`
}

// errMissing is wrapped with the name of a field the docs mark as always present.
var errMissing = errors.New("missing required field")

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

func (w *wireUser) decode(u *User) error {
	var missing []string
	if w.ID == nil {
		missing = append(missing, "id")
	}
	if w.AvatarURLs == nil {
		missing = append(missing, "avatarUrls")
	}
	if w.CreatedAt == nil {
		missing = append(missing, "createdAt")
	}
	if w.JoiningYear == "" {
		missing = append(missing, "joiningYear")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", errMissing, strings.Join(missing, ", "))
	}
	created, err := parseTime(*w.CreatedAt)
	if err != nil {
		return fmt.Errorf("createdAt %q: %w", truncate(*w.CreatedAt, 40), err)
	}
	year, err := strconv.Atoi(string(w.JoiningYear))
	if err != nil {
		return fmt.Errorf("joiningYear %q is not an integer", truncate(string(w.JoiningYear), 16))
	}
	*u = User{
		ID:              *w.ID,
		AvatarURLs:      *w.AvatarURLs,
		CreatedAt:       created,
		JoiningYear:     year,
		Settings:        w.Settings,
		Username:        w.Username,
		FirstName:       w.FirstName,
		LastName:        w.LastName,
		Bio:             w.Bio,
		Country:         w.Country,
		Followed:        w.Followed,
		LanguageID:      w.LanguageID,
		Verified:        orDefault(w.Verified, false),
		PostAs:          orDefault(w.PostAs, false),
		IsAdmin:         orDefault(w.IsAdmin, false),
		PostsCount:      orDefault(w.PostsCount, 0),
		FollowersCount:  orDefault(w.FollowersCount, 0),
		LikesCount:      orDefault(w.LikesCount, 0),
		LanguageIsoCode: orDefault(w.LanguageIsoCode, "en"),
	}
	return nil
}

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// parseTime reads the forms the upstream uses: ISO 8601 for rooms, and for users
// "2000-01-21 00:00:00" with no zone, which the docs say is UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date-time")
}

// MaxRoomID is the largest room id the service accepts (the largest int64).
const MaxRoomID = "9223372036854775807"

// CanonicalRoomID reports whether s is a room id — a decimal integer from 1 to
// MaxRoomID written with digits only — and returns it without leading zeros.
// It works on the digits alone, so no precision is ever lost.
func CanonicalRoomID(s string) (string, bool) {
	return canonicalID(s)
}

func canonicalID(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" || len(s) > len(MaxRoomID) || (len(s) == len(MaxRoomID) && s > MaxRoomID) {
		return "", false
	}
	return s, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
