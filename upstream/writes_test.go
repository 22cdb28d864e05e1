package upstream_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// writes are the client's room and follow writes, each with the "already"
// answer the upstream gives when its state already is the one asked for.
var writes = []struct {
	name, path, already string
	call                func(c *upstream.Client, as upstream.UserToken) error
}{
	{"join", "/quran-reflect/v1/rooms/42/join", "ALREADY_A_MEMBER", func(c *upstream.Client, as upstream.UserToken) error {
		return c.JoinRoom(context.Background(), "042", as)
	}},
	{"leave", "/quran-reflect/v1/rooms/42/leave", "NOT_A_MEMBER", func(c *upstream.Client, as upstream.UserToken) error {
		return c.LeaveRoom(context.Background(), "42", as)
	}},
	{"follow room", "/quran-reflect/v1/rooms/42/follow", "ALREADY_FOLLOWING", func(c *upstream.Client, as upstream.UserToken) error {
		return c.FollowRoom(context.Background(), "42", as)
	}},
	{"unfollow room", "/quran-reflect/v1/rooms/42/unfollow", "NOT_FOLLOWING", func(c *upstream.Client, as upstream.UserToken) error {
		return c.UnfollowRoom(context.Background(), "42", as)
	}},
	{"follow", "/quran-reflect/v1/users/" + uuidA + "/toggle-follow", "Action already in desired state",
		func(c *upstream.Client, as upstream.UserToken) error {
			return c.FollowUser(context.Background(), strings.ToUpper(uuidA), true, as)
		}},
}

func TestWritesSendTheirRequests(t *testing.T) {
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			c, s := serve(t, 200, `{"joined": true}`)
			if err := w.call(c, "tok"); err != nil {
				t.Fatal(err)
			}
			got := s.only(t)
			wantRequest(t, got, "POST", w.path, "")
			if w.name != "follow" && (got.Body != "" || got.Header.Get("Content-Type") != "") {
				t.Errorf("body %q, Content-Type %q; want none", got.Body, got.Header.Get("Content-Type"))
			}
		})
	}
}

// TestFollowUserSendsTheExplicitAction: toggle-follow gets the action asked
// for, so that a repeated call cannot undo the first.
func TestFollowUserSendsTheExplicitAction(t *testing.T) {
	for _, follow := range []bool{true, false} {
		t.Run(fmt.Sprint(follow), func(t *testing.T) {
			c, s := serve(t, 200, fmt.Sprintf(`{"followed": %v}`, follow))
			if err := c.FollowUser(context.Background(), uuidB, follow, "tok"); err != nil {
				t.Fatal(err)
			}
			got := s.only(t)
			want := `{"action":"unfollow"}`
			if follow {
				want = `{"action":"follow"}`
			}
			if got.Body != want || got.Header.Get("Content-Type") != "application/json" {
				t.Errorf("body %s (Content-Type %q), want %s (application/json)", got.Body, got.Header.Get("Content-Type"), want)
			}
			wantRequest(t, got, "POST", "/quran-reflect/v1/users/"+uuidB+"/toggle-follow", "")
		})
	}
}

// TestWritesReturnAlreadyAsRefusals: an answer saying the state already is
// the one asked for is no success to the client, whatever its wording: it
// comes back as the upstream's *StatusError, which the caller settles by
// reading the state, and carries the endpoint's refusal message.
func TestWritesReturnAlreadyAsRefusals(t *testing.T) {
	for _, w := range writes {
		tests := []struct {
			name, body string
			status     int
		}{
			{"as the message", `{"message":"` + w.already + `","type":"invalid_request","success":false}`, 400},
			{"lower case, spaced", `{"message":"` + strings.ToLower(strings.ReplaceAll(w.already, "_", " ")) + `"}`, 400},
			{"in a sentence", `{"message":"Sorry: ` + w.already + `."}`, 403},
			{"nested", `{"details":{"error":{"code":"` + w.already + `"}},"message":"Bad Request","type":"invalid_request"}`, 409},
		}
		for _, tt := range tests {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				c, s := serve(t, tt.status, tt.body)
				err := w.call(c, "tok")
				var se *upstream.StatusError
				if !errors.As(err, &se) || se.Status != tt.status {
					t.Fatalf("err = %v, want a *StatusError %d", err, tt.status)
				}
				var ue *upstream.Error
				if !errors.As(err, &ue) || ue.Refusal == "" || strings.Contains(ue.Refusal, w.already) {
					t.Errorf("refusal = %q, want the endpoint's own message", ue.Refusal)
				}
				if n := len(s.all()); n != 1 {
					t.Errorf("calls = %d, want 1", n)
				}
			})
		}
	}
}

