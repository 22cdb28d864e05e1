package fake

import (
	"net/http"
	"slices"
	"sync"
	"testing"
)

func TestJoinAndLeave(t *testing.T) {
	a := newAPI(t)
	post := func(path, token string) answer {
		return a.do(http.MethodPost, "/quran-reflect/v1/rooms/"+path, token, "")
	}
	membersCount := func(id string) int { return num(a.ok("/quran-reflect/v1/rooms/"+id, "demo-fatima")["membersCount"]) }

	if ans := post("1/join", "demo-fatima"); ans.status != 200 || ans.body["joined"] != true {
		t.Fatalf("join: %d %s", ans.status, ans.raw)
	}
	room := a.ok("/quran-reflect/v1/rooms/1", "demo-fatima")
	if room["isMember"] != true || num(room["membersCount"]) != 38 {
		t.Errorf("after joining: isMember %v, membersCount %v", room["isMember"], room["membersCount"])
	}
	members := ids(a.pages("/quran-reflect/v1/rooms/1/members", "demo-fatima", 50))
	if len(members) != 38 || members[37] != fatima {
		t.Errorf("members after joining: %d, last %s", len(members), members[len(members)-1])
	}
	if !slices.Contains(ids(a.pages("/quran-reflect/v1/rooms/joined-rooms", "demo-fatima", 5)), "1") {
		t.Error("room 1 not in Fatima's joined rooms")
	}
	// Fatima is one of Aisha's mutual followers in room 1 now.
	if n := num(a.ok("/quran-reflect/v1/rooms/1", "demo-aisha")["mutualFollowersCount"]); n != 4 {
		t.Errorf("Aisha's mutual followers in room 1: %d, want 4", n)
	}

	for _, tc := range []struct {
		name, path, token string
		status            int
		message           string
	}{
		{"join twice", "1/join", "demo-fatima", 400, "ALREADY_A_MEMBER"},
		{"leave", "1/leave", "demo-fatima", 200, ""},
		{"leave twice", "1/leave", "demo-fatima", 400, "NOT_A_MEMBER"},
		{"owner leaves", "1/leave", "demo-aisha", 403, "The owner cannot leave the room"},
		{"private group", "5/join", "demo-bilal", 403, "Group is private - invitation required"},
		{"join a page", "4/join", "demo-bilal", 400, "WRONG_ROOM_TYPE"},
		{"follow a group", "1/follow", "demo-fatima", 400, "WRONG_ROOM_TYPE"},
		{"unknown room", "999/join", "demo-bilal", 404, "Room not found"},
		{"admin leaves", "1/leave", "demo-bilal", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := post(tc.path, tc.token)
			if ans.status != tc.status || tc.message != "" && ans.body["message"] != tc.message {
				t.Errorf("%d %s, want %d %s", ans.status, ans.raw, tc.status, tc.message)
			}
		})
	}
	if got := membersCount("1"); got != 36 {
		t.Errorf("membersCount %d after Fatima and Bilal left, want 36", got)
	}
	if slices.Contains(ids(a.pages("/quran-reflect/v1/rooms/managed-rooms", "demo-bilal", 5)), "1") {
		t.Error("Bilal still manages room 1 after leaving it")
	}
	if ans := post("1/join", "demo-bilal"); ans.status != 200 || a.ok("/quran-reflect/v1/rooms/1", "demo-bilal")["isAdmin"] != false {
		t.Errorf("rejoining: %d, isAdmin must be false", ans.status)
	}
}

func TestFollowPages(t *testing.T) {
	a := newAPI(t)
	post := func(path, token string) answer {
		return a.do(http.MethodPost, "/quran-reflect/v1/rooms/"+path, token, "")
	}
	before := a.ok("/quran-reflect/v1/rooms/4", "demo-bilal")
	if ans := post("4/follow", "demo-bilal"); ans.status != 200 || ans.body["followed"] != true {
		t.Fatalf("follow: %d %s", ans.status, ans.raw)
	}
	after := a.ok("/quran-reflect/v1/rooms/4", "demo-bilal")
	if before["isMember"] != false || after["isMember"] != true || num(after["membersCount"]) != num(before["membersCount"])+1 {
		t.Errorf("isMember %v -> %v, membersCount %v -> %v", before["isMember"], after["isMember"], before["membersCount"], after["membersCount"])
	}
	for _, tc := range []struct {
		name, path, token string
		status            int
		answer            string
	}{
		{"follow twice", "4/follow", "demo-bilal", 400, "ALREADY_FOLLOWING"},
		{"unfollow", "4/unfollow", "demo-bilal", 200, "unfollowed"},
		{"unfollow twice", "4/unfollow", "demo-bilal", 400, "NOT_FOLLOWING"},
		{"owner unfollows", "9007199254740993/unfollow", "demo-aisha", 403, ""},
		{"unfollow a group", "2/unfollow", "demo-aisha", 400, "WRONG_ROOM_TYPE"},
		{"leave a page", "4/leave", "demo-aisha", 400, "WRONG_ROOM_TYPE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := post(tc.path, tc.token)
			if ans.status != tc.status || tc.status == 200 && ans.body[tc.answer] != true ||
				tc.status == 400 && ans.body["message"] != tc.answer {
				t.Errorf("%d %s, want %d %s", ans.status, ans.raw, tc.status, tc.answer)
			}
		})
	}
}

