package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

const aisha = "Authorization: Bearer demo-aisha"

// calls is what the fake counted since the last reset, by route.
func calls(env *servicetest.Env) map[string]int { return env.Fake.Stats().Calls }

func TestRoomBySlug(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp := env.Post(t, `{ g: room(url: "group-1") { id name } p: room(subdomain: "page4") { id roomType } again: room(id: "1") { id } }`, nil, aisha)
	if len(resp.Errors) > 0 || servicetest.At(resp.Data, "g", "id") != "1" || servicetest.At(resp.Data, "p", "roomType") != "PAGE" {
		t.Fatalf("by slug: %s", resp.Raw)
	}
	c := calls(env)
	if c[fake.RouteRoomByURL] != 1 || c[fake.RouteRoomBySubdomain] != 1 || c[fake.RouteRoom] != 1 {
		t.Errorf("calls %v: want one by url, one by subdomain, and room 1 once by id", c)
	}
	for name, q := range map[string]string{
		"none":        `{ room { id } }`,
		"two":         `{ room(id: "1", url: "group-1") { id } }`,
		"dot-dot":     `{ room(url: "..") { id } }`,
		"slash":       `{ room(subdomain: "a/b") { id } }`,
		"bad user":    `{ user(id: "not-a-uuid") { id } }`,
		"no user arg": `{ user { id } }`,
		"bad post":    `{ post(id: "12x") { id } }`,
		"first > 50":  `{ room(id: "1") { members(first: 51) { totalCount } } }`,
		"negative":    `{ room(id: "1") { posts(first: -1) { totalCount } } }`,
		"our cursor?": `{ room(id: "1") { members(after: "bm90IG91cnM") { totalCount } } }`,
	} {
		env.Fake.ResetStats()
		resp := env.Post(t, q, nil, aisha)
		if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != errcode.BadUserInput {
			t.Errorf("%s: %s, want BAD_USER_INPUT", name, resp.Raw)
		}
		// The room itself may be fetched when the refusal is its list's.
		st := env.Fake.Stats()
		n := st.APICalls
		if strings.HasPrefix(q, `{ room(id: "1") {`) {
			n -= st.Calls[fake.RouteRoom]
		}
		if n != 0 {
			t.Errorf("%s: %d upstream calls, want none", name, n)
		}
	}
}

// TestMembersPageThrough37: first 10 at a time reaches every member once, in
// the order of one big page, and each page costs one upstream call at most.
func TestMembersPageThrough37(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	all := env.Post(t, `{ room(id: "1") { members(first: 50) { totalCount nodes { username } } } }`, nil, aisha)
	want := usernames(servicetest.At(all.Data, "room", "members", "nodes"))
	if len(want) != 37 || servicetest.At(all.Data, "room", "members", "totalCount") != servicetest.JSONNumber("37") {
		t.Fatalf("room 1 has %d members: %s", len(want), all.Raw)
	}
	var got []string
	after := ""
	for page := 0; ; page++ {
		q := `query($after: String) { room(id: "1") { members(first: 10, after: $after) { nodes { username } pageInfo { hasNextPage endCursor } } } }`
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		env.Fake.ResetStats()
		resp := env.Post(t, q, vars, aisha)
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Raw)
		}
		if n := calls(env)[fake.RouteRoomMembers]; n != 1 {
			t.Errorf("page %d cost %d member calls, want 1", page, n)
		}
		got = append(got, usernames(servicetest.At(resp.Data, "room", "members", "nodes"))...)
		if servicetest.At(resp.Data, "room", "members", "pageInfo", "hasNextPage") != true {
			break
		}
		after, _ = servicetest.At(resp.Data, "room", "members", "pageInfo", "endCursor").(string)
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged through\n%v\nwant\n%v", got, want)
	}
}

func usernames(nodes any) []string {
	var out []string
	list, _ := nodes.([]any)
	for _, n := range list {
		s, _ := servicetest.At(n, "username").(string)
		out = append(out, s)
	}
	return out
}

