package graph_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const everyField = `
fragment user on UserSummary {
  id avatarUrls { thumb original small medium large } createdAt joiningYear
  settings { ayahLanguages reflectionLanguages customized hideFollowSuggestion showFollowFeaturedSuggestion }
  username firstName lastName bio country followed languageId
  verified postAs isAdmin postsCount followersCount likesCount languageIsoCode
}
fragment room on Room {
  id name description roomType isActive isVerified isPublic hideFollowJoinButton isOwner isAdmin
  ownerId postsCount membersCount url subdomain country isMember createdAt
  avatarUrls { thumb original small medium large }
  privateToken mutualFollowersCount mutualFollowers { ...user }
}
query Every($big: ID!) {
  one: room(id: "1") { ...room }
  page: room(id: "4") { ...room }
  big: room(id: $big) { ...room }
}`

// TestEveryFieldGolden checks every field of Room and UserSummary, on rooms of
// every kind (a group, a page, a 19-digit id), for an anonymous viewer and for
// a signed-in one, against golden files (go test ./graph -update rewrites
// them). TestEveryTypeGolden covers the other types, one domain at a time.
func TestEveryFieldGolden(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for _, tc := range []struct{ name, header string }{
		{"anonymous", ""},
		{"fatima", "Authorization: Bearer demo-fatima"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.header != "" {
				headers = append(headers, tc.header)
			}
			resp := env.Post(t, everyField, map[string]any{"big": "1234567890123456789"}, headers...)
			if resp.Status != 200 || len(resp.Errors) > 0 {
				t.Fatalf("status %d, errors %v", resp.Status, resp.Errors)
			}
			matchGolden(t, filepath.Join("testdata", "every_field_"+tc.name+".json"), resp.Data)
		})
	}
}

// matchGolden compares v, as indented JSON, with the golden file (-update
// rewrites it).
func matchGolden(t *testing.T, golden string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./graph -update to create it)", err)
	}
	if string(got)+"\n" != string(want) {
		t.Errorf("answer differs from %s:\n%s", golden, got)
	}
}

// TestFieldSemantics pins what the golden files show, one rule at a time.
func TestFieldSemantics(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	user := env.Post(t, everyField, map[string]any{"big": "1234567890123456789"}, "Authorization: Bearer demo-aisha")
	anon := env.Post(t, everyField, map[string]any{"big": "001234567890123456789"})
	if len(user.Errors)+len(anon.Errors) > 0 {
		t.Fatalf("errors: %v %v", user.Errors, anon.Errors)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"19-digit id round-trips exactly", servicetest.At(anon.Data, "big", "id"), "1234567890123456789"},
		{"roomType enum from lower case", servicetest.At(anon.Data, "one", "roomType"), "GROUP"},
		{"page type", servicetest.At(anon.Data, "page", "roomType"), "PAGE"},
		{"room createdAt normalised to UTC", servicetest.At(anon.Data, "big", "createdAt"), "2025-06-15T10:00:00Z"},
		{"hideFollowJoinButton null when absent", servicetest.At(anon.Data, "page", "hideFollowJoinButton"), nil},
		{"mutualFollowers null for anonymous", servicetest.At(anon.Data, "one", "mutualFollowers"), nil},
		{"privateToken null for anonymous", servicetest.At(anon.Data, "big", "privateToken"), nil},
		{"privateToken null for a member who is not owner or admin", servicetest.At(user.Data, "big", "privateToken"), nil},
		{"isMember for a signed-in member", servicetest.At(user.Data, "big", "isMember"), true},
		{"mutual follower nested", servicetest.At(user.Data, "big", "mutualFollowers", 0, "username"), "fatima"},
		{"user date without zone read as UTC", servicetest.At(user.Data, "big", "mutualFollowers", 0, "createdAt"), "2000-01-21T00:00:00Z"},
		{"verified default when omitted", servicetest.At(user.Data, "one", "mutualFollowers", 1, "verified"), false},
		{"postsCount default when omitted", servicetest.At(user.Data, "one", "mutualFollowers", 1, "postsCount"), json.Number("0")},
		{"the omitting user", servicetest.At(user.Data, "one", "mutualFollowers", 1, "username"), "yusuf"},
		{"languageIsoCode default", servicetest.At(user.Data, "big", "mutualFollowers", 0, "languageIsoCode"), "en"},
		{"settings null when omitted", servicetest.At(user.Data, "big", "mutualFollowers", 0, "settings"), nil},
		{"postAs default", servicetest.At(user.Data, "big", "mutualFollowers", 0, "postAs"), false},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestNotFoundIsNullWithCode(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp := env.Post(t, `{ missing: room(id: "999") { id } here: room(id: "2") { id } }`, nil)
	if got := servicetest.At(resp.Data, "missing"); got != nil {
		t.Errorf("missing = %v, want null", got)
	}
	if got := resp.Code("missing"); got != errcode.NotFound {
		t.Errorf("code = %q, want NOT_FOUND (errors %v)", got, resp.Errors)
	}
	if got := servicetest.At(resp.Data, "here", "id"); got != "2" {
		t.Errorf("here.id = %v, want 2", got)
	}
}

// TestAliasesCostOneCallPerUniqueID is the batching contract: 20 aliases over 5
// ids, spelled with and without leading zeros, are 5 upstream calls.
func TestAliasesCostOneCallPerUniqueID(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	var q strings.Builder
	q.WriteString("{")
	for i := range 20 {
		id := fmt.Sprint(i%5 + 1)
		if i%2 == 1 {
			id = "00" + id
		}
		fmt.Fprintf(&q, " r%d: room(id: %q) { id name }", i, id)
	}
	q.WriteString(" }")
	resp := env.Post(t, q.String(), nil, "x-auth-token: demo-bilal")
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %v", resp.Errors)
	}
	st := env.Fake.Stats()
	if st.RoomCalls != 5 {
		t.Errorf("upstream room calls = %d, want 5 (by id: %v)", st.RoomCalls, st.CallsByID)
	}
	for id, n := range st.CallsByID {
		if n != 1 {
			t.Errorf("room %s fetched %d times, want once", id, n)
		}
	}
	t.Logf("20 aliases over 5 ids: %d upstream room calls", st.RoomCalls)
}

