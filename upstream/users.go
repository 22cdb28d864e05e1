package upstream

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

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

// wireUser is a user as the upstream sends it: pointers and json.Number, as in
// wireRoom, so that omitted fields can be told from zero values.
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