func TestJoinedRoomsTwelveCostThreeCalls(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp := env.Post(t, `{ viewer { joinedRooms(first: 12) { totalCount nodes { id name } pageInfo { hasNextPage } } } }`, nil, aisha)
	nodes, _ := servicetest.At(resp.Data, "viewer", "joinedRooms", "nodes").([]any)
	if len(resp.Errors) > 0 || len(nodes) != 12 {
		t.Fatalf("%d rooms: %s", len(nodes), resp.Raw)
	}
	if n := calls(env)[fake.RouteJoinedRooms]; n != 3 {
		t.Errorf("first 12 of joined rooms cost %d upstream calls, want 3 (pages of 5)", n)
	}
	// A room that came in the list is not fetched again when a post leads to it.
	env.Fake.ResetStats()
	resp = env.Post(t, `{ viewer { joinedRooms(first: 1) { nodes { posts(first: 2) { nodes { room { membersCount } } } } } } }`, nil, aisha)
	if len(resp.Errors) > 0 || calls(env)[fake.RouteRoom] != 0 {
		t.Errorf("a room from the list was fetched again by id: %v %s", calls(env), resp.Raw)
	}
	if anon := env.Post(t, `{ viewer { user { id } } }`, nil); servicetest.At(anon.Data, "viewer") != nil || len(anon.Errors) > 0 {
		t.Errorf("anonymous viewer: %s, want null without errors", anon.Raw)
	}
}

// TestNestedWaves: ten rooms, their posts, and each distinct author's profile
// cost exactly rooms + post lists + distinct authors; a post's room name costs
// nothing (the post carries it).
func TestNestedWaves(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	ids := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "11"}
	q := `query($ids: [ID!]!) { rooms(ids: $ids) { id posts(first: 5) { nodes { id room { name } author { id profile { followersCount } } } } } }`
	resp := env.Post(t, q, map[string]any{"ids": ids}, aisha)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	authors := map[string]bool{}
	rooms, _ := resp.Data["rooms"].([]any)
	for _, r := range rooms {
		posts, _ := servicetest.At(r, "posts", "nodes").([]any)
		for _, p := range posts {
			authors[servicetest.At(p, "author", "id").(string)] = true
			if servicetest.At(p, "room", "name") == nil || servicetest.At(p, "author", "profile", "followersCount") == nil {
				t.Errorf("post %v lacks its room name or its author's profile", servicetest.At(p, "id"))
			}
		}
	}
	st := env.Fake.Stats()
	want := len(ids) + len(ids) + len(authors)
	if st.APICalls != want || st.Calls[fake.RouteRoom] != len(ids) || st.Calls[fake.RouteUser] != len(authors) {
		t.Errorf("%d upstream calls %v, want %d: %d rooms + %d post lists + %d distinct authors",
			st.APICalls, st.Calls, want, len(ids), len(ids), len(authors))
	}
}

func TestUpstreamCallCap(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: capCalls(3)})
	resp := env.Post(t, `{ rooms(ids: ["1", "2"]) { members(first: 1) { nodes { profile { id } } } } }`, nil, aisha)
	found := false
	for _, e := range resp.Errors {
		found = found || e.Extensions["code"] == errcode.TooManyCalls
	}
	if n := env.Fake.Stats().APICalls; !found || n > 3 {
		t.Errorf("with a cap of 3: %d calls, errors %v; want at most 3 and TOO_MANY_UPSTREAM_CALLS", n, resp.Errors)
	}
}

func capCalls(n int) func(*service.Config) {
	return func(c *service.Config) { c.MaxUpstreamCalls = n }
}

// TestAFailedConnectionNullsItsHolder: connections are non-null, as the schema
// asks, so a member list the upstream fails nulls the room, with the error at
// members; the rest of the query is served.
func TestAFailedConnectionNullsItsHolder(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.SetRouteFault(fake.RouteRoomMembers, fake.Fault{Status: 500})
	resp := env.Post(t, `{ room(id: "1") { name members(first: 2) { totalCount } } other: room(id: "2") { name } }`, nil, aisha)
	if servicetest.At(resp.Data, "room") != nil || resp.Code("room.members") != errcode.Upstream {
		t.Errorf("a failed member list: %s, want room null with UPSTREAM_ERROR at room.members", resp.Raw)
	}
	if servicetest.At(resp.Data, "other", "name") == nil {
		t.Errorf("the rest of the query failed too: %s", resp.Raw)
	}
}