func TestRoomsOrderDuplicatesAndBadIDs(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	ids := []any{"3", "x", "3", "0", "9223372036854775808", "007", "999", "-5", "1e3", "3"}
	resp := env.Post(t, `query($ids: [ID!]!) { rooms(ids: $ids) { id } room(id: "7") { id } }`, map[string]any{"ids": ids})
	want := []any{"3", nil, "3", nil, nil, "7", nil, nil, nil, "3"}
	for i, w := range want {
		if got := servicetest.At(resp.Data, "rooms", i, "id"); got != w {
			t.Errorf("rooms[%d].id = %v, want %v", i, got, w)
		}
	}
	for _, c := range []struct{ path, code string }{
		{"rooms.1", errcode.BadUserInput}, {"rooms.3", errcode.BadUserInput},
		{"rooms.4", errcode.BadUserInput}, {"rooms.6", errcode.NotFound},
		{"rooms.7", errcode.BadUserInput}, {"rooms.8", errcode.BadUserInput},
	} {
		if got := resp.Code(c.path); got != c.code {
			t.Errorf("error at %s: code %q, want %q", c.path, got, c.code)
		}
	}
	if len(resp.Errors) != 6 {
		t.Errorf("%d errors, want 6: %v", len(resp.Errors), resp.Errors)
	}
	if st := env.Fake.Stats(); st.RoomCalls != 3 {
		t.Errorf("upstream calls = %d (%v), want 3: ids 3, 7, 999; invalid ids cost nothing", st.RoomCalls, st.CallsByID)
	}
}

func TestInvalidRoomIDCostsNoCall(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for _, id := range []string{"abc", "0", "", "12345678901234567890", " 1", "1.5"} {
		resp := env.Post(t, `query($id: ID!) { room(id: $id) { id } }`, map[string]any{"id": id})
		if got := resp.Code("room"); got != errcode.BadUserInput {
			t.Errorf("id %q: code %q, want BAD_USER_INPUT (%v)", id, got, resp.Errors)
		}
	}
	if st := env.Fake.Stats(); st.RoomCalls != 0 {
		t.Errorf("upstream calls = %d, want 0", st.RoomCalls)
	}
}

func TestIDsAsNumbersKeepEveryDigit(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	// A JSON number variable and an integer literal: neither may pass through float64.
	body := `{"query":"query($id: ID!) { a: room(id: $id) { id } b: room(id: 9007199254740993) { id } }","variables":{"id":1234567890123456789}}`
	req, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp := servicetest.Do(t, req)
	if got := servicetest.At(resp.Data, "a", "id"); got != "1234567890123456789" {
		t.Errorf("a.id = %v, want 1234567890123456789 (errors %v)", got, resp.Errors)
	}
	if got := servicetest.At(resp.Data, "b", "id"); got != "9007199254740993" {
		t.Errorf("b.id = %v, want 9007199254740993 (errors %v)", got, resp.Errors)
	}
}

