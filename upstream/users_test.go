package upstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// minimalUser is a user with only the fields the docs require.
const minimalUser = `{"id": "` + uuidA + `", "avatarUrls": {}, "createdAt": "2000-01-21 00:00:00", "joiningYear": 2000}`

func TestUserReadsSendTheirPaths(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		body        string
		call        func(c *upstream.Client) error
		path, query string
	}{
		{"by id, lower case", minimalUser, func(c *upstream.Client) error {
			_, err := c.User(ctx, strings.ToUpper(uuidA), "tok")
			return err
		}, "/quran-reflect/v1/users/" + uuidA, ""},
		{"by username", minimalUser, func(c *upstream.Client) error {
			_, err := c.UserByUsername(ctx, "Aisha.R", "tok")
			return err
		}, "/quran-reflect/v1/users/Aisha.R/profile", ""},
		{"me", minimalUser, func(c *upstream.Client) error {
			_, err := c.Me(ctx, "tok")
			return err
		}, "/quran-reflect/v1/users/profile", ""},
		{"followers", emptyList, func(c *upstream.Client) error {
			_, err := c.Followers(ctx, upstream.FollowsQuery{UserID: uuidA, ListQuery: upstream.ListQuery{Page: 1, Limit: 20}}, "tok")
			return err
		}, "/quran-reflect/v1/users/" + uuidA + "/followers", "limit=20&page=1"},
		{"following", emptyList, func(c *upstream.Client) error {
			_, err := c.Following(ctx, upstream.FollowsQuery{UserID: strings.ToUpper(uuidB), ListQuery: upstream.ListQuery{Page: 3, Limit: 1}}, "tok")
			return err
		}, "/quran-reflect/v1/users/" + uuidB + "/following", "limit=1&page=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, tt.body)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", tt.path, tt.query)
		})
	}
}

