package upstream_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// wantRequest checks what one call sent: the method, the escaped path, the raw
// query, both auth headers, and for a GET no body.
func wantRequest(t *testing.T, got captured, method, path, query string) {
	t.Helper()
	if got.Method != method || got.Path != path || got.Query != query {
		t.Errorf("sent %s %s?%s, want %s %s?%s", got.Method, got.Path, got.Query, method, path, query)
	}
	if g, w := got.Header.Get("x-auth-token"), "tok"; g != w {
		t.Errorf("x-auth-token = %q, want %q", g, w)
	}
	if g, w := got.Header.Get("x-client-id"), "client-1"; g != w {
		t.Errorf("x-client-id = %q, want %q", g, w)
	}
	if g, w := got.Header.Get("Accept"), "application/json"; g != w {
		t.Errorf("Accept = %q, want %q", g, w)
	}
	if method == "GET" && (got.Body != "" || got.Header.Get("Content-Type") != "") {
		t.Errorf("a GET sent body %q with Content-Type %q", got.Body, got.Header.Get("Content-Type"))
	}
}

func TestRoomListsSendTheirQueries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		call        func(c *upstream.Client) error
		path, query string
	}{
		{"members", func(c *upstream.Client) error {
			_, err := c.RoomMembers(ctx, upstream.MembersQuery{RoomID: "007", ListQuery: upstream.ListQuery{Page: 2, Limit: 10}}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/7/members", "limit=10&page=2"},
		{"joined rooms, defaults", func(c *upstream.Client) error {
			_, err := c.JoinedRooms(ctx, upstream.RoomsQuery{Page: 1, Limit: 5}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/joined-rooms", "limit=5&page=1"},
		{"joined rooms, everything", func(c *upstream.Client) error {
			_, err := c.JoinedRooms(ctx, upstream.RoomsQuery{Query: "tafsir & more", SortBy: upstream.RoomSortLatestActivity, Page: 2, Limit: 3}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/joined-rooms", "limit=3&page=2&query=tafsir+%26+more&sortBy=LATEST_ACTIVITY"},
		{"managed rooms", func(c *upstream.Client) error {
			_, err := c.ManagedRooms(ctx, upstream.RoomsQuery{SortBy: upstream.RoomSortNameDesc, Page: 1, Limit: 5}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/managed-rooms", "limit=5&page=1&sortBy=NAME_DESC"},
		{"search, any type", func(c *upstream.Client) error {
			_, err := c.SearchRooms(ctx, upstream.SearchQuery{Query: "quran", Page: 1, Limit: 50}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/search", "limit=50&page=1&query=quran"},
		{"search groups", func(c *upstream.Client) error {
			_, err := c.SearchRooms(ctx, upstream.SearchQuery{Query: "q", Type: upstream.RoomTypeGroup, Page: 4, Limit: 7}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/search", "limit=7&page=4&query=q&roomType=GROUP"},
		{"search pages", func(c *upstream.Client) error {
			_, err := c.SearchRooms(ctx, upstream.SearchQuery{Type: upstream.RoomTypePage, Page: 1, Limit: 1}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/search", "limit=1&page=1&roomType=PAGE"},
		{"room posts, defaults", func(c *upstream.Client) error {
			_, err := c.RoomPosts(ctx, upstream.RoomPostsQuery{RoomID: "1234567890123456789", PostsQuery: upstream.PostsQuery{Page: 1, Limit: 20}}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/1234567890123456789/posts", "limit=20&page=1"},
		{"room posts, everything", func(c *upstream.Client) error {
			_, err := c.RoomPosts(ctx, upstream.RoomPostsQuery{RoomID: "5", PostsQuery: upstream.PostsQuery{SortBy: upstream.PostSortPopular, Tab: upstream.RoomPostTabMembersOnly, Page: 2, Limit: 4}}, "tok")
			return err
		}, "/quran-reflect/v1/rooms/5/posts", "limit=4&page=2&sortBy=popular&tab=members_only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", tt.path, tt.query)
		})
	}
}

func TestRoomListsRefuseUnknownValues(t *testing.T) {
	ctx := context.Background()
	tests := map[string]func(c *upstream.Client) error{
		"members of no room": func(c *upstream.Client) error {
			_, err := c.RoomMembers(ctx, upstream.MembersQuery{RoomID: "..", ListQuery: upstream.ListQuery{Page: 1, Limit: 1}}, "tok")
			return err
		},
		"room sort": func(c *upstream.Client) error {
			_, err := c.JoinedRooms(ctx, upstream.RoomsQuery{SortBy: "name_asc", Page: 1, Limit: 1}, "tok")
			return err
		},
		"managed room sort": func(c *upstream.Client) error {
			_, err := c.ManagedRooms(ctx, upstream.RoomsQuery{SortBy: "NEWEST", Page: 1, Limit: 1}, "tok")
			return err
		},
		"search type": func(c *upstream.Client) error {
			_, err := c.SearchRooms(ctx, upstream.SearchQuery{Type: "GROUP", Page: 1, Limit: 1}, "tok")
			return err
		},
		"posts of no room": func(c *upstream.Client) error {
			_, err := c.RoomPosts(ctx, upstream.RoomPostsQuery{RoomID: "1/members", PostsQuery: upstream.PostsQuery{Page: 1, Limit: 1}}, "tok")
			return err
		},
		"post sort": func(c *upstream.Client) error {
			_, err := c.RoomPosts(ctx, upstream.RoomPostsQuery{RoomID: "1", PostsQuery: upstream.PostsQuery{SortBy: "oldest", Page: 1, Limit: 1}}, "tok")
			return err
		},
		"post tab": func(c *upstream.Client) error {
			_, err := c.RoomPosts(ctx, upstream.RoomPostsQuery{RoomID: "1", PostsQuery: upstream.PostsQuery{Tab: "drafts", Page: 1, Limit: 1}}, "tok")
			return err
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			if err := call(c); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
}

func TestRoomMembersDecode(t *testing.T) {
	body := `{"total": 3, "currentPage": 1, "limit": 10, "pages": 1, "data": [
	 {"id": "` + uuidA + `", "username": "aisha", "firstName": "Aisha", "lastName": "Rahman", "verified": true,
	  "avatarUrls": {"small": "s", "medium": "m", "large": "l"}, "isAdmin": true, "isOwner": true,
	  "isFollowed": true, "isActive": true, "followersCount": 12, "memberType": 1},
	 {"id": "` + uuidB + `"},
	 {"username": "no id"}]}`
	c, _ := serve(t, 200, body)
	p, err := c.RoomMembers(context.Background(), upstream.MembersQuery{RoomID: "1", ListQuery: upstream.ListQuery{Page: 1, Limit: 10}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	full, bare := p.Items[0], p.Items[1]
	if full.ID != uuidA || *full.Username != "aisha" || *full.FirstName != "Aisha" || *full.LastName != "Rahman" ||
		!full.Verified || !full.IsAdmin || !full.IsOwner || !full.IsFollowed || !full.IsActive || full.FollowersCount != 12 ||
		*full.AvatarURLs.Small != "s" || *full.AvatarURLs.Large != "l" {
		t.Errorf("full member = %+v", full)
	}
	// The docs mark every field as present; only the id is needed.
	if bare.ID != uuidB || bare.Username != nil || bare.Verified || bare.IsActive || bare.FollowersCount != 0 || bare.AvatarURLs.Small != nil {
		t.Errorf("bare member = %+v, want zero values", bare)
	}
	if p.Errs[0] != nil || p.Errs[1] != nil || !errors.Is(p.Errs[2], upstream.ErrMalformed) {
		t.Errorf("errs = %v, want only the last", p.Errs)
	}
}

// TestRoomListItemsDecodeAsRooms: joined, managed and found rooms are room
// profiles without the viewer's extras; ids keep every digit; one without an
// id fails alone.
func TestRoomListItemsDecodeAsRooms(t *testing.T) {
	body := `{"total": 2, "currentPage": 1, "limit": 5, "pages": 1, "data": [` +
		`{"id": 1234567890123456789, "name": "Nineteen", "description": "d", "roomType": "group", "isActive": true,
		  "isVerified": true, "isPublic": true, "isOwner": false, "isAdmin": true, "ownerId": "` + uuidA + `",
		  "postsCount": 1, "membersCount": 2, "url": "nineteen", "avatarUrls": {"thumb": "t", "original": "o"}},
		 {"name": "no id"}]}`
	ctx := context.Background()
	calls := map[string]func(c *upstream.Client) (*upstream.Page[upstream.Room], error){
		"joined": func(c *upstream.Client) (*upstream.Page[upstream.Room], error) {
			return c.JoinedRooms(ctx, upstream.RoomsQuery{Page: 1, Limit: 5}, "tok")
		},
		"managed": func(c *upstream.Client) (*upstream.Page[upstream.Room], error) {
			return c.ManagedRooms(ctx, upstream.RoomsQuery{Page: 1, Limit: 5}, "tok")
		},
		"search": func(c *upstream.Client) (*upstream.Page[upstream.Room], error) {
			return c.SearchRooms(ctx, upstream.SearchQuery{Query: "n", Page: 1, Limit: 5}, "tok")
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, body)
			p, err := call(c)
			if err != nil {
				t.Fatal(err)
			}
			r := p.Items[0]
			if r.ID != "1234567890123456789" || r.Name != "Nineteen" || r.RoomType == nil || *r.RoomType != upstream.RoomTypeGroup ||
				r.URL == nil || *r.URL != "nineteen" || !r.IsAdmin || r.MutualFollowers != nil {
				t.Errorf("room = %+v", r)
			}
			if p.Errs[0] != nil || !errors.Is(p.Errs[1], upstream.ErrMalformed) {
				t.Errorf("errs = %v", p.Errs)
			}
		})
	}
}
