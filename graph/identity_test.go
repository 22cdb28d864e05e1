package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// identities walks an answer as a normalized cache would (Apollo's and urql's
// key is __typename:id): every object with both is one entry, and each of its
// scalar fields must hold one value however many places show it. It returns
// the conflicts, and the typenames each id was seen with.
func identities(data any) (conflicts []string, typenames map[string]map[string]bool) {
	entries := map[string]map[string]string{} // "Type:id" -> field -> JSON value
	where := map[string]map[string]string{}   // the same, -> the path that first set it
	typenames = map[string]map[string]bool{}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s.%d", path, i))
			}
		case map[string]any:
			typ, _ := v["__typename"].(string)
			id, _ := v["id"].(string)
			if typ != "" && id != "" {
				key := typ + ":" + id
				if typenames[id] == nil {
					typenames[id] = map[string]bool{}
				}
				typenames[id][typ] = true
				if entries[key] == nil {
					entries[key], where[key] = map[string]string{}, map[string]string{}
				}
				for f, fv := range v {
					if _, obj := fv.(map[string]any); obj {
						continue
					}
					if _, list := fv.([]any); list {
						continue
					}
					b, _ := json.Marshal(fv)
					if old, seen := entries[key][f]; seen && old != string(b) {
						conflicts = append(conflicts, fmt.Sprintf("%s.%s is %s at %s and %s at %s", key, f, old, where[key][f], b, path))
					} else if !seen {
						entries[key][f], where[key][f] = string(b), path
					}
				}
			}
			for f, fv := range v {
				walk(fv, path+"."+f)
			}
		}
	}
	walk(data, "data")
	sort.Strings(conflicts)
	return conflicts, typenames
}

// personFields are what the identity query asks of a person everywhere.
const personFields = `__typename id nodeId username followed followersCount verified postsCount bio`

// TestOnePersonOneCacheEntry (issue 21): one query shows Aisha, Bilal and
// the others as members of two rooms (where their roles differ), as mutual
// followers, post and comment authors, followers, a profile and the viewer.
// Walked as a normalized cache would, no __typename:id holds two values of a
// field, and every person is a User. Before, the members were RoomMember
// (keyed by the user's id, with the membership's isOwner on it: in one cache
// Aisha owned both rooms or neither) and authors were UserSummary with
// postsCount 0 (not carried, shown as 0).
func TestOnePersonOneCacheEntry(t *testing.T) {
	q := `fragment person on User { ` + personFields + ` }
	query {
	  a: room(id: "1") { __typename id nodeId members(first: 20) { edges { isOwner isAdmin node { ...person } } nodes { ...person } }
	    mutualFollowers { ...person } posts(first: 5) { nodes { __typename id author { ...person } comments(first: 5) { nodes { __typename id author { ...person } } } } } }
	  b: room(id: "2") { __typename id nodeId members(first: 20) { edges { isOwner isAdmin node { ...person } } } }
	  user(username: "aisha") { ...person followers(first: 20) { nodes { ...person } } following(first: 20) { edges { node { ...person } } }
	    mutualFollowers { ...person } }
	  viewer { user { ...person } }
	}`
	for _, who := range []string{"", "Authorization: Bearer demo-fatima", aisha} {
		t.Run(strings.TrimPrefix(who, "Authorization: Bearer "), func(t *testing.T) {
			env := servicetest.New(t, servicetest.Options{})
			var headers []string
			if who != "" {
				headers = append(headers, who)
			}
			resp := env.Post(t, q, nil, headers...)
			if len(resp.Errors) > 0 {
				t.Fatalf("errors: %s", resp.Raw)
			}
			conflicts, typenames := identities(resp.Data)
			for _, c := range conflicts {
				t.Error(c)
			}
			people := 0
			for id, types := range typenames {
				if len(types) > 1 {
					t.Errorf("id %s has typenames %v: one thing, one type", id, types)
				}
				if types["User"] {
					people++
				}
			}
			// The roles differ by room: someone owns one of the two rooms
			// and is a plain member of the other, on the edges.
			owners := map[string][]any{}
			for _, room := range []string{"a", "b"} {
				edges, _ := servicetest.At(resp.Data, room, "members", "edges").([]any)
				for _, e := range edges {
					if servicetest.At(e, "isOwner") == true {
						owners[room] = append(owners[room], servicetest.At(e, "node", "username"))
					}
				}
			}
			if len(owners["a"]) != 1 || len(owners["b"]) != 1 || owners["a"][0] == owners["b"][0] {
				t.Errorf("owners of rooms 1 and 2: %v, want one each, not the same person", owners)
			}
			if people < 5 {
				t.Errorf("%d people in the answer: the query should show several", people)
			}
			t.Logf("%d people, %d upstream calls (%d profiles)", people, env.Fake.Stats().APICalls, calls(env)[fake.RouteUser])
		})
	}
}