func TestUserReadsRefuseBadIDsAndUsernames(t *testing.T) {
	ctx := context.Background()
	q := upstream.ListQuery{Page: 1, Limit: 1}
	tests := []struct {
		name string
		call func(c *upstream.Client) error
	}{
		{"id ..", func(c *upstream.Client) error { _, err := c.User(ctx, "..", "tok"); return err }},
		{"id not a uuid", func(c *upstream.Client) error { _, err := c.User(ctx, "aisha", "tok"); return err }},
		{"id without dashes", func(c *upstream.Client) error {
			_, err := c.User(ctx, strings.ReplaceAll(uuidA, "-", ""), "tok")
			return err
		}},
		{"username .", func(c *upstream.Client) error { _, err := c.UserByUsername(ctx, ".", "tok"); return err }},
		{"username ..", func(c *upstream.Client) error { _, err := c.UserByUsername(ctx, "..", "tok"); return err }},
		{"username with a space", func(c *upstream.Client) error { _, err := c.UserByUsername(ctx, "a b", "tok"); return err }},
		{"username with a slash", func(c *upstream.Client) error { _, err := c.UserByUsername(ctx, "a/..", "tok"); return err }},
		{"followers of ..", func(c *upstream.Client) error {
			_, err := c.Followers(ctx, upstream.FollowsQuery{UserID: "..", ListQuery: q}, "tok")
			return err
		}},
		{"following of a name", func(c *upstream.Client) error {
			_, err := c.Following(ctx, upstream.FollowsQuery{UserID: "aisha", ListQuery: q}, "tok")
			return err
		}},
		{"posts of ..", func(c *upstream.Client) error {
			_, err := c.UserPosts(ctx, upstream.UserPostsQuery{UserID: "..", PostsQuery: upstream.PostsQuery{Page: 1, Limit: 1}}, "tok")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, minimalUser)
			if err := tt.call(c); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
}

// TestOwnProfileDecodes: UserProfileResponseDto, with its private extras
// ignored and no mutual followers.
func TestOwnProfileDecodes(t *testing.T) {
	body := `{"id": "` + uuidA + `", "avatarUrls": {"small": "s", "medium": "m", "large": "l"},
	 "createdAt": "2019-03-02 08:15:00", "joiningYear": 2019, "email": "a@example.org", "photoUrl": "p",
	 "settings": {"ayahLanguages": [1, 2], "reflectionLanguages": [2], "customized": true},
	 "username": "aisha", "firstName": "Aisha", "lastName": "Rahman", "bio": "b", "country": "GB",
	 "verified": true, "postAs": true, "isAdmin": false, "postsCount": 42, "followersCount": 7, "likesCount": 3,
	 "languageId": 2, "languageIsoCode": "en", "followed": false, "isPasswordSet": true}`
	c, _ := serve(t, 200, body)
	p, err := c.Me(context.Background(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := p.CreatedAt, time.Date(2019, 3, 2, 8, 15, 0, 0, time.UTC); !g.Equal(w) || g.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v (no zone: UTC)", g, w)
	}
	if p.ID != uuidA || *p.Username != "aisha" || !p.Verified || !p.PostAs || p.PostsCount != 42 || p.FollowersCount != 7 ||
		p.LikesCount != 3 || *p.LanguageID != 2 || p.JoiningYear != 2019 || *p.AvatarURLs.Medium != "m" ||
		p.Settings == nil || len(p.Settings.AyahLanguages) != 2 || p.Followed == nil || *p.Followed {
		t.Errorf("profile = %+v", p.User)
	}
	if p.MutualFollowers != nil || p.MutualFollowersCount != nil {
		t.Errorf("mutual followers = %v, %v; want nil for one's own profile", p.MutualFollowers, p.MutualFollowersCount)
	}
}

// TestOtherProfileDecodes: OtherUserProfileDto, with the mutual followers; one
// that cannot be read is left out, and the profile is served.
func TestOtherProfileDecodes(t *testing.T) {
	body := `{"id": "` + uuidB + `", "avatarUrls": {}, "createdAt": "2020-07-14T19:30:00Z", "joiningYear": 2020,
	 "followed": true, "mutualFollowersCount": 2,
	 "mutualFollowers": [` + minimalUser + `, {"id": "broken"}]}`
	c, _ := serve(t, 200, body)
	p, err := c.UserByUsername(context.Background(), "bilal", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != uuidB || p.Followed == nil || !*p.Followed || p.MutualFollowersCount == nil || *p.MutualFollowersCount != 2 {
		t.Errorf("profile = %+v", p)
	}
	if len(p.MutualFollowers) != 1 || p.MutualFollowers[0].ID != uuidA {
		t.Errorf("mutual followers = %+v, want the readable one", p.MutualFollowers)
	}
	// The documented defaults for what was left out.
	if p.Verified || p.PostsCount != 0 || p.LanguageIsoCode != "en" || p.Username != nil {
		t.Errorf("defaults not applied: %+v", p.User)
	}
}

func TestProfileWithoutRequiredFieldsIsMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"no id":        strings.Replace(minimalUser, `"id": "`+uuidA+`", `, "", 1),
		"no createdAt": strings.Replace(minimalUser, `"createdAt": "2000-01-21 00:00:00", `, "", 1),
		"bad date":     strings.Replace(minimalUser, "2000-01-21 00:00:00", "yesterday", 1),
		"html":         "<html>",
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, body)
			if _, err := c.User(context.Background(), uuidA, "tok"); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestUserNotFound(t *testing.T) {
	c, _ := serve(t, 404, `{"message":"User not found","type":"not_found","success":false}`)
	_, err := c.User(context.Background(), uuidA, "tok")
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrNotFound) || !errors.As(err, &ue) || ue.Endpoint != "user" || ue.Key != uuidA {
		t.Fatalf("err = %v, want user %s not found", err, uuidA)
	}
}

func TestFollowersDecodeUsers(t *testing.T) {
	body := `{"total": 1, "currentPage": 1, "limit": 20, "pages": 1, "data": [{"id": "` + uuidB + `",
	 "avatarUrls": {"small": "s"}, "createdAt": "2022-05-09 06:45:10", "joiningYear": "2022", "username": "zainab",
	 "verified": true, "followersCount": 5, "followed": true}]}`
	c, _ := serve(t, 200, body)
	p, err := c.Followers(context.Background(), upstream.FollowsQuery{UserID: uuidA, ListQuery: upstream.ListQuery{Page: 1, Limit: 20}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	u := p.Items[0]
	if u.ID != uuidB || *u.Username != "zainab" || !u.Verified || u.FollowersCount != 5 || u.JoiningYear != 2022 ||
		!u.CreatedAt.Equal(time.Date(2022, 5, 9, 6, 45, 10, 0, time.UTC)) || u.Followed == nil || !*u.Followed {
		t.Errorf("follower = %+v", u)
	}
}