// TestWritesReturnOtherRefusals: 400 and 403 that are not "already" answers
// are *StatusErrors naming the write.
func TestWritesReturnOtherRefusals(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		call   func(c *upstream.Client) error
		what   string
	}{
		{"private group", 403, `{"message":"Group is private - invitation required","type":"forbidden"}`,
			func(c *upstream.Client) error { return c.JoinRoom(context.Background(), "9", "tok") }, "join room 9"},
		{"wrong room type", 400, `{"message":"WRONG_ROOM_TYPE","type":"invalid_request"}`,
			func(c *upstream.Client) error { return c.FollowRoom(context.Background(), "9", "tok") }, "follow room 9"},
		{"owner leaving", 403, `{"message":"The owner cannot leave the room","type":"forbidden"}`,
			func(c *upstream.Client) error { return c.LeaveRoom(context.Background(), "9", "tok") }, "leave room 9"},
		{"following yourself", 400, `{"message":"Cannot follow yourself","type":"invalid_request"}`,
			func(c *upstream.Client) error { return c.FollowUser(context.Background(), uuidA, true, "tok") }, "follow user " + uuidA},
		{"anonymous", 401, `{"message":"Unauthorized","type":"unauthorized"}`,
			func(c *upstream.Client) error { return c.UnfollowRoom(context.Background(), "9", "tok") }, "unfollow room 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, tt.status, tt.body)
			err := tt.call(c)
			var se *upstream.StatusError
			if !errors.As(err, &se) || se.Status != tt.status {
				t.Fatalf("err = %v, want a *StatusError %d", err, tt.status)
			}
			if !strings.HasPrefix(err.Error(), "upstream: "+tt.what+": ") {
				t.Errorf("err = %q, want it to name %q", err, tt.what)
			}
		})
	}
}

