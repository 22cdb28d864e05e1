package fake

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// demoRoomIDs are the rooms of a zero-Options Server.
func demoRoomIDs() []string {
	var out []string
	for i := 1; i <= 20; i++ {
		out = append(out, fmt.Sprint(i))
	}
	return append(out, "9007199254740993", "1234567890123456789")
}

func TestRoomProfileByViewer(t *testing.T) {
	a := newAPI(t)
	anon := a.ok("/quran-reflect/v1/rooms/1234567890123456789", a.anonymous())
	for _, k := range []string{"isMember", "mutualFollowers", "mutualFollowersCount", "privateToken"} {
		if _, ok := anon[k]; ok {
			t.Errorf("anonymous answer has %s", k)
		}
	}
	owner := a.ok("/quran-reflect/v1/rooms/1234567890123456789", "demo-fatima")
	if owner["privateToken"] != "invite-19-secret" || owner["isOwner"] != true || num(owner["mutualFollowersCount"]) != 3 {
		t.Errorf("owner's answer: %v", owner)
	}
	if got := str(owner["id"]); got != "1234567890123456789" {
		t.Errorf("id %s", got)
	}
	if a.get("/quran-reflect/v1/rooms/999", "demo-aisha").status != 404 {
		t.Error("room 999 found")
	}
}

func TestRoomBySlug(t *testing.T) {
	a := newAPI(t)
	for _, tc := range []struct {
		path, wantID string // "" for 404
	}{
		{"group/group-1", "1"},
		{"group/nineteen", "1234567890123456789"},
		{"page/page4", "4"},
		{"page/bigid", "9007199254740993"},
		{"group/page4", ""},   // a page is not found as a group
		{"page/group-1", ""},  // nor a group as a page
		{"group/GROUP-1", ""}, // slugs are matched as stored
		{"group/members", ""}, // a group url, not room "group"'s members
		{"page/nope", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			ans := a.get("/quran-reflect/v1/rooms/"+tc.path, "demo-aisha")
			if tc.wantID == "" {
				if ans.status != 404 || ans.body["message"] != "Room not found" {
					t.Errorf("%d %s, want 404 Room not found", ans.status, ans.raw)
				}
				return
			}
			byID := a.get("/quran-reflect/v1/rooms/"+tc.wantID, "demo-aisha")
			if ans.status != 200 || ans.raw != byID.raw {
				t.Errorf("%d %s\nwant the answer by id: %s", ans.status, ans.raw, byID.raw)
			}
		})
	}
	st := a.f.Stats()
	if st.Calls[RouteRoomByURL] != 5 || st.Calls[RouteRoomBySubdomain] != 4 || st.RoomCalls != 4 {
		t.Errorf("calls %v, room calls %d", st.Calls, st.RoomCalls)
	}
}

func TestMembers(t *testing.T) {
	a := newAPI(t)
	members := a.pages("/quran-reflect/v1/rooms/1/members", "demo-aisha", 10)
	got := ids(members)
	if len(got) != 37 {
		t.Fatalf("%d members, want 37", len(got))
	}
	want := append([]string{aisha, bilal, yusuf, maryam}, roomOneNewcomers()...)
	if !slices.Equal(got, want) {
		t.Errorf("members %v\nwant %v", got, want)
	}
	first := a.ok("/quran-reflect/v1/rooms/1/members?limit=10", "demo-aisha")
	if num(first["total"]) != 37 || num(first["pages"]) != 4 || num(first["limit"]) != 10 {
		t.Errorf("page meta %v", first)
	}
	last := a.ok("/quran-reflect/v1/rooms/1/members?limit=10&page=4", "demo-aisha")
	if n := len(items0(t, last, "data")); n != 7 {
		t.Errorf("page 4 has %d, want 7", n)
	}
	for _, m := range members[:3] {
		for _, k := range []string{"id", "username", "firstName", "lastName", "verified", "avatarUrls", "isAdmin", "isOwner", "isFollowed", "isActive", "followersCount"} {
			if _, ok := m[k]; !ok {
				t.Errorf("member %s has no %s", m["username"], k)
			}
		}
	}
	if members[0]["isOwner"] != true || members[1]["isAdmin"] != true || members[1]["isFollowed"] != true || members[0]["isFollowed"] != false {
		t.Errorf("aisha %v, bilal %v", members[0], members[1])
	}
	for _, id := range demoRoomIDs() {
		room := a.ok("/quran-reflect/v1/rooms/"+id, "demo-bilal")
		list := a.ok("/quran-reflect/v1/rooms/"+id+"/members?limit=50", "demo-bilal")
		if got, want := num(list["total"]), num(room["membersCount"]); got != want {
			t.Errorf("room %s: %d members listed, membersCount %d", id, got, want)
		}
	}
	if ans := a.get("/quran-reflect/v1/rooms/999/members", "demo-aisha"); ans.status != 404 {
		t.Errorf("unknown room: %d", ans.status)
	}
	if anon := a.ok("/quran-reflect/v1/rooms/1/members?limit=2", a.anonymous()); items0(t, anon, "data")[1]["isFollowed"] != false {
		t.Errorf("anonymous isFollowed: %v", anon)
	}
}