// TestIdentitiesSeeConflicts: the walk itself finds one thing with two values
// of a field, and one id with two typenames.
func TestIdentitiesSeeConflicts(t *testing.T) {
	var data any
	_ = json.Unmarshal([]byte(`{"a": {"__typename": "RoomMember", "id": "u1", "isOwner": true},
		"b": [{"__typename": "RoomMember", "id": "u1", "isOwner": false}, {"__typename": "User", "id": "u1"}]}`), &data)
	conflicts, typenames := identities(data)
	if len(conflicts) != 1 || !strings.Contains(conflicts[0], "RoomMember:u1.isOwner") || len(typenames["u1"]) != 2 {
		t.Errorf("conflicts %v, typenames %v", conflicts, typenames)
	}
}

func nodeID(typ, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id))
}

// TestNodeRoundTrip: every Node type that can be read by id comes back from
// node(nodeId:) as what gave the nodeId out, through the loaders.
func TestNodeRoundTrip(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	first := env.Post(t, `{ room(id: "1") { nodeId } post(id: "4001") { nodeId id author { nodeId id } comments(first: 1) { nodes { nodeId } } tags { nodeId } } }`, nil, aisha)
	if len(first.Errors) > 0 {
		t.Fatal(first.Raw)
	}
	post := servicetest.At(first.Data, "post")
	for _, tt := range []struct{ typ, nodeID, id string }{
		{"Room", servicetest.At(first.Data, "room", "nodeId").(string), "1"},
		{"Post", servicetest.At(post, "nodeId").(string), servicetest.At(post, "id").(string)},
		{"User", servicetest.At(post, "author", "nodeId").(string), servicetest.At(post, "author", "id").(string)},
	} {
		env.Fake.ResetStats()
		resp := env.Post(t, `query($n: ID!) { node(nodeId: $n) { __typename nodeId ... on Room { id } ... on Post { id } ... on User { id } } }`,
			map[string]any{"n": tt.nodeID}, aisha)
		if len(resp.Errors) > 0 || servicetest.At(resp.Data, "node", "__typename") != tt.typ ||
			servicetest.At(resp.Data, "node", "id") != tt.id || servicetest.At(resp.Data, "node", "nodeId") != tt.nodeID {
			t.Errorf("node(%s) = %s, want the %s %s", tt.nodeID, resp.Raw, tt.typ, tt.id)
		}
		if n := env.Fake.Stats().APICalls; n != 1 {
			t.Errorf("node(%s) cost %d calls, want 1", tt.typ, n)
		}
	}
	// A comment and a tag have nodeIds, but the upstream reads neither by id.
	for _, n := range []any{servicetest.At(post, "comments", "nodes", 0, "nodeId"), servicetest.At(post, "tags", 0, "nodeId")} {
		env.Fake.ResetStats()
		resp := env.Post(t, `query($n: ID!) { node(nodeId: $n) { nodeId } }`, map[string]any{"n": n}, aisha)
		if servicetest.At(resp.Data, "node") != nil || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.BadUserInput {
			t.Errorf("node(%v) = %s, want null and BAD_USER_INPUT", n, resp.Raw)
		}
		if c := env.Fake.Stats().APICalls; c != 0 {
			t.Errorf("node(%v) cost %d calls, want none", n, c)
		}
	}
}