func TestWritesRefuseBadIDs(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *upstream.Client) error{
		"join ..":           func(c *upstream.Client) error { return c.JoinRoom(ctx, "..", "tok") },
		"leave 0":           func(c *upstream.Client) error { return c.LeaveRoom(ctx, "0", "tok") },
		"follow room x":     func(c *upstream.Client) error { return c.FollowRoom(ctx, "x", "tok") },
		"unfollow room .":   func(c *upstream.Client) error { return c.UnfollowRoom(ctx, ".", "tok") },
		"follow a username": func(c *upstream.Client) error { return c.FollowUser(ctx, "aisha", true, "tok") },
		"follow ..":         func(c *upstream.Client) error { return c.FollowUser(ctx, "..", false, "tok") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			c, s := serve(t, 200, `{}`)
			if err := call(c); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
}

// TestWriteRetryRule: a write is tried again only when the upstream certainly
// did not run it (429, 503); not after a 502, a 504, a reset once the request
// was read, or a timeout, which may all come after it ran.
func TestWriteRetryRule(t *testing.T) {
	thenOK := func(code int) func(int, http.ResponseWriter, *http.Request) {
		return func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(code)
				return
			}
			io.WriteString(w, `{"joined": true}`)
		}
	}
	tests := []struct {
		name      string
		step      func(int, http.ResponseWriter, *http.Request)
		wantCalls int
		wantOK    bool
	}{
		{"429 is retried", thenOK(429), 2, true},
		{"503 is retried", thenOK(503), 2, true},
		{"502 is not", thenOK(502), 1, false},
		{"504 is not", thenOK(504), 1, false},
		{"500 is not", thenOK(500), 1, false},
		{"a reset after the request was read is not", func(n int, w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			if n == 1 {
				panic(http.ErrAbortHandler)
			}
			io.WriteString(w, `{"joined": true}`)
		}, 1, false},
		{"a timeout is not", func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				<-r.Context().Done()
				return
			}
			io.WriteString(w, `{"joined": true}`)
		}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{step: tt.step}
			c, _ := scriptedClient(t, s, func(c *upstream.Config) { c.AttemptTimeout = 50 * time.Millisecond })
			err := c.JoinRoom(context.Background(), "42", "user")
			if (err == nil) != tt.wantOK {
				t.Errorf("err = %v, want ok=%v", err, tt.wantOK)
			}
			if got := int(s.calls.Load()); got != tt.wantCalls {
				t.Errorf("attempts = %d, want %d", got, tt.wantCalls)
			}
		})
	}
	t.Run("a read is retried after a 502", func(t *testing.T) {
		s := &script{step: func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(502)
				return
			}
			io.WriteString(w, emptyList)
		}}
		c, _ := scriptedClient(t, s)
		if _, err := c.RoomMembers(context.Background(), upstream.MembersQuery{RoomID: "42", ListQuery: upstream.ListQuery{Page: 1, Limit: 1}}, "user"); err != nil {
			t.Error(err)
		}
		if got := s.calls.Load(); got != 2 {
			t.Errorf("attempts = %d, want 2", got)
		}
	})
}

// TestWriteRetriedWhenTheConnectionIsRefused: a refused connection never
// reached the upstream, so the write is tried again.
func TestWriteRetriedWhenTheConnectionIsRefused(t *testing.T) {
	refused := refusingAddr(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.WriteString(w, `{"followed": true}`)
	}))
	t.Cleanup(srv.Close)
	for _, refusals := range []int32{1, 5} {
		t.Run(fmt.Sprint(refusals, " refusals"), func(t *testing.T) {
			requests.Store(0)
			var dials atomic.Int32
			d := &net.Dialer{}
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				if dials.Add(1) <= refusals {
					return d.DialContext(ctx, network, refused)
				}
				return d.DialContext(ctx, network, srv.Listener.Addr().String())
			}}}
			cfg := configFor(srv.URL)
			cfg.Sleep = noWait
			err := upstream.New(cfg, hc).FollowRoom(context.Background(), "42", "user")
			if refusals == 1 && err != nil {
				t.Fatalf("err = %v, want the second attempt to succeed", err)
			}
			if refusals == 5 && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("err = %v, want connection refused", err)
			}
			if g, w := dials.Load(), min(refusals+1, 3); g != w {
				t.Errorf("dials = %d, want %d (MaxRetries 2)", g, w)
			}
			if g, w := requests.Load(), int32(1); refusals == 1 && g != w {
				t.Errorf("requests = %d, want %d", g, w)
			}
		})
	}
}

// TestWriteNotRetriedAfterAResetByPeer: a connection reset once the request
// was read is a network error like a refusal, but the upstream may have run the
// write: it is not tried again.
func TestWriteNotRetriedAfterAResetByPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var requests atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				if req, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
					io.ReadAll(req.Body)
					requests.Add(1)
				}
				conn.(*net.TCPConn).SetLinger(0) // close with a reset
				conn.Close()
			}()
		}
	}()
	cfg := configFor("http://" + ln.Addr().String())
	cfg.Sleep = noWait
	err = upstream.New(cfg, &http.Client{}).JoinRoom(context.Background(), "42", "user")
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want a network error", err)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