func TestToggleFollow(t *testing.T) {
	a := newAPI(t)
	toggle := func(id, token, body string) answer {
		return a.do(http.MethodPost, "/quran-reflect/v1/users/"+id+"/toggle-follow", token, body)
	}
	followers := func() int { return num(a.ok("/quran-reflect/v1/users/"+ibrahim, "demo-aisha")["followersCount"]) }
	mutual := func() int { return num(a.ok("/quran-reflect/v1/rooms/1", "demo-aisha")["mutualFollowersCount"]) }
	n, m := followers(), mutual()
	if ans := toggle(ibrahim, "demo-aisha", `{"action":"follow"}`); ans.status != 200 || ans.body["followed"] != true {
		t.Fatalf("follow: %d %s", ans.status, ans.raw)
	}
	if followers() != n+1 || a.ok("/quran-reflect/v1/users/ibrahim/profile", "demo-aisha")["followed"] != true {
		t.Errorf("followersCount %d -> %d", n, followers())
	}
	if mutual() != m+1 { // Ibrahim is in room 1
		t.Errorf("Aisha's mutual followers in room 1: %d -> %d", m, mutual())
	}
	for _, tc := range []struct {
		name, id, body string
		status         int
		message        string
		followed       bool
	}{
		{"follow twice", ibrahim, `{"action":"follow"}`, 400, "Action already in desired state", false},
		{"unfollow", ibrahim, `{"action":"unfollow"}`, 200, "", false},
		{"unfollow twice", ibrahim, `{"action":"unfollow"}`, 400, "Action already in desired state", false},
		{"no action toggles", ibrahim, ``, 200, "", true},
		{"empty object toggles", ibrahim, `{}`, 200, "", false},
		{"yourself", aisha, `{"action":"follow"}`, 400, "Cannot follow yourself", false},
		{"unknown user", "00000000-0000-4000-8000-000000000000", `{"action":"follow"}`, 404, "User not found", false},
		{"bad action", ibrahim, `{"action":"like"}`, 422, "Validation Error", false},
		{"bad JSON", ibrahim, `{"action":`, 400, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := toggle(tc.id, "demo-aisha", tc.body)
			if ans.status != tc.status || tc.message != "" && ans.body["message"] != tc.message ||
				tc.status == 200 && ans.body["followed"] != tc.followed {
				t.Errorf("%d %s, want %d %q followed=%v", ans.status, ans.raw, tc.status, tc.message, tc.followed)
			}
		})
	}
	if followers() != n {
		t.Errorf("followersCount %d, want %d again", followers(), n)
	}
}

func TestUserOnlyCallsRefuseAnonymous(t *testing.T) {
	a := newAPI(t)
	anon := a.anonymous()
	for _, tc := range []struct{ method, path string }{
		{"GET", "/quran-reflect/v1/rooms/joined-rooms"},
		{"GET", "/quran-reflect/v1/rooms/managed-rooms"},
		{"GET", "/quran-reflect/v1/users/profile"},
		{"POST", "/quran-reflect/v1/rooms/1/join"},
		{"POST", "/quran-reflect/v1/rooms/1/leave"},
		{"POST", "/quran-reflect/v1/rooms/4/follow"},
		{"POST", "/quran-reflect/v1/rooms/4/unfollow"},
		{"POST", "/quran-reflect/v1/users/" + aisha + "/toggle-follow"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			ans := a.do(tc.method, tc.path, anon, `{"action":"follow"}`)
			if ans.status != 401 || ans.body["type"] != "unauthorized" {
				t.Errorf("%d %s, want 401", ans.status, ans.raw)
			}
		})
	}
	if n := num(a.ok("/quran-reflect/v1/rooms/1", "demo-aisha")["membersCount"]); n != 37 {
		t.Errorf("membersCount %d after refused writes", n)
	}
}

// TestConcurrentWrites runs writes beside reads (go test -race).
func TestConcurrentWrites(t *testing.T) {
	a := newAPI(t)
	var wg sync.WaitGroup
	for _, token := range []string{"demo-bilal", "demo-fatima"} {
		wg.Go(func() {
			for range 20 {
				a.do(http.MethodPost, "/quran-reflect/v1/rooms/2/leave", token, "")
				a.do(http.MethodPost, "/quran-reflect/v1/rooms/2/join", token, "")
				a.do(http.MethodPost, "/quran-reflect/v1/users/"+zainab+"/toggle-follow", token, "")
			}
		})
		wg.Go(func() {
			for range 20 {
				a.get("/quran-reflect/v1/rooms/2/members", token)
				a.get("/quran-reflect/v1/rooms/2", token)
				a.get("/quran-reflect/v1/users/"+zainab+"/followers", token)
			}
		})
	}
	wg.Wait()
	if n := num(a.ok("/quran-reflect/v1/rooms/2", "demo-aisha")["membersCount"]); n != 5 {
		t.Errorf("room 2 has %d members, want 5 again", n)
	}
}
