package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

const bilal = "Authorization: Bearer demo-bilal"

// aGroupToJoin finds a public group Bilal is not a member of.
func aGroupToJoin(t *testing.T, env *servicetest.Env) (id string, members int) {
	t.Helper()
	resp := env.Post(t, `{ rooms(ids: ["2","3","4","5","6","7","8","9","11","12","13","14"]) { id roomType isPublic isMember membersCount } }`, nil, bilal)
	for _, r := range resp.Data["rooms"].([]any) {
		if servicetest.At(r, "roomType") == "GROUP" && servicetest.At(r, "isPublic") == true && servicetest.At(r, "isMember") == false {
			n, _ := servicetest.At(r, "membersCount").(json.Number).Int64()
			return servicetest.At(r, "id").(string), int(n)
		}
	}
	t.Fatalf("no public group to join: %s", resp.Raw)
	return "", 0
}

// TestWriteThenRead: the payload, a later field of the same request and the
// next request all see the state after the write, with sharing across requests
// off and on.
func TestWriteThenRead(t *testing.T) {
	for name, cfg := range map[string]func(*service.Config){
		"sharing off": nil,
		"sharing on": func(c *service.Config) {
			c.RoomCoalesce, c.RoomCacheTTL = true, time.Minute
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := servicetest.New(t, servicetest.Options{Config: cfg})
			id, before := aGroupToJoin(t, env) // also fills the shared cache, when on
			q := fmt.Sprintf(`mutation { joined: joinRoom(id: %q) { room { isMember membersCount } } again: joinRoom(id: %q) { room { isMember } } }`, id, id)
			resp := env.Post(t, q, nil, bilal)
			if len(resp.Errors) > 0 || servicetest.At(resp.Data, "joined", "room", "isMember") != true ||
				servicetest.At(resp.Data, "joined", "room", "membersCount") != servicetest.JSONNumber(fmt.Sprint(before+1)) {
				t.Fatalf("join: %s (had %d members)", resp.Raw, before)
			}
			if servicetest.At(resp.Data, "again", "room", "isMember") != true {
				t.Errorf("joining again is not an error and shows the state: %s", resp.Raw)
			}
			next := env.Post(t, fmt.Sprintf(`{ room(id: %q) { isMember } }`, id), nil, bilal)
			if servicetest.At(next.Data, "room", "isMember") != true {
				t.Errorf("the next request reads the old state: %s", next.Raw)
			}
			left := env.Post(t, fmt.Sprintf(`mutation { leaveRoom(id: %q) { room { isMember } } }`, id), nil, bilal)
			if servicetest.At(left.Data, "leaveRoom", "room", "isMember") != false {
				t.Errorf("leave: %s", left.Raw)
			}
			if next := env.Post(t, fmt.Sprintf(`{ room(id: %q) { isMember } }`, id), nil, bilal); servicetest.At(next.Data, "room", "isMember") != false {
				t.Errorf("after leaving, the next request reads %s", next.Raw)
			}
		})
	}
}

