package fake

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestValidation(t *testing.T) {
	a := newAPI(t)
	const (
		rooms = "/quran-reflect/v1/rooms/"
		users = "/quran-reflect/v1/users/" + aisha
		posts = "/quran-reflect/v1/posts/"
	)
	for _, tc := range []struct {
		path, param, why string // why "" for 200
	}{
		{rooms + "1/members?limit=50", "", ""},
		{rooms + "1/members?limit=50&page=9223372036854775807", "", ""},
		{rooms + "1/members?page=99999999999999999999", "page", "INVALID"},
		{rooms + "1/members?limit=51", "limit", "MAX"},
		{rooms + "1/members?limit=0", "limit", "MIN"},
		{rooms + "1/members?page=0", "page", "MIN"},
		{rooms + "1/members?limit=ten", "limit", "INVALID"},
		{rooms + "joined-rooms?limit=5", "", ""},
		{rooms + "joined-rooms?limit=6", "limit", "MAX"},
		{rooms + "managed-rooms?limit=6", "limit", "MAX"},
		{rooms + "joined-rooms?sortBy=NEWEST", "sortBy", "INVALID"},
		{rooms + "search?limit=50", "", ""},
		{rooms + "search?limit=51", "limit", "MAX"},
		{rooms + "search?roomType=CLUB", "roomType", "INVALID"},
		{rooms + "1/posts?limit=20", "", ""},
		{rooms + "1/posts?limit=21", "limit", "MAX"},
		{rooms + "1/posts?tab=drafts", "tab", "INVALID"},
		{rooms + "1/posts?sortBy=oldest", "sortBy", "INVALID"},
		{rooms + "999/posts?limit=21", "limit", "MAX"}, // validation comes first
		{posts + "user-posts/" + aisha + "?limit=21", "limit", "MAX"},
		{posts + "4001/comments?limit=21", "limit", "MAX"},
		{posts + "4001/comments?page=-1", "page", "MIN"},
		{users + "/followers?limit=21", "limit", "MAX"},
		{users + "/following?limit=21", "limit", "MAX"},
		{users + "/following?limit=20", "", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			ans := a.get(tc.path, "demo-aisha")
			if tc.why == "" {
				if ans.status != 200 {
					t.Errorf("%d %s", ans.status, ans.raw)
				}
				return
			}
			if ans.status != 422 || ans.body["type"] != "unprocessable_entity" || ans.body["message"] != "Validation Error" {
				t.Fatalf("%d %s, want 422", ans.status, ans.raw)
			}
			upstream, _ := ans.body["details"].(map[string]any)
			e, _ := upstream["error"].(map[string]any)
			details, _ := e["details"].(map[string]any)
			if e["code"] != "ValidationError" || details[tc.param] != tc.why {
				t.Errorf("details %v, want %s: %s", upstream, tc.param, tc.why)
			}
		})
	}
}

func TestStatsPerRoute(t *testing.T) {
	a := newAPI(t)
	anon := a.anonymous()
	a.get("/quran-reflect/v1/rooms/1", anon)
	a.get("/quran-reflect/v1/rooms/1/members", anon)
	a.get("/quran-reflect/v1/rooms/1/members?page=2", anon)
	a.get("/quran-reflect/v1/rooms/999/members", anon)
	a.get("/quran-reflect/v1/rooms/1/members?limit=99", anon)
	a.get("/quran-reflect/v1/rooms/joined-rooms", anon) // 401, still a call
	a.get("/quran-reflect/v1/posts/4001/comments", "demo-aisha")
	a.do(http.MethodPost, "/quran-reflect/v1/users/"+bilal+"/toggle-follow", "demo-aisha", "")
	a.get("/quran-reflect/v1/elsewhere", "demo-aisha")
	st := a.f.Stats()
	want := map[string]int{
		RouteRoom: 1, RouteRoomMembers: 4, RouteJoinedRooms: 1, RoutePostComments: 1, RouteToggleFollow: 1, RouteNotFound: 1,
	}
	if len(st.Calls) != len(want) {
		t.Errorf("calls %v, want %v", st.Calls, want)
	}
	for route, n := range want {
		if st.Calls[route] != n {
			t.Errorf("Calls[%q] = %d, want %d", route, st.Calls[route], n)
		}
	}
	if st.APICalls != 9 || st.RoomCalls != 1 || st.CallsByID["1"] != 1 || st.TokenRequests != 1 || st.InFlight != 0 {
		t.Errorf("api calls %d, room calls %d, by id %v, token requests %d, in flight %d",
			st.APICalls, st.RoomCalls, st.CallsByID, st.TokenRequests, st.InFlight)
	}
	a.f.ResetStats()
	if st := a.f.Stats(); st.APICalls != 0 || len(st.Calls) != 0 || st.RoomCalls != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
}

func TestRouteFault(t *testing.T) {
	a := newAPI(t)
	a.f.SetRouteFault(RouteRoomMembers, Fault{Status: 503, Body: `{"message":"down"}`, Times: 2})
	for i, want := range []int{503, 503, 200} {
		if ans := a.get("/quran-reflect/v1/rooms/1/members", "demo-aisha"); ans.status != want {
			t.Errorf("call %d: %d, want %d", i+1, ans.status, want)
		}
	}
	if ans := a.get("/quran-reflect/v1/rooms/1", "demo-aisha"); ans.status != 200 {
		t.Errorf("another route: %d", ans.status)
	}
	// A room's own fault wins over its route's.
	a.f.SetRouteFault(RouteRoom, Fault{Status: 502})
	a.f.SetFault("2", Fault{Status: 429, RetryAfter: "1"})
	if a.get("/quran-reflect/v1/rooms/2", "demo-aisha").status != 429 || a.get("/quran-reflect/v1/rooms/3", "demo-aisha").status != 502 {
		t.Error("room fault and route fault")
	}
}

// TestLatencyStopsWithTheCaller: with an hour of latency, a call whose caller
// has gone returns at once, without an answer.
func TestLatencyStopsWithTheCaller(t *testing.T) {
	f := New(Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct{ method, path string }{
		{"GET", "/quran-reflect/v1/rooms/1"},
		{"GET", "/quran-reflect/v1/rooms/1/members"},
		{"GET", "/quran-reflect/v1/rooms/group/group-1"},
		{"GET", "/quran-reflect/v1/users/profile"},
		{"GET", "/quran-reflect/v1/posts/4001/comments"},
		{"POST", "/quran-reflect/v1/rooms/1/leave"},
	} {
		req := httptest.NewRequestWithContext(ctx, tc.method, tc.path, nil)
		req.Header.Set("x-client-id", DemoClientID)
		req.Header.Set("x-auth-token", "demo-aisha")
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		if rec.Body.Len() != 0 {
			t.Errorf("%s %s answered %q", tc.method, tc.path, rec.Body)
		}
	}
	if st := f.Stats(); st.APICalls != 6 || st.InFlight != 0 {
		t.Errorf("calls %d, in flight %d", st.APICalls, st.InFlight)
	}
}
