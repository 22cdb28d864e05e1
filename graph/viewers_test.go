package graph_test

// Viewers and tokens: who the upstream is called as, and what never leaks.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// TestViewersNeverSeeEachOthersData runs viewers side by side (go test -race): the
// owner of a room sees its privateToken, nobody else does.
func TestViewersNeverSeeEachOthersData(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const q = `{ room(id: "1234567890123456789") { isOwner isAdmin privateToken mutualFollowersCount mutualFollowers { username } } }`
	type want struct {
		owner   bool
		private any
		mutual  any
	}
	viewers := map[string]want{
		"Authorization: Bearer demo-fatima": {true, "invite-19-secret", "3"},
		"x-auth-token: demo-aisha":          {false, nil, "2"},
		"Authorization: Bearer demo-bilal":  {false, nil, "2"},
		"":                                  {false, nil, nil},
	}
	var wg sync.WaitGroup
	for round := range 25 {
		for header, w := range viewers {
			wg.Go(func() {
				var hs []string
				if header != "" {
					hs = []string{header}
				}
				resp := env.Post(t, q, nil, hs...)
				if len(resp.Errors) > 0 {
					t.Errorf("round %d %q: %v", round, header, resp.Errors)
					return
				}
				if got := servicetest.At(resp.Data, "room", "isOwner"); got != w.owner {
					t.Errorf("round %d %q: isOwner %v, want %v", round, header, got, w.owner)
				}
				if got := servicetest.At(resp.Data, "room", "privateToken"); got != w.private {
					t.Errorf("round %d %q: privateToken %v, want %v", round, header, got, w.private)
				}
				if got := servicetest.At(resp.Data, "room", "mutualFollowersCount"); fmt.Sprint(got) != fmt.Sprint(w.mutual) {
					t.Errorf("round %d %q: mutualFollowersCount %v, want %v", round, header, got, w.mutual)
				}
			})
		}
	}
	wg.Wait()
}

func TestServiceTokenFetchedOnceAndRenewed(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if resp := env.Post(t, `{ room(id: "5") { id } }`, nil); len(resp.Errors) > 0 {
				t.Errorf("errors: %v", resp.Errors)
			}
		})
	}
	wg.Wait()
	if got := env.Fake.Stats().TokenRequests; got != 1 {
		t.Errorf("token requests after 30 anonymous queries = %d, want 1", got)
	}
	// Two hours on, the fake has expired the token; the service must get a new one.
	env.Clock.Add(2 * time.Hour)
	if resp := env.Post(t, `{ room(id: "5") { id } }`, nil); len(resp.Errors) > 0 {
		t.Fatalf("after expiry: %v", resp.Errors)
	}
	if got := env.Fake.Stats().TokenRequests; got != 2 {
		t.Errorf("token requests after expiry = %d, want 2", got)
	}
	// User tokens never touch the token endpoint.
	env.Post(t, `{ room(id: "5") { id } }`, nil, "Authorization: Bearer demo-aisha")
	if got := env.Fake.Stats().TokenRequests; got != 2 {
		t.Errorf("token requests after a user query = %d, want 2", got)
	}
}