func TestJoinedAndManagedRooms(t *testing.T) {
	a := newAPI(t)
	joined := a.pages("/quran-reflect/v1/rooms/joined-rooms", "demo-aisha", 5)
	wantJoined := []string{"1", "2", "4", "5", "7", "8", "9", "13", "16", "17", "18", "9007199254740993", "1234567890123456789"}
	if got := ids(joined); !sameSet(got, wantJoined) {
		t.Errorf("joined %v, want %v", got, wantJoined)
	}
	if n := num(a.ok("/quran-reflect/v1/rooms/joined-rooms", "demo-aisha")["pages"]); n != 3 {
		t.Errorf("%d pages of 5, want 3", n)
	}
	names := make([]string, len(joined))
	for i, r := range joined {
		names[i] = strings.ToLower(str(r["name"]))
		for _, k := range []string{"privateToken", "mutualFollowers", "mutualFollowersCount"} {
			if _, ok := r[k]; ok {
				t.Errorf("list item %s has %s", r["id"], k)
			}
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("not by name: %v", names)
	}
	// The rooms' own answers agree.
	for _, id := range demoRoomIDs() {
		room := a.ok("/quran-reflect/v1/rooms/"+id, "demo-aisha")
		if got, want := room["isMember"], slices.Contains(wantJoined, id); got != want {
			t.Errorf("room %s: isMember %v, joined list says %v", id, got, want)
		}
	}
	desc := ids(a.pages("/quran-reflect/v1/rooms/joined-rooms?sortBy=NAME_DESC", "demo-aisha", 5))
	asc := ids(joined)
	slices.Reverse(asc)
	if !slices.Equal(desc, asc) {
		t.Errorf("NAME_DESC %v, want %v", desc, asc)
	}
	latest := a.pages("/quran-reflect/v1/rooms/joined-rooms?sortBy=LATEST_ACTIVITY", "demo-aisha", 5)
	if len(latest) != 13 {
		t.Errorf("LATEST_ACTIVITY: %d rooms", len(latest))
	}
	filtered := ids(a.pages("/quran-reflect/v1/rooms/joined-rooms?query=rEfLeC", "demo-aisha", 5))
	if want := []string{"1", "7", "18"}; !sameSet(filtered, want) {
		t.Errorf("query=rEfLeC: %v, want %v", filtered, want)
	}

	managed := a.pages("/quran-reflect/v1/rooms/managed-rooms", "demo-aisha", 5)
	if want := []string{"1", "8", "9", "16", "17", "9007199254740993"}; !sameSet(ids(managed), want) {
		t.Errorf("managed %v, want %v", ids(managed), want)
	}
	for _, r := range managed {
		if r["isOwner"] != true && r["isAdmin"] != true {
			t.Errorf("managed room %s: neither owner nor admin", r["id"])
		}
	}
}

func TestSearchRooms(t *testing.T) {
	a := newAPI(t)
	anon := a.anonymous()
	all := a.pages("/quran-reflect/v1/rooms/search", anon, 50)
	for _, r := range all {
		if r["isPublic"] != true {
			t.Errorf("private room %s found", r["id"])
		}
		if _, ok := r["isMember"]; ok {
			t.Errorf("anonymous search shows isMember")
		}
	}
	if len(all) != 18 { // 22 rooms, 5, 10, 15 and 20 private
		t.Errorf("%d public rooms, want 18", len(all))
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"query=TAFSIR", []string{"4"}},
		{"query=2%5E53", []string{"9007199254740993"}}, // in the description
		{"query=surah", nil},                           // rooms 5 and 20 are private
		{"roomType=PAGE", []string{"4", "8", "12", "16", "9007199254740993"}},
		{"roomType=page&query=names", []string{"12"}},
		{"query=study&roomType=GROUP", []string{"6"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := ids(a.pages("/quran-reflect/v1/rooms/search?"+tc.query, "demo-aisha", 50))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
