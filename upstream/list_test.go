package upstream_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// captured is one request an upstream stub received.
type captured struct {
	Method, Path, Query string // Path as sent (escaped), Query the raw query
	Header              http.Header
	Body                string
}

// served is an upstream stub that answers every request alike and keeps them.
type served struct {
	mu   sync.Mutex
	reqs []captured
}

func (s *served) all() []captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]captured(nil), s.reqs...)
}

// only is the one request the stub received; the test fails unless there was
// exactly one.
func (s *served) only(t *testing.T) captured {
	t.Helper()
	reqs := s.all()
	if len(reqs) != 1 {
		t.Fatalf("upstream requests = %d, want 1", len(reqs))
	}
	return reqs[0]
}

// serve starts an upstream that answers every request with status and body,
// and a client for it (client id "client-1", service token "service-token").
func serve(t *testing.T, status int, body string) (*upstream.Client, *served) {
	t.Helper()
	s := &served{}
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, captured{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: string(b)})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
	return c, s
}

const (
	uuidA = "0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b"
	uuidB = "7d1e2f3a-4b5c-4d6e-9f70-8a9b0c1d2e3f"
	// emptyList answers any list, comments included.
	emptyList = `{"total": 0, "currentPage": 1, "limit": 5, "pages": 0, "data": [], "comments": []}`
)

func TestPageMetadata(t *testing.T) {
	tests := []struct {
		name, body                       string
		total, currentPage, limit, pages int
		malformed                        bool
	}{
		{name: "as sent", body: `{"total": 41, "currentPage": 2, "limit": 20, "pages": 3, "data": []}`,
			total: 41, currentPage: 2, limit: 20, pages: 3},
		{name: "numbers as strings", body: `{"total": "41", "currentPage": "2", "limit": "20", "pages": "3", "data": []}`,
			total: 41, currentPage: 2, limit: 20, pages: 3},
		// What was asked for stands in for currentPage and limit, and the total
		// gives the pages.
		{name: "only total and data", body: `{"total": 41, "data": []}`, total: 41, currentPage: 2, limit: 20, pages: 3},
		{name: "no total", body: `{"currentPage": 2, "limit": 20, "pages": 3, "data": []}`, malformed: true},
		{name: "no data", body: `{"total": 41, "currentPage": 2, "limit": 20, "pages": 3}`, malformed: true},
		{name: "null data", body: `{"total": 41, "data": null}`, malformed: true},
		{name: "negative total", body: `{"total": -1, "data": []}`, malformed: true},
		{name: "fractional pages", body: `{"total": 41, "pages": 2.5, "data": []}`, malformed: true},
		{name: "items under comments", body: `{"total": 0, "comments": []}`, malformed: true},
		{name: "not an object", body: `[]`, malformed: true},
		{name: "html", body: `<html>`, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, 200, tt.body)
			p, err := c.Followers(context.Background(), upstream.FollowsQuery{UserID: uuidA, ListQuery: upstream.ListQuery{Page: 2, Limit: 20}}, "tok")
			if tt.malformed {
				if !errors.Is(err, upstream.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != tt.total || p.CurrentPage != tt.currentPage || p.Limit != tt.limit || p.Pages != tt.pages {
				t.Errorf("page = %d/%d/%d/%d, want total %d, page %d, limit %d, pages %d",
					p.Total, p.CurrentPage, p.Limit, p.Pages, tt.total, tt.currentPage, tt.limit, tt.pages)
			}
			if p.Items == nil || len(p.Items) != 0 || len(p.Errs) != 0 {
				t.Errorf("items, errs = %v, %v; want empty", p.Items, p.Errs)
			}
		})
	}
}