// TestBatchRunsConcurrently shows a batch's calls overlap by the fake's in-flight
// count: the fake holds every call until 10 are waiting at once, which a
// sequential batch could never reach.
func TestBatchRunsConcurrently(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Post(t, `{ room(id: "1") { id } }`, nil) // fetch the service token first
	env.Fake.ResetStats()
	reached, release := env.Fake.HoldRooms(10)
	defer release()
	done := make(chan servicetest.Response, 1)
	go func() {
		done <- env.Post(t, `{ rooms(ids: ["1","2","3","4","5","6","7","8","9","10"]) { id } }`, nil)
	}()
	select {
	case <-reached:
	case <-time.After(10 * time.Second): // a guard against hanging, not a synchronisation
		t.Fatalf("the fake never saw 10 calls in flight at once (max %d)", env.Fake.Stats().MaxInFlight)
	}
	release()
	resp := <-done
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %v", resp.Errors)
	}
	if st := env.Fake.Stats(); st.MaxInFlight != 10 || st.RoomCalls != 10 {
		t.Errorf("max in flight %d, calls %d; want 10 and 10", st.MaxInFlight, st.RoomCalls)
	}
}

func TestBatchConcurrencyIsBounded(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.BatchConcurrency = 3 }})
	env.Post(t, `{ room(id: "1") { id } }`, nil)
	env.Fake.ResetStats()
	reached, release := env.Fake.HoldRooms(3) // 3 at once must happen: not sequential
	done := make(chan servicetest.Response, 1)
	go func() { done <- env.Post(t, `{ rooms(ids: ["1","2","3","4","5","6","7","8","9","10"]) { id } }`, nil) }()
	select {
	case <-reached:
	case <-time.After(10 * time.Second): // a guard, not a synchronisation
		t.Fatalf("never 3 calls in flight (max %d)", env.Fake.Stats().MaxInFlight)
	}
	release()
	resp := <-done
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %v", resp.Errors)
	}
	if st := env.Fake.Stats(); st.MaxInFlight != 3 || st.RoomCalls != 10 {
		t.Errorf("max in flight %d, calls %d; want exactly 3, and 10", st.MaxInFlight, st.RoomCalls)
	}
}

func TestUpstreamFailuresMapToCodes(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	leak := "LEAKED-UPSTREAM-BODY"
	faults := map[string]fake.Fault{
		"1":  {Status: 401, Body: `{"message":"` + leak + `","type":"unauthorized","success":false}`},
		"2":  {Status: 403, Body: `{"message":"` + leak + `","type":"forbidden","success":false}`},
		"3":  {Status: 429, RetryAfter: "7", Body: `{"type":"rate_limit_exceeded"}`},
		"4":  {Status: 500, Body: `{"message":"` + leak + `","type":"internal_server_error"}`},
		"5":  {Status: 502, Body: "<html>" + leak + "</html>", ContentType: "text/html"},
		"6":  {Status: 200, Body: "<html>" + leak + "</html>", ContentType: "text/html"},
		"7":  {Status: 200, Body: ""},
		"8":  {Status: 200, Body: `{"id": 8, "name": "` + leak},
		"11": {Status: 422, Body: `{"type":"unprocessable_entity"}`},
	}
	for id, f := range faults {
		env.Fake.SetFault(id, f)
	}
	env.Fake.Tamper("9", func(r map[string]any) { delete(r, "ownerId") })
	env.Fake.Tamper("10", func(r map[string]any) { r["roomType"] = "club" })
	resp := env.Post(t, `{
		a1: room(id: "1") { id } a2: room(id: "2") { id } a3: room(id: "3") { id }
		a4: room(id: "4") { id } a5: room(id: "5") { id } a6: room(id: "6") { id }
		a7: room(id: "7") { id } a8: room(id: "8") { id } a9: room(id: "9") { id }
		a10: room(id: "10") { id roomType } a11: room(id: "11") { id } ok: room(id: "12") { id name }
	}`, nil)
	want := map[string]string{
		"a1": errcode.Unauthenticated, "a2": errcode.Forbidden, "a3": errcode.RateLimited,
		"a4": errcode.Upstream, "a5": errcode.Upstream, "a6": errcode.Upstream,
		"a7": errcode.Upstream, "a8": errcode.Upstream, "a9": errcode.Upstream, "a11": errcode.Upstream,
	}
	for path, code := range want {
		if got := resp.Code(path); got != code {
			t.Errorf("%s: code %q, want %q", path, got, code)
		}
		if servicetest.At(resp.Data, path) != nil {
			t.Errorf("%s: data %v, want null", path, servicetest.At(resp.Data, path))
		}
	}
	for _, e := range resp.Errors {
		if servicetest.PathOf(e.Path) == "a3" {
			if got := fmt.Sprint(e.Extensions["retryAfter"]); got != "7" {
				t.Errorf("retryAfter = %v, want 7", got)
			}
		}
	}
	if got := servicetest.At(resp.Data, "a10", "id"); got != "10" {
		t.Errorf("unknown roomType failed the room: %v", resp.Errors)
	}
	if got, ok := resp.Data["a10"].(map[string]any); !ok || got["roomType"] != nil {
		t.Errorf("a10.roomType = %v, want null", got)
	}
	if got := servicetest.At(resp.Data, "ok", "name"); got != "Names of Allah" {
		t.Errorf("the healthy room suffered: ok.name = %v", got)
	}
	if len(resp.Errors) != len(want) {
		t.Errorf("%d errors, want %d: %v", len(resp.Errors), len(want), resp.Errors)
	}
	if strings.Contains(resp.Raw, leak) || strings.Contains(resp.Raw, env.Upstream.URL) {
		t.Errorf("the response carries an upstream body or URL: %s", resp.Raw)
	}
	if !strings.Contains(env.Logs.String(), "club") || !strings.Contains(env.Logs.String(), "ownerId") {
		t.Errorf("the log lacks the detail (unknown roomType, missing field):\n%s", env.Logs)
	}
}

