package upstream

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// maxProfileBody bounds a profile, which may list mutual followers.
const maxProfileBody = 4 << 20

// The endpoints of this file.
var (
	EndpointUser = Endpoint{Name: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/users/{id}", MaxBody: maxProfileBody}
	EndpointUserByUsername = Endpoint{Name: "user by username", Resource: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/users/{username}/profile", MaxBody: maxProfileBody}
	// The signed-in user: the upstream answers 401 to the service's token.
	EndpointMe = Endpoint{Name: "viewer profile", Resource: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/users/profile", MaxBody: maxProfileBody, UserOnly: true}
	EndpointFollowers = Endpoint{Name: "followers", Resource: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/users/{id}/followers", MaxBody: maxListBody, MaxLimit: 20}
	EndpointFollowing = Endpoint{Name: "following", Resource: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/users/{id}/following", MaxBody: maxListBody, MaxLimit: 20}
	EndpointSearchUsers = Endpoint{Name: "search users", Resource: "user", Method: http.MethodGet,
		Path: "/quran-reflect/v1/users/search", MaxBody: maxListBody, MaxLimit: maxSearchLimit}
	EndpointFollowUser = Endpoint{Name: "follow user", Resource: "user", Method: http.MethodPost,
		Path: "/quran-reflect/v1/users/{id}/toggle-follow", MaxBody: maxWriteBody, Write: true, UserOnly: true,
		Refusal: "Quran Reflect refused this follow: you cannot follow yourself, nor follow or unfollow someone twice"}
)

// Profile is a user's profile: the viewer's own (UserProfileResponseDto), or
// another user's (OtherUserProfileDto), which adds the followers the viewer
// and that user have in common.
type Profile struct {
	User
	// MutualFollowers is nil when the upstream sent none (the viewer's own
	// profile); a follower it sent that cannot be read is left out.
	MutualFollowers      []User
	MutualFollowersCount *int
}

// User fetches the profile of user id (a UUID, in any case) as the holder of as
// sees it. Every error it returns is an *Error with Endpoint "user" and Key id
// (in lower case); an id that is not a UUID is refused with
// ErrInvalidArgument, without a call.
func (c *Client) User(ctx context.Context, id string, as UserToken) (*Profile, error) {
	id, ok := CanonicalUUID(id)
	if !ok {
		return nil, invalid(EndpointUser.Name, "", "not a user id")
	}
	return fetch(ctx, c, EndpointUser, as, id, inPath(id), about(decodeProfile, id, func(p *Profile) string { return p.ID }))
}

// UserByUsername fetches the profile of the user called username (the upstream
// ignores case), as User does. A username that ValidSlug refuses is refused
// with ErrInvalidArgument, without a call.
func (c *Client) UserByUsername(ctx context.Context, username string, as UserToken) (*Profile, error) {
	if !ValidSlug(username) {
		return nil, invalid(EndpointUserByUsername.Name, "", "not a username")
	}
	return fetch(ctx, c, EndpointUserByUsername, as, username, inPath(username), decodeProfile)
}

// Me fetches the profile of the holder of as, which must be a user token.
func (c *Client) Me(ctx context.Context, as UserToken) (*Profile, error) {
	return fetch(ctx, c, EndpointMe, as, "", request{}, decodeProfile)
}

// FollowsQuery asks for one page of a user's followers, or of whom they follow.
type FollowsQuery struct {
	UserID string
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q FollowsQuery) AtPage(page, limit int) FollowsQuery { q.Page, q.Limit = page, limit; return q }

// Followers fetches one page of the users who follow user q.UserID (at most
// EndpointFollowers.MaxLimit).
func (c *Client) Followers(ctx context.Context, q FollowsQuery, as UserToken) (*Page[User], error) {
	return c.follows(ctx, EndpointFollowers, q, as)
}

// Following fetches one page of the users whom user q.UserID follows (at most
// EndpointFollowing.MaxLimit).
func (c *Client) Following(ctx context.Context, q FollowsQuery, as UserToken) (*Page[User], error) {
	return c.follows(ctx, EndpointFollowing, q, as)
}

func (c *Client) follows(ctx context.Context, ep Endpoint, q FollowsQuery, as UserToken) (*Page[User], error) {
	id, ok := CanonicalUUID(q.UserID)
	if !ok {
		return nil, invalid(ep.Name, "", "not a user id")
	}
	rq, err := listRequest(ep, id, q.ListQuery, id)
	if err != nil {
		return nil, err
	}
	return fetchPage(ctx, c, ep, as, id, rq, q.ListQuery, "data", userItem)
}

// UserSearchQuery asks for one page of the users whose name or username
// matches a text.
type UserSearchQuery struct {
	// Query is the text; "" sends none.
	Query string
	// All searches everyone, not only the people the viewer follows (the
	// upstream's default when all is not sent).
	All bool
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q UserSearchQuery) AtPage(page, limit int) UserSearchQuery {
	q.Page, q.Limit = page, limit
	return q
}

// SearchUsers fetches one page of the users that match q.Query (at most
// EndpointSearchUsers.MaxLimit). Each is a search result, which carries less
// than a profile: the fields it lacks are in the User's Absent.
func (c *Client) SearchUsers(ctx context.Context, q UserSearchQuery, as UserToken) (*Page[User], error) {
	rq, err := listRequest(EndpointSearchUsers, "", q.ListQuery)
	if err != nil {
		return nil, err
	}
	setIf(rq.query, "query", q.Query)
	if q.All {
		rq.query.Set("all", "true")
	}
	return fetchPage(ctx, c, EndpointSearchUsers, as, "", rq, q.ListQuery, "data", searchedUser)
}

// searchFields are the fields of a user a search result (RoomUserSearchDto)
// carries.
const searchFields = FieldUsername | FieldFirstName | FieldLastName | FieldVerified | FieldAvatarURLs |
	FieldFollowersCount | FieldBio | FieldFollowed

// wireSearchedUser is a RoomUserSearchDto. isMember, sent only for a search
// within a room, is not read.
type wireSearchedUser struct {
	ID             *string     `json:"id"`
	Username       *string     `json:"username"`
	FirstName      *string     `json:"firstName"`
	LastName       *string     `json:"lastName"`
	Verified       *bool       `json:"verified"`
	AvatarURLs     *AvatarURLs `json:"avatarUrls"`
	FollowersCount *int        `json:"followersCount"`
	Bio            *string     `json:"bio"`
	IsFollowed     *bool       `json:"isFollowed"`
	Followed       *bool       `json:"followed"`
}

// searchedUser decodes a search result. Only the id is required. Followed is
// isFollowed, else followed; with neither, or without avatarUrls, that field
// is Absent too, since nothing was said of it.
func searchedUser(raw []byte, _ func(msg string, args ...any)) (User, error) {
	var w wireSearchedUser
	if err := json.Unmarshal(raw, &w); err != nil {
		return User{}, err
	}
	if w.ID == nil || *w.ID == "" {
		return User{}, fmt.Errorf("%w: id", errMissing)
	}
	u := User{ID: *w.ID, Username: w.Username, FirstName: w.FirstName, LastName: w.LastName,
		Verified: orDefault(w.Verified, false), AvatarURLs: orDefault(w.AvatarURLs, AvatarURLs{}),
		FollowersCount: orDefault(w.FollowersCount, 0), Bio: w.Bio, Followed: w.IsFollowed,
		Absent: AllFields &^ searchFields}
	if u.Followed == nil {
		u.Followed = w.Followed
	}
	if u.Followed == nil {
		u.Absent |= FieldFollowed
	}
	if w.AvatarURLs == nil {
		u.Absent |= FieldAvatarURLs
	}
	return u, nil
}

// FollowUser makes the holder of as follow user id, or stop following them when
// follow is false. It says which explicitly, so a repeated call cannot undo the
// first. A refusal comes back as the upstream sent it, a *StatusError: 400 for
// following yourself and for a state that already is the one asked for.
// Whether a refused follow left the state as asked is for the caller to read
// from the profile (followed), not from the refusal's words.
func (c *Client) FollowUser(ctx context.Context, id string, follow bool, as UserToken) error {
	id, ok := CanonicalUUID(id)
	if !ok {
		return invalid(EndpointFollowUser.Name, "", "not a user id")
	}
	action := "unfollow"
	if follow {
		action = "follow"
	}
	body := struct {
		Action string `json:"action"`
	}{action}
	_, err := write(ctx, c, EndpointFollowUser, as, id, request{args: []string{id}, body: body}, ignoreAnswer)
	return err
}

// wireProfile is a profile as the upstream sends it: a user, and for another
// user's profile the mutual followers.
type wireProfile struct {
	wireUser
	MutualFollowers      []json.RawMessage `json:"mutualFollowers"`
	MutualFollowersCount *int              `json:"mutualFollowersCount"`
}

func decodeProfile(body []byte, warn func(msg string, args ...any)) (*Profile, error) {
	var w wireProfile
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	p := &Profile{MutualFollowersCount: w.MutualFollowersCount}
	if err := w.decode(&p.User); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	p.MutualFollowers = each(w.MutualFollowers, "mutual follower", warn, func(raw []byte) (User, error) {
		return userItem(raw, nil)
	})
	return p, nil
}

// userItem decodes a user of a list.
func userItem(raw []byte, _ func(msg string, args ...any)) (User, error) {
	var w wireUser
	if err := json.Unmarshal(raw, &w); err != nil {
		return User{}, err
	}
	var u User
	if err := w.decode(&u); err != nil {
		return User{}, err
	}
	return u, nil
}

// User is a user: in a room's mutual followers, a list of followers, or (inside
// a Profile) a profile. The fields the docs give defaults for hold those
// defaults when the upstream omitted them.
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
	// Absent are the fields the answer that carried the user has no place
	// for (an author, a member), zero above. A user the upstream sent as a
	// user has none: a field it leaves out has the default the docs give
	// (false, 0, "en"), and a pointer is nil when null or left out.
	Absent Fields
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

// Fields is a set of a user's fields (all but the id): those an answer that
// listed the user did not carry.
type Fields uint32

// The fields of a User, one bit each.
const (
	FieldAvatarURLs Fields = 1 << iota
	FieldCreatedAt
	FieldJoiningYear
	FieldSettings
	FieldUsername
	FieldFirstName
	FieldLastName
	FieldBio
	FieldCountry
	FieldFollowed
	FieldLanguageID
	FieldVerified
	FieldPostAs
	FieldIsAdmin
	FieldPostsCount
	FieldFollowersCount
	FieldLikesCount
	FieldLanguageIsoCode

	// AllFields is every field but the id.
	AllFields = FieldLanguageIsoCode<<1 - 1
)

// Has reports whether every field of g is in f.
func (f Fields) Has(g Fields) bool { return f&g == g }

// authorFields are the fields an author object carries.
const authorFields = FieldUsername | FieldFirstName | FieldLastName | FieldVerified | FieldAvatarURLs

// authorAsUser is a post's or comment's author as a user: only what the
// author object carries, the rest Absent; with no readable author object, the
// id alone (the profile still has the rest).
func authorAsUser(a *Author, authorID string) *User {
	if a == nil {
		if authorID == "" {
			return nil
		}
		return &User{ID: authorID, Absent: AllFields}
	}
	return &User{ID: a.ID, Username: a.Username, FirstName: a.FirstName, LastName: a.LastName,
		Verified: a.Verified, AvatarURLs: a.AvatarURLs, Absent: AllFields &^ authorFields}
}

// AuthorUser is the post's author as a user (see authorAsUser); nil when the
// post names none.
func (p *Post) AuthorUser() *User { return authorAsUser(p.Author, p.AuthorID) }

// AuthorUser is the comment's author as a user.
func (c *Comment) AuthorUser() *User { return authorAsUser(c.Author, c.AuthorID) }
