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
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// staticTokens is a TokenProvider that always answers the same.
type staticTokens struct {
	token string
	err   error
}

func (s staticTokens) Token(context.Context) (string, error) { return s.token, s.err }

const minimalRoom = `{"id": %s, "name": "n", "description": "d", "roomType": "group", "isActive": true,
 "isVerified": false, "isPublic": true, "isOwner": false, "isAdmin": false, "ownerId": "u-1",
 "postsCount": 3, "membersCount": 4, "avatarUrls": {"thumb": "t", "original": "o"}}`

// newClient serves h and returns a client for it, with a service token.
func newClient(t *testing.T, h http.HandlerFunc) *upstream.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return upstream.New(upstream.Config{
		APIBaseURL:    srv.URL + "/",
		ClientID:      "client-1",
		ServiceTokens: staticTokens{token: "service-token"},
		Sleep:         noWait,
	}, srv.Client())
}

// noWait stands in for the backoff timer: retries happen at once.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestRoomSendsBothHeadersAndForwardsTheToken(t *testing.T) {
	tests := []struct {
		name, userToken, wantToken string
	}{
		{"user token forwarded", "user-token", "user-token"},
		{"anonymous uses the service token", "", "service-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got http.Header
			var path string
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				got, path = r.Header.Clone(), r.URL.Path
				io.WriteString(w, strings.Replace(minimalRoom, "%s", "42", 1))
			})
			if _, err := c.Room(context.Background(), "42", tt.userToken); err != nil {
				t.Fatal(err)
			}
			if g, w := path, "/quran-reflect/v1/rooms/42"; g != w {
				t.Errorf("path = %q, want %q", g, w)
			}
			if g, w := got.Get("x-auth-token"), tt.wantToken; g != w {
				t.Errorf("x-auth-token = %q, want %q", g, w)
			}
			if g, w := got.Get("x-client-id"), "client-1"; g != w {
				t.Errorf("x-client-id = %q, want %q", g, w)
			}
			if g := got.Get("Authorization"); g != "" {
				t.Errorf("Authorization = %q, want none (the API documents x-auth-token)", g)
			}
		})
	}
}

func TestRoomWithoutAnyCredentials(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	defer srv.Close()
	c := upstream.New(upstream.Config{APIBaseURL: srv.URL, ClientID: "c"}, srv.Client())
	_, err := c.Room(context.Background(), "1", "")
	if !errors.Is(err, upstream.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
	if called {
		t.Error("the upstream was called without a token")
	}
}

func TestRoomStatusesAreTyped(t *testing.T) {
	now := time.Now()
	tests := []struct {
		status     int
		retryAfter string
		body       string
		wantRetry  time.Duration
		notFound   bool
	}{
		{status: 400, body: `{"message":"bad","type":"invalid_request","success":false}`},
		{status: 401, body: `{"message":"expired","type":"unauthorized","success":false}`},
		{status: 403, body: `{"message":"scope","type":"forbidden","success":false}`},
		{status: 404, body: `{"message":"Room not found","type":"not_found","success":false}`, notFound: true},
		{status: 422, body: `{"message":"x","type":"unprocessable_entity"}`},
		{status: 429, retryAfter: "7", body: `{"type":"rate_limit_exceeded"}`, wantRetry: 7 * time.Second},
		{status: 429, retryAfter: now.Add(90 * time.Second).UTC().Format(http.TimeFormat), wantRetry: 90 * time.Second},
		{status: 429, retryAfter: "soon"},
		{status: 500, body: `{"details":{"message":"boom"},"type":"internal_server_error"}`},
		{status: 502, body: "<html><body>Bad Gateway</body></html>"},
		{status: 503, body: ""},
		{status: 504, body: `{"message":"timeout"`},
		{status: 302, body: ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status == 302 {
					w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.Room(context.Background(), "42", "tok")
			var se *upstream.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *StatusError", err)
			}
			if se.Status != tt.status {
				t.Errorf("Status = %d, want %d", se.Status, tt.status)
			}
			if got := errors.Is(err, upstream.ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, tt.notFound)
			}
			// The HTTP-date form has second precision and is read against the
			// client's own clock, so it may come out up to a few seconds short.
			if d := se.RetryAfter - tt.wantRetry; d < -3*time.Second || d > 0 {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantRetry)
			}
			if !strings.HasPrefix(err.Error(), "upstream: room 42: ") {
				t.Errorf("error %q does not say which room", err)
			}
		})
	}
}

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

func TestRoomTransportFailures(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		addr, release, err := fake.RefusingAddr()
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		c := upstream.New(upstream.Config{APIBaseURL: "http://" + addr, ClientID: "c"}, &http.Client{})
		_, err = c.Room(context.Background(), "1", "tok")
		var re *upstream.RoomError
		if !errors.As(err, &re) || re.ID != "1" {
			t.Fatalf("err = %v, want a *RoomError for room 1", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // an already-expired deadline: no waiting on a clock
		_, err := c.Room(ctx, "1", "tok")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
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
	c := upstream.New(upstream.Config{APIBaseURL: srv.URL, ClientID: "c", Logger: slog.New(h)}, srv.Client())
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

func TestCanonicalRoomID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"7", "7", true},
		{"007", "7", true},
		{"9223372036854775807", "9223372036854775807", true},
		{"09223372036854775807", "9223372036854775807", true},
		{"9223372036854775808", "", false},
		{"99999999999999999999", "", false},
		{"0", "", false},
		{"000", "", false},
		{"", "", false},
		{"-1", "", false},
		{"+1", "", false},
		{"1e3", "", false},
		{"1.0", "", false},
		{" 1", "", false},
		{"١٢", "", false}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tt := range tests {
		got, ok := upstream.CanonicalRoomID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalRoomID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