func TestAnonymousWritesMakeNoCall(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	resp := env.Post(t, `mutation { joinRoom(id: "2") { room { id } } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.Unauthenticated {
		t.Errorf("anonymous join: %s, want UNAUTHENTICATED", resp.Raw)
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("an anonymous write made %d upstream calls", n)
	}
}

// TestEveryNewField asks for every field of the graph once, as a signed-in
// viewer, and expects data for all of it.
func TestEveryNewField(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const q = `{
  user(username: "aisha") {
    id username firstName lastName bio country avatarUrls { small } createdAt joiningYear verified isAdmin
    postsCount followersCount likesCount followed languageIsoCode settings { ayahLanguages } mutualFollowersCount
    mutualFollowers { username }
    followers(first: 3) { totalCount edges { cursor node { id username createdAt joiningYear profile { id } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
    following(first: 3) { totalCount nodes { username } }
    posts(first: 2, sortBy: POPULAR) { totalCount nodes { id } }
  }
  post(id: "4001") {
    id body createdAt updatedAt publishedAt visibility likesCount commentsCount viewsCount isLiked isSaved
    author { id username createdAt profile { username } }
    room { id name subdomain roomType }
    tags { id name } references { chapterId from to }
    comments(first: 3) { totalCount nodes { id body createdAt isPrivate repliesCount author { username } } }
  }
  searchRooms(query: "room", first: 3) { totalCount nodes { id name } }
  pages: searchRooms(query: "", type: PAGE, first: 2) { nodes { roomType } }
  room(url: "group-1") {
    members(first: 2) { totalCount edges { isAdmin isOwner isActive node { id username firstName lastName verified avatarUrls { small } followed followersCount profile { id } } } }
    posts(first: 2, tab: PUBLIC) { totalCount }
  }
  viewer { user { username } managedRooms(first: 2) { totalCount nodes { id } } }
}`
	resp := env.Post(t, q, nil, aisha)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %s", resp.Raw)
	}
	for _, path := range [][]any{
		{"user", "followers", "edges", 0, "node", "profile", "id"},
		{"user", "following", "nodes", 0, "username"},
		{"post", "author", "profile", "username"},
		{"post", "tags", 0, "name"},
		{"post", "references", 0, "chapterId"},
		{"post", "comments", "nodes", 0, "body"},
		{"searchRooms", "nodes", 0, "id"},
		{"room", "members", "edges", 1, "node", "profile", "id"},
		{"viewer", "managedRooms", "nodes", 0, "id"},
	} {
		if servicetest.At(resp.Data, path...) == nil {
			t.Errorf("%v is missing", path)
		}
	}
	if got := servicetest.At(resp.Data, "pages", "nodes", 0, "roomType"); got != "PAGE" {
		t.Errorf("searching pages found a %v", got)
	}
	// The post does not carry its author's createdAt: it comes from the
	// author's profile, the same as the profile's own.
	if got, want := servicetest.At(resp.Data, "post", "author", "createdAt"), "2019-03-02T08:15:00Z"; got != want {
		t.Errorf("an author's createdAt is %v, want the profile's %v", got, want)
	}
}

func TestFollowAPage(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	before := env.Post(t, `{ room(subdomain: "page8") { id isMember membersCount } }`, nil, bilal)
	id, _ := servicetest.At(before.Data, "room", "id").(string)
	if id == "" {
		t.Fatal(before.Raw)
	}
	was := servicetest.At(before.Data, "room", "isMember") == true
	first, second := "followRoom", "unfollowRoom"
	if was {
		first, second = second, first
	}
	for _, write := range []string{first, first, second} { // the repeat asks for the state already in place
		resp := env.Post(t, fmt.Sprintf(`mutation { %s(id: %q) { room { isMember } } }`, write, id), nil, bilal)
		if want := write == "followRoom"; len(resp.Errors) > 0 || servicetest.At(resp.Data, write, "room", "isMember") != want {
			t.Fatalf("%s: %s, want isMember %v", write, resp.Raw, want)
		}
	}
	after := env.Post(t, `{ room(subdomain: "page8") { isMember membersCount } }`, nil, bilal)
	if servicetest.At(after.Data, "room", "membersCount") != servicetest.At(before.Data, "room", "membersCount") {
		t.Errorf("follow then unfollow changed membersCount: %s then %s", before.Raw, after.Raw)
	}
}

// TestWritesSpendTheBudget: a write is an upstream call like any other: the
// operation's allowance counts it.
func TestWritesSpendTheBudget(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: capCalls(2)})
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range 10 {
		fmt.Fprintf(&q, ` f%d: followRoom(id: "4") { room { id } }`, i)
	}
	q.WriteString(" }")
	resp := env.Post(t, q.String(), nil, bilal)
	if n := env.Fake.Stats().Calls[fake.RouteFollowRoom]; n > 2 || len(resp.Errors) == 0 {
		t.Errorf("ten follows under a cap of 2 made %d calls (errors %v)", n, resp.Errors)
	}
}

// TestListsAfterAWrite: a list read before a write in the same operation is
// read again after it.
func TestListsAfterAWrite(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	id, _ := aGroupToJoin(t, env)
	q := fmt.Sprintf(`mutation {
  a: joinRoom(id: %[1]q) { room { membersCount members(first: 50) { totalCount } } }
  b: leaveRoom(id: %[1]q) { room { membersCount members(first: 50) { totalCount } } } }`, id)
	resp := env.Post(t, q, nil, bilal)
	for _, w := range []string{"a", "b"} {
		count := servicetest.At(resp.Data, w, "room", "membersCount")
		if total := servicetest.At(resp.Data, w, "room", "members", "totalCount"); count == nil || total != count {
			t.Errorf("%s: membersCount %v but members.totalCount %v: %s", w, count, total, resp.Raw)
		}
	}
}

// TestListedRoomsKeepTheProfileFields: a room met in a list serves what list
// items carry, and loads its profile for what only the profile has.
func TestListedRoomsKeepTheProfileFields(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const q = `{ viewer { joinedRooms(query: "Morning Reflections", first: 1) { nodes { id
  posts(first: 1) { nodes { room { id privateToken mutualFollowersCount } } } } } } }`
	resp := env.Post(t, q, nil, aisha)
	room := servicetest.At(resp.Data, "viewer", "joinedRooms", "nodes", 0, "posts", "nodes", 0, "room")
	if servicetest.At(room, "privateToken") != "invite-7919-secret" || servicetest.At(room, "mutualFollowersCount") == nil {
		t.Errorf("a listed room's profile fields: %s", resp.Raw)
	}
}

// TestARoomWriteMakesItsPostsStale: which of a room's posts a viewer may see
// can depend on membership, so a room write declares the room's posts stale: a
// later write of the same operation reads them again.
func TestARoomWriteMakesItsPostsStale(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	id, _ := aGroupToJoin(t, env)
	q := fmt.Sprintf(`mutation {
  a: joinRoom(id: %[1]q) { room { posts(first: 1) { totalCount } } }
  b: leaveRoom(id: %[1]q) { room { posts(first: 1) { totalCount } } } }`, id)
	before := env.Fake.Stats().Calls[fake.RouteRoomPosts]
	resp := env.Post(t, q, nil, bilal)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %s", resp.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteRoomPosts] - before; n != 2 {
		t.Errorf("two writes each reading the room's posts made %d calls for them, want 2 (one per write)", n)
	}
}

// TestAWriteAndItsReadAreTwoCalls: the write and the read of the payload each
// count against MAX_UPSTREAM_CALLS: with one call allowed, the write is made and
// the read after it is refused at the payload's field.
func TestAWriteAndItsReadAreTwoCalls(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: capCalls(1)})
	resp := env.Post(t, `mutation { followRoom(id: "4") { room { id } } }`, nil, bilal)
	if n := env.Fake.Stats().Calls[fake.RouteFollowRoom]; n != 1 {
		t.Fatalf("follow calls = %d, want 1: %s", n, resp.Raw)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.TooManyCalls ||
		fmt.Sprint(resp.Errors[0].Path) != "[followRoom room]" || servicetest.At(resp.Data, "followRoom", "room") != nil {
		t.Errorf("want the read after the write refused at followRoom.room: %s", resp.Raw)
	}
}