// TestNodesBatchAndRefuse: 20 nodeIds naming 5 distinct rooms cost 5 calls,
// one already read by the operation costs none, and ids that name nothing
// readable are null with a coded error at their index, with no call.
func TestNodesBatchAndRefuse(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	var ids []string
	for i := range 20 {
		ids = append(ids, nodeID("Room", fmt.Sprint(1+i%5)))
	}
	resp := env.Post(t, `query($ids: [ID!]!) { nodes(nodeIds: $ids) { ... on Room { id } } }`, map[string]any{"ids": ids}, aisha)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	for i := range 20 {
		if got := servicetest.At(resp.Data, "nodes", i, "id"); got != fmt.Sprint(1+i%5) {
			t.Errorf("nodes[%d] = %v, want room %d", i, got, 1+i%5)
		}
	}
	if n := calls(env)[fake.RouteRoom]; n != 5 || env.Fake.Stats().APICalls != 5 {
		t.Errorf("20 ids of 5 rooms cost %d room calls (%d in all), want 5", n, env.Fake.Stats().APICalls)
	}

	env.Fake.ResetStats()
	resp = env.Post(t, `query($n: ID!) { room(id: "3") { name } node(nodeId: $n) { ... on Room { name } } }`, map[string]any{"n": nodeID("Room", "3")}, aisha)
	if len(resp.Errors) > 0 || servicetest.At(resp.Data, "node", "name") != servicetest.At(resp.Data, "room", "name") {
		t.Errorf("room and node of one room: %s", resp.Raw)
	}
	if n := env.Fake.Stats().APICalls; n != 1 {
		t.Errorf("a room read twice in one operation, by id and by nodeId, cost %d calls, want 1", n)
	}

	env.Fake.ResetStats()
	bad := []string{"not base64!", nodeID("Planet", "1"), nodeID("Room", "x"), nodeID("User", "not-a-uuid"), "", nodeID("Comment", "9")}
	resp = env.Post(t, `query($ids: [ID!]!) { nodes(nodeIds: $ids) { nodeId } }`, map[string]any{"ids": bad}, aisha)
	if len(resp.Errors) != len(bad) {
		t.Fatalf("%d errors for %d bad ids: %s", len(resp.Errors), len(bad), resp.Raw)
	}
	for i, e := range resp.Errors {
		if e.Extensions["code"] != errcode.BadUserInput || fmt.Sprint(e.Path) != fmt.Sprintf("[nodes %d]", i) {
			t.Errorf("error %d: %v at %v, want BAD_USER_INPUT at [nodes %d]", i, e.Extensions["code"], e.Path, i)
		}
		if servicetest.At(resp.Data, "nodes", i) != nil {
			t.Errorf("nodes[%d] is not null", i)
		}
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("bad ids cost %d calls, want none", n)
	}

	// A missing room: null, NOT_FOUND.
	resp = env.Post(t, `query($n: ID!) { node(nodeId: $n) { nodeId } }`, map[string]any{"n": nodeID("Room", "404404")}, aisha)
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.NotFound {
		t.Errorf("a missing room: %s, want NOT_FOUND", resp.Raw)
	}

	// nodes is capped as rooms(ids:) is.
	var many []string
	for i := range 500 {
		many = append(many, nodeID("Room", fmt.Sprint(i+1)))
	}
	env.Fake.ResetStats()
	resp = env.Post(t, `query($ids: [ID!]!) { nodes(nodeIds: $ids) { nodeId } }`, map[string]any{"ids": many}, aisha)
	if len(resp.Errors) == 0 || env.Fake.Stats().APICalls != 0 {
		t.Errorf("500 nodeIds: %d calls, errors %v; want refused with no call", env.Fake.Stats().APICalls, resp.Errors)
	}
}