func TestUnreachableUpstream(t *testing.T) {
	addr, release, err := fake.RefusingAddr()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	env := servicetest.New(t, servicetest.Options{APIBase: "http://" + addr})
	const id = "987654321" // from a variable: it must not reach the log
	resp := env.Post(t, `query($id: ID!) { room(id: $id) { id } }`, map[string]any{"id": id}, "Authorization: Bearer demo-aisha")
	if got := resp.Code("room"); got != errcode.Upstream {
		t.Errorf("code = %q, want UPSTREAM_ERROR (%v)", got, resp.Errors)
	}
	if logs := env.Logs.String(); strings.Contains(logs, id) || !strings.Contains(logs, "connection refused") {
		t.Errorf("the log of a refused connection should name the cause but not the room id:\n%s", logs)
	}
}

// panicky fails in a way no upstream would.
func panicky(context.Context, string, upstream.UserToken) (*upstream.Room, error) {
	panic("a bug in the fetcher")
}

func TestPanicBecomesInternalError(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{WrapRoom: func(loader.Fetch[string, *upstream.Room]) loader.Fetch[string, *upstream.Room] { return panicky }}})
	resp := env.Post(t, `{ room(id: "1") { id } }`, nil, "Authorization: Bearer demo-aisha")
	if got := resp.Code("room"); got != errcode.Internal {
		t.Errorf("code = %q, want INTERNAL_SERVER_ERROR (%v)", got, resp.Errors)
	}
	if strings.Contains(resp.Raw, "a bug") {
		t.Errorf("the panic value reached the client: %s", resp.Raw)
	}
	// The server is still up.
	if resp := env.Post(t, `{ __typename }`, nil); servicetest.At(resp.Data, "__typename") != "Query" {
		t.Errorf("after the panic: %s", resp.Raw)
	}
}

func TestLegitimateQueriesPassTheGuard(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprint(i%20 + 1)
	}
	var twenty strings.Builder
	for i := range 20 {
		fmt.Fprintf(&twenty, " r%d: room(id: \"%d\") { id name }", i, i%5+1)
	}
	for name, q := range map[string]servicetest.Response{
		"GraphiQL's introspection": env.Post(t, servicetest.IntrospectionQuery, nil),
		"every field":              env.Post(t, everyField, map[string]any{"big": "1"}, "Authorization: Bearer demo-aisha"),
		"100 ids":                  env.Post(t, `query($ids: [ID!]!) { rooms(ids: $ids) { id name roomType } }`, map[string]any{"ids": ids}),
		"20 aliases":               env.Post(t, "{"+twenty.String()+" }", nil),
	} {
		if len(q.Errors) > 0 || q.Data == nil {
			t.Errorf("%s: errors %v", name, q.Errors)
		}
	}
}

// TestAConfusedUpstreamIsAnError: an answer about another room than the one
// asked for (a gateway or cache that mixed two up) is UPSTREAM_ERROR, not served.
func TestAConfusedUpstreamIsAnError(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.Tamper("10", func(room map[string]any) { room["id"] = 11 })
	resp := env.Post(t, `{ room(id: "10") { id name } ok: room(id: "12") { id } }`, nil, "Authorization: Bearer demo-aisha")
	if got := resp.Code("room"); got != errcode.Upstream || servicetest.At(resp.Data, "room") != nil {
		t.Errorf("room 10 answered as room 11: code %q, %s", got, resp.Raw)
	}
	if servicetest.At(resp.Data, "ok", "id") != "12" {
		t.Errorf("the other room failed too: %s", resp.Raw)
	}
}
