package upstream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

func TestRoomSurvivesUnreadableBodies(t *testing.T) {
	tests := map[string]string{
		"html":            "<!doctype html><html><body>Maintenance</body></html>",
		"empty":           "",
		"truncated":       `{"id": 42, "name": "n", "descr`,
		"array":           `[1,2,3]`,
		"wrong types":     strings.Replace(minimalRoom, `"postsCount": 3`, `"postsCount": "three"`, 1),
		"missing name":    strings.Replace(minimalRoom, `"name": "n",`, "", 1),
		"null avatarUrls": strings.Replace(minimalRoom, `{"thumb": "t", "original": "o"}`, "null", 1),
		"id not integer":  minimalRoom,
		"follower broken": strings.Replace(minimalRoom, `"ownerId"`, `"mutualFollowers": [{"id": "u"}], "ownerId"`, 1),
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			if name != "id not integer" {
				body = strings.Replace(body, "%s", "42", 1)
			} else {
				body = strings.Replace(body, "%s", "4.2e1", 1)
			}
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, body)
			})
			room, err := c.Room(context.Background(), "42", "tok")
			if !errors.Is(err, upstream.ErrMalformed) {
				t.Fatalf("err = %v (room %+v), want ErrMalformed", err, room)
			}
		})
	}
}

func TestRoomDecodesEveryFieldExactly(t *testing.T) {
	body := `{"id": 1234567890123456789, "name": "Nineteen", "description": "", "roomType": "PAGE",
	 "isActive": true, "isVerified": true, "isPublic": false, "hideFollowJoinButton": true,
	 "isOwner": true, "isAdmin": true, "ownerId": "owner-uuid", "postsCount": 5, "membersCount": 6,
	 "subdomain": "sub", "country": "MA", "isMember": true, "createdAt": "2025-06-15T12:00:00+02:00",
	 "avatarUrls": {"thumb": "t", "original": "o"}, "privateToken": "secret", "mutualFollowersCount": 1,
	 "somethingNew": {"nested": [1,2]},
	 "mutualFollowers": [{"id": "u-1", "createdAt": "2000-01-21 00:00:00", "joiningYear": 2000,
	   "avatarUrls": {"small": "s", "medium": "m", "large": "l"}, "isPasswordSet": true, "memberType": "MEMBER"}]}`
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
	room, err := c.Room(context.Background(), "1234567890123456789", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := room.ID, "1234567890123456789"; g != w {
		t.Errorf("ID = %q, want %q (digits lost?)", g, w)
	}
	if room.RoomType == nil || *room.RoomType != upstream.RoomTypePage {
		t.Errorf("RoomType = %v, want page", room.RoomType)
	}
	if g, w := room.CreatedAt.Format(time.RFC3339), "2025-06-15T10:00:00Z"; g != w {
		t.Errorf("CreatedAt = %s, want %s", g, w)
	}
	if room.PrivateToken == nil || *room.PrivateToken != "secret" {
		t.Errorf("PrivateToken = %v", room.PrivateToken)
	}
	if room.URL != nil || room.Subdomain == nil || *room.Subdomain != "sub" {
		t.Errorf("URL, Subdomain = %v, %v", room.URL, room.Subdomain)
	}
	if len(room.MutualFollowers) != 1 {
		t.Fatalf("MutualFollowers = %d, want 1", len(room.MutualFollowers))
	}
	u := room.MutualFollowers[0]
	if g, w := u.CreatedAt, time.Date(2000, 1, 21, 0, 0, 0, 0, time.UTC); !g.Equal(w) || g.Location() != time.UTC {
		t.Errorf("user CreatedAt = %v, want %v", g, w)
	}
	// The documented defaults for omitted fields.
	if u.Verified || u.PostAs || u.IsAdmin || u.PostsCount != 0 || u.FollowersCount != 0 || u.LikesCount != 0 || u.LanguageIsoCode != "en" {
		t.Errorf("defaults not applied: %+v", u)
	}
	if u.Settings != nil || u.Username != nil {
		t.Errorf("absent optional fields should be nil: %+v", u)
	}
}

func TestRoomOddValuesDoNotFailTheRoom(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	h := slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, string(p))
		return len(p), nil
	}), nil)
	body := strings.Replace(strings.Replace(minimalRoom, "%s", `"42"`, 1), `"group"`, `"club"`, 1)
	body = strings.Replace(body, `"ownerId"`, `"createdAt": "last tuesday", "ownerId"`, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	cfg := configFor(srv.URL)
	cfg.Logger = slog.New(h)
	c := upstream.New(cfg, srv.Client())
	room, err := c.Room(context.Background(), "42", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if room.RoomType != nil || room.CreatedAt != nil {
		t.Errorf("RoomType, CreatedAt = %v, %v; want nil, nil", room.RoomType, room.CreatedAt)
	}
	if room.ID != "42" {
		t.Errorf("ID = %q, want 42 (a string id is accepted and canonicalised)", room.ID)
	}
	if len(logged) != 2 || !strings.Contains(logged[0], "club") {
		t.Errorf("logged = %q, want the unknown roomType and the bad date", logged)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestRoomReadsSendTheirPaths(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(c *upstream.Client) (*upstream.Room, error)
		path string
	}{
		{"by id, canonical", func(c *upstream.Client) (*upstream.Room, error) { return c.Room(ctx, "0042", "tok") },
			"/quran-reflect/v1/rooms/42"},
		{"by url", func(c *upstream.Client) (*upstream.Room, error) { return c.RoomByURL(ctx, "Tafsir_Circle-2.0", "tok") },
			"/quran-reflect/v1/rooms/group/Tafsir_Circle-2.0"},
		{"by subdomain", func(c *upstream.Client) (*upstream.Room, error) { return c.RoomBySubdomain(ctx, "daily", "tok") },
			"/quran-reflect/v1/rooms/page/daily"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, strings.Replace(minimalRoom, "%s", "42", 1))
			room, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if room.ID != "42" {
				t.Errorf("ID = %q", room.ID)
			}
			wantRequest(t, s.only(t), "GET", tt.path, "")
		})
	}
}