// TestCursorsAreBoundToTheirList (issue 21): a cursor continues only the list
// it came from: room 1's members' cursor is refused for room 2's, a LATEST
// cursor for POPULAR, a user's followers' for their following; each
// BAD_USER_INPUT with no call for the list.
func TestCursorsAreBoundToTheirList(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp := env.Post(t, `{ room(id: "1") { members(first: 2) { pageInfo { endCursor } } posts(first: 1, sortBy: LATEST) { pageInfo { endCursor } } }
	  user(username: "aisha") { followers(first: 1) { pageInfo { endCursor } } } }`, nil, aisha)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	members := servicetest.At(resp.Data, "room", "members", "pageInfo", "endCursor")
	latest := servicetest.At(resp.Data, "room", "posts", "pageInfo", "endCursor")
	followers := servicetest.At(resp.Data, "user", "followers", "pageInfo", "endCursor")
	// The cursors work on their own lists.
	ok := env.Post(t, `query($m: String, $p: String, $f: String) { room(id: "1") { members(first: 2, after: $m) { totalCount } posts(first: 1, sortBy: LATEST, after: $p) { totalCount } }
	  user(username: "aisha") { followers(first: 1, after: $f) { totalCount } } }`, map[string]any{"m": members, "p": latest, "f": followers}, aisha)
	if len(ok.Errors) > 0 {
		t.Fatalf("cursors on their own lists: %s", ok.Raw)
	}
	for name, tt := range map[string]struct {
		q, route string
		cursor   any
	}{
		"room 1's members for room 2's": {`query($c: String) { room(id: "2") { members(first: 2, after: $c) { totalCount } } }`, fake.RouteRoomMembers, members},
		"LATEST for POPULAR":            {`query($c: String) { room(id: "1") { posts(first: 1, sortBy: POPULAR, after: $c) { totalCount } } }`, fake.RouteRoomPosts, latest},
		"another tab":                   {`query($c: String) { room(id: "1") { posts(first: 1, tab: PUBLIC, after: $c) { totalCount } } }`, fake.RouteRoomPosts, latest},
		"followers for following":       {`query($c: String) { user(username: "aisha") { following(first: 1, after: $c) { totalCount } } }`, fake.RouteFollowing, followers},
		"members for posts":             {`query($c: String) { room(id: "1") { posts(first: 1, after: $c) { totalCount } } }`, fake.RouteRoomPosts, members},
	} {
		env.Fake.ResetStats()
		resp := env.Post(t, tt.q, map[string]any{"c": tt.cursor}, aisha)
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.BadUserInput || !strings.Contains(resp.Errors[0].Message, "another list") {
			t.Errorf("%s: %s, want BAD_USER_INPUT (another list)", name, resp.Raw)
		}
		if n := calls(env)[tt.route]; n != 0 {
			t.Errorf("%s: %d calls for the list, want none", name, n)
		}
	}
}

// TestMembersPageBackward: last items before a cursor are the items just
// before it, in order, for one members call; last without before, and first
// with last, are BAD_USER_INPUT with no call.
func TestMembersPageBackward(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	all := env.Post(t, `{ room(id: "1") { members(first: 50) { edges { cursor node { username } } } } }`, nil, aisha)
	edges, _ := servicetest.At(all.Data, "room", "members", "edges").([]any)
	if len(edges) != 37 {
		t.Fatalf("room 1 has %d members: %s", len(edges), all.Raw)
	}
	env.Fake.ResetStats()
	resp := env.Post(t, `query($c: String) { room(id: "1") { members(last: 5, before: $c) { edges { cursor node { username } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } } }`,
		map[string]any{"c": servicetest.At(edges[20], "cursor")}, aisha)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	got, _ := servicetest.At(resp.Data, "room", "members", "edges").([]any)
	if len(got) != 5 {
		t.Fatalf("last 5 before the 21st member: %s", resp.Raw)
	}
	for i, e := range got {
		if servicetest.At(e, "node", "username") != servicetest.At(edges[15+i], "node", "username") || servicetest.At(e, "cursor") != servicetest.At(edges[15+i], "cursor") {
			t.Errorf("backward item %d = %v, want member %d %v", i, e, 15+i, edges[15+i])
		}
	}
	info := servicetest.At(resp.Data, "room", "members", "pageInfo")
	if servicetest.At(info, "hasPreviousPage") != true || servicetest.At(info, "hasNextPage") != true {
		t.Errorf("pageInfo %v: items before and after", info)
	}
	if n := calls(env)[fake.RouteRoomMembers]; n != 1 {
		t.Errorf("a backward page cost %d member calls, want 1", n)
	}
	for name, q := range map[string]string{
		"last without before": `{ room(id: "1") { members(last: 5) { totalCount } } }`,
		"first and last":      `query($c: String) { room(id: "1") { members(first: 5, last: 5, before: $c) { totalCount } } }`,
		"first and before":    `query($c: String) { room(id: "1") { members(first: 5, before: $c) { totalCount } } }`,
		"last over 50":        `query($c: String) { room(id: "1") { members(last: 51, before: $c) { totalCount } } }`,
	} {
		env.Fake.ResetStats()
		resp := env.Post(t, q, map[string]any{"c": servicetest.At(edges[20], "cursor")}, aisha)
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.BadUserInput {
			t.Errorf("%s: %s, want BAD_USER_INPUT", name, resp.Raw)
		}
		if n := calls(env)[fake.RouteRoomMembers]; n != 0 {
			t.Errorf("%s: %d member calls, want none", name, n)
		}
	}
}