func TestAuthHeaders(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const q = `{ room(id: "1234567890123456789") { isOwner } }`
	t.Run("Bearer wins over x-auth-token", func(t *testing.T) {
		resp := env.Post(t, q, nil, "Authorization: Bearer demo-fatima", "X-Auth-Token: demo-aisha")
		if got := servicetest.At(resp.Data, "room", "isOwner"); got != true {
			t.Errorf("isOwner = %v, want true (fatima's view): %v", got, resp.Errors)
		}
	})
	t.Run("x-auth-token alone", func(t *testing.T) {
		resp := env.Post(t, q, nil, "X-Auth-Token: demo-fatima")
		if got := servicetest.At(resp.Data, "room", "isOwner"); got != true {
			t.Errorf("isOwner = %v, want true: %v", got, resp.Errors)
		}
	})
	for _, h := range []string{"Basic ZGVtbzpkZW1v", "Bearer", "Bearer   ", "Token demo-aisha"} {
		t.Run("refused "+h, func(t *testing.T) {
			resp := env.Post(t, q, nil, "Authorization: "+h)
			if resp.Status != http.StatusUnauthorized || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.Unauthenticated {
				t.Errorf("status %d, errors %v; want 401 with UNAUTHENTICATED", resp.Status, resp.Errors)
			}
		})
	}
	t.Run("a token the upstream refuses", func(t *testing.T) {
		resp := env.Post(t, q, nil, "Authorization: Bearer not-a-real-token")
		if got := resp.Code("room"); got != errcode.Unauthenticated {
			t.Errorf("code = %q, want UNAUTHENTICATED", got)
		}
	})
}

func TestAnonymousWithoutClientSecret(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{NoSecret: true})
	resp := env.Post(t, `{ room(id: "1") { id } }`, nil)
	if got := resp.Code("room"); got != errcode.Unauthenticated {
		t.Errorf("anonymous: code %q, want UNAUTHENTICATED", got)
	}
	if st := env.Fake.Stats(); st.RoomCalls != 0 || st.TokenRequests != 0 {
		t.Errorf("calls %d, token requests %d; want none", st.RoomCalls, st.TokenRequests)
	}
	resp = env.Post(t, `{ room(id: "1") { id } }`, nil, "Authorization: Bearer demo-bilal")
	if got := servicetest.At(resp.Data, "room", "id"); got != "1" {
		t.Errorf("signed-in: %v, want room 1 (%v)", got, resp.Errors)
	}
}

func TestTokenEndpointFailure(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Before: func(f *fake.Server) { f.FailTokens(http.StatusInternalServerError) }})
	resp := env.Post(t, `{ a: room(id: "1") { id } b: room(id: "2") { id } __typename }`, nil)
	if resp.Code("a") != errcode.Upstream || resp.Code("b") != errcode.Upstream {
		t.Errorf("errors %v, want UPSTREAM_ERROR for both", resp.Errors)
	}
	if servicetest.At(resp.Data, "__typename") != "Query" {
		t.Errorf("a field that needs no upstream failed too: %s", resp.Raw)
	}
	if !strings.Contains(env.Logs.String(), "server_error") {
		t.Errorf("the log lacks the token endpoint's error code:\n%s", env.Logs)
	}
}

// TestSecretsStayOutOfLogs runs traffic that carries every kind of secret at
// debug level and then reads the whole log.
func TestSecretsStayOutOfLogs(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.SetFault("3", fake.Fault{Status: 503, Body: `{"message":"down"}`})
	env.Post(t, everyField, map[string]any{"big": "1234567890123456789"}, "Authorization: Bearer demo-fatima")
	env.Post(t, everyField, map[string]any{"big": "1234567890123456789"})
	env.Post(t, `{ a: room(id: "3") { id } b: room(id: "999") { id } }`, nil, "x-auth-token: demo-aisha")
	env.Post(t, `{ room(id: "1") { id } }`, nil, "Authorization: Bearer wrong-token-value")
	env.Post(t, `query($id: ID!, $ids: [ID!]!) { room(id: $id) { id } rooms(ids: $ids) { id } }`,
		map[string]any{"id": "VARIABLE-VALUE-1", "ids": []string{"3", "VARIABLE-VALUE-2"}})
	env.Post(t, `query($id: ID!) { room(id: $id) { id } }`, map[string]any{"id": map[string]any{"VARIABLE-VALUE-3": 1}})
	logs := env.Logs.String()
	for _, secret := range []string{"demo-fatima", "demo-aisha", "wrong-token-value", "fake-cc-", fake.DemoClientSecret,
		"invite-", "VARIABLE-VALUE"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
}