func TestRoomBySlugNotFoundNamesTheRoom(t *testing.T) {
	c, _ := serve(t, 404, `{"message":"Room not found","type":"not_found","success":false}`)
	_, err := c.RoomByURL(context.Background(), "gone", "tok")
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrNotFound) || !errors.As(err, &ue) || ue.Endpoint != upstream.EndpointRoomByURL.Name || ue.Key != "gone" {
		t.Fatalf("err = %v, want room gone not found", err)
	}
}

// TestRoomReadsRefuseWhatCannotBeAPathSegment: invalid ids and slugs, "." and
// ".." above all, are refused without a call.
func TestRoomReadsRefuseWhatCannotBeAPathSegment(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(c *upstream.Client) error
	}{
		{"id 0", func(c *upstream.Client) error { _, err := c.Room(ctx, "0", "tok"); return err }},
		{"id ..", func(c *upstream.Client) error { _, err := c.Room(ctx, "..", "tok"); return err }},
		{"id too large", func(c *upstream.Client) error { _, err := c.Room(ctx, "9223372036854775808", "tok"); return err }},
		{"url .", func(c *upstream.Client) error { _, err := c.RoomByURL(ctx, ".", "tok"); return err }},
		{"url ..", func(c *upstream.Client) error { _, err := c.RoomByURL(ctx, "..", "tok"); return err }},
		{"url empty", func(c *upstream.Client) error { _, err := c.RoomByURL(ctx, "", "tok"); return err }},
		{"url with a slash", func(c *upstream.Client) error { _, err := c.RoomByURL(ctx, "a/b", "tok"); return err }},
		{"url with a query", func(c *upstream.Client) error { _, err := c.RoomByURL(ctx, "a?b=c", "tok"); return err }},
		{"url too long", func(c *upstream.Client) error { _, err := c.RoomByURL(ctx, strings.Repeat("a", 65), "tok"); return err }},
		{"subdomain ..", func(c *upstream.Client) error { _, err := c.RoomBySubdomain(ctx, "..", "tok"); return err }},
		{"subdomain encoded dots", func(c *upstream.Client) error { _, err := c.RoomBySubdomain(ctx, "%2e%2e", "tok"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, strings.Replace(minimalRoom, "%s", "42", 1))
			err := tt.call(c)
			var ue *upstream.Error
			if !errors.Is(err, upstream.ErrInvalidArgument) || !errors.As(err, &ue) || !strings.HasPrefix(ue.Endpoint, "room") {
				t.Errorf("err = %v, want a room *Error wrapping ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
}