// countingTokens is a service token provider that counts what it is told to
// drop.
type countingTokens struct{ invalidated atomic.Int32 }

func (*countingTokens) Token(context.Context) (string, error) { return "service-token", nil }
func (c *countingTokens) Invalidate(string)                   { c.invalidated.Add(1) }

// TestUserOnlyEndpointsKeepTheServiceToken: the writes and the viewer's own
// reads answer the service's token with 401 by design; that must not drop a
// good token and fetch another (any anonymous caller could force one fetch a
// request), while any other read does renew it once.
func TestUserOnlyEndpointsKeepTheServiceToken(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		call       func(c *upstream.Client) error
		calls, inv int32
	}{
		{"join", func(c *upstream.Client) error { return c.JoinRoom(ctx, "1", "") }, 1, 0},
		{"follow", func(c *upstream.Client) error { return c.FollowUser(ctx, uuidA, true, "") }, 1, 0},
		{"joined rooms", func(c *upstream.Client) error {
			_, err := c.JoinedRooms(ctx, upstream.RoomsQuery{Page: 1, Limit: 1}, "")
			return err
		}, 1, 0},
		{"me", func(c *upstream.Client) error { _, err := c.Me(ctx, ""); return err }, 1, 0},
		{"my posts", func(c *upstream.Client) error {
			_, err := c.MyPosts(ctx, upstream.MyPostsQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: 1}}, "")
			return err
		}, 1, 0},
		{"create post", func(c *upstream.Client) error {
			_, err := c.CreatePost(ctx, upstream.NewPost{Body: "On patience"}, "")
			return err
		}, 1, 0},
		{"post liked", func(c *upstream.Client) error { _, err := c.PostLiked(ctx, "1", ""); return err }, 1, 0},
		{"delete comment", func(c *upstream.Client) error { return c.DeleteComment(ctx, "1", "") }, 1, 0},
		{"like comment", func(c *upstream.Client) error { _, err := c.ToggleCommentLike(ctx, "1", ""); return err }, 1, 0},
		{"a room", func(c *upstream.Client) error { _, err := c.Room(ctx, "1", ""); return err }, 2, 1},
		{"the feed", func(c *upstream.Client) error {
			_, err := c.Feed(ctx, upstream.FeedQuery{}.AtPage(1, 1), "")
			return err
		}, 2, 1},
		{"a view, which the service may record", func(c *upstream.Client) error { return c.RecordPostView(ctx, "1", "") }, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{step: status(401, "")}
			tokens := &countingTokens{}
			c, _ := scriptedClient(t, s, func(c *upstream.Config) { c.ServiceTokens = tokens })
			var se *upstream.StatusError
			if err := tt.call(c); !errors.As(err, &se) || se.Status != 401 {
				t.Errorf("err = %v, want 401", err)
			}
			if g := s.calls.Load(); g != tt.calls {
				t.Errorf("calls = %d, want %d", g, tt.calls)
			}
			if g := tokens.invalidated.Load(); g != tt.inv {
				t.Errorf("service token dropped %d times, want %d", g, tt.inv)
			}
		})
	}
}

// refusingAddr is a loopback address where every connection is refused: its
// port is bound but never listened on, so no other listener can take it while
// the test runs.
func refusingAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// TestAWriteAnswering201Succeeds: a write that creates something answers 201,
// which is success like a 200.
func TestAWriteAnswering201Succeeds(t *testing.T) {
	c, s := serve(t, http.StatusCreated, `{"joined":true}`)
	if err := c.JoinRoom(context.Background(), "9", "tok"); err != nil {
		t.Fatalf("a 201 answer: %v", err)
	}
	if n := len(s.all()); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
	r, _ := serve(t, http.StatusCreated, strings.Replace(minimalRoom, "%s", "42", 1))
	if _, err := r.Room(context.Background(), "42", "tok"); err == nil {
		t.Error("a read answering 201 succeeded; only a write may")
	}
}