// TestPageItemFailsAlone: an item without an id is the zero value with an error
// at its index; the others are served, in order.
func TestPageItemFailsAlone(t *testing.T) {
	user := func(id string) string {
		return `{"id": "` + id + `", "avatarUrls": {}, "createdAt": "2000-01-21 00:00:00", "joiningYear": 2000}`
	}
	body := `{"total": 4, "currentPage": 1, "limit": 20, "pages": 1, "data": [` +
		user(uuidA) + `, {"avatarUrls": {}, "createdAt": "2000-01-21 00:00:00", "joiningYear": 2000}, null, ` + user(uuidB) + `]}`
	c, _ := serve(t, 200, body)
	p, err := c.Following(context.Background(), upstream.FollowsQuery{UserID: uuidA, ListQuery: upstream.ListQuery{Page: 1, Limit: 20}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 4 || len(p.Errs) != 4 {
		t.Fatalf("items, errs = %d, %d; want 4 and 4", len(p.Items), len(p.Errs))
	}
	if p.Items[0].ID != uuidA || p.Items[3].ID != uuidB || p.Errs[0] != nil || p.Errs[3] != nil {
		t.Errorf("good items = %q (%v), %q (%v)", p.Items[0].ID, p.Errs[0], p.Items[3].ID, p.Errs[3])
	}
	for _, i := range []int{1, 2} {
		var ue *upstream.Error
		if !errors.As(p.Errs[i], &ue) || !errors.Is(p.Errs[i], upstream.ErrMalformed) {
			t.Errorf("Errs[%d] = %v, want an *Error wrapping ErrMalformed", i, p.Errs[i])
			continue
		}
		if ue.Endpoint != upstream.EndpointFollowing.Name || ue.Key != uuidA {
			t.Errorf("Errs[%d] is for %s %s, want following %s", i, ue.Endpoint, ue.Key, uuidA)
		}
		if p.Items[i].ID != "" {
			t.Errorf("Items[%d] = %+v, want the zero value", i, p.Items[i])
		}
	}
}

// TestListLimits: each list refuses a page below 1, and a limit below 1 or
// over its maximum, without calling; its maximum itself is sent.
func TestListLimits(t *testing.T) {
	ctx := context.Background()
	lists := []struct {
		name string
		max  int
		call func(c *upstream.Client, page, limit int) error
	}{
		{"members", 50, func(c *upstream.Client, page, limit int) error {
			_, err := c.RoomMembers(ctx, upstream.MembersQuery{RoomID: "1", ListQuery: upstream.ListQuery{Page: page, Limit: limit}}, "tok")
			return err
		}},
		{"joined rooms", 5, func(c *upstream.Client, page, limit int) error {
			_, err := c.JoinedRooms(ctx, upstream.RoomsQuery{Page: page, Limit: limit}, "tok")
			return err
		}},
		{"managed rooms", 5, func(c *upstream.Client, page, limit int) error {
			_, err := c.ManagedRooms(ctx, upstream.RoomsQuery{Page: page, Limit: limit}, "tok")
			return err
		}},
		{"search", 50, func(c *upstream.Client, page, limit int) error {
			_, err := c.SearchRooms(ctx, upstream.SearchQuery{Page: page, Limit: limit}, "tok")
			return err
		}},
		{"room posts", 20, func(c *upstream.Client, page, limit int) error {
			_, err := c.RoomPosts(ctx, upstream.RoomPostsQuery{RoomID: "1", PostsQuery: upstream.PostsQuery{Page: page, Limit: limit}}, "tok")
			return err
		}},
		{"user posts", 20, func(c *upstream.Client, page, limit int) error {
			_, err := c.UserPosts(ctx, upstream.UserPostsQuery{UserID: uuidA, PostsQuery: upstream.PostsQuery{Page: page, Limit: limit}}, "tok")
			return err
		}},
		{"comments", 20, func(c *upstream.Client, page, limit int) error {
			_, err := c.PostComments(ctx, upstream.CommentsQuery{PostID: "1", ListQuery: upstream.ListQuery{Page: page, Limit: limit}}, "tok")
			return err
		}},
		{"followers", 20, func(c *upstream.Client, page, limit int) error {
			_, err := c.Followers(ctx, upstream.FollowsQuery{UserID: uuidA, ListQuery: upstream.ListQuery{Page: page, Limit: limit}}, "tok")
			return err
		}},
		{"following", 20, func(c *upstream.Client, page, limit int) error {
			_, err := c.Following(ctx, upstream.FollowsQuery{UserID: uuidA, ListQuery: upstream.ListQuery{Page: page, Limit: limit}}, "tok")
			return err
		}},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			for _, bad := range [][2]int{{0, 1}, {-1, 1}, {1, 0}, {1, -1}, {1, l.max + 1}} {
				err := l.call(c, bad[0], bad[1])
				var ue *upstream.Error
				if !errors.Is(err, upstream.ErrInvalidArgument) || !errors.As(err, &ue) {
					t.Errorf("page %d, limit %d: err = %v, want an *Error wrapping ErrInvalidArgument", bad[0], bad[1], err)
				}
			}
			if n := len(s.all()); n != 0 {
				t.Fatalf("upstream calls = %d, want none", n)
			}
			if err := l.call(c, 3, l.max); err != nil {
				t.Fatalf("limit %d: %v", l.max, err)
			}
			if got, want := s.only(t).Query, "limit="+strconv.Itoa(l.max)+"&page=3"; !strings.Contains(got, want) {
				t.Errorf("query = %q, want it to hold %q", got, want)
			}
		})
	}
}

// TestValidationErrorIsA422: the gateway's 422 is a *StatusError whose Message
// keeps the fields it found invalid, for the log.
func TestValidationErrorIsA422(t *testing.T) {
	c, _ := serve(t, 422, `{"details":{"success":false,"error":{"code":"ValidationError","message":"Validation Error",`+
		`"details":{"limit":"MAX"}}},"message":"Validation Error","type":"unprocessable_entity","success":false}`)
	_, err := c.RoomMembers(context.Background(), upstream.MembersQuery{RoomID: "7", ListQuery: upstream.ListQuery{Page: 1, Limit: 50}}, "tok")
	var se *upstream.StatusError
	if !errors.As(err, &se) || se.Status != 422 {
		t.Fatalf("err = %v, want a *StatusError 422", err)
	}
	if got, want := se.Message, "Validation Error (ValidationError; limit: MAX)"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if se.Type != "unprocessable_entity" {
		t.Errorf("Type = %q", se.Type)
	}
}
