package guard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// abuse is one class of abusive request and the code it must get.
type abuse struct {
	name     string
	body     string // the whole POST body
	wantCode string
	status   int
}

func abuses() []abuse {
	repeat := func(s string, n int) string { return strings.Repeat(s, n) }
	var aliases, directives, rootFields, deep strings.Builder
	for i := range 31 {
		fmt.Fprintf(&aliases, " a%d: id", i)
	}
	for range 21 {
		directives.WriteString(" @include(if: true)")
	}
	for i := range 21 {
		fmt.Fprintf(&rootFields, " t%d: __typename", i)
	}
	for i := range 11 {
		fmt.Fprintf(&deep, "f%d { ", i)
	}
	deep.WriteString("x" + repeat(" }", 11))

	var bomb strings.Builder
	bomb.WriteString(`{ room(id: "1") { ...F12 } } fragment F0 on Room { id name }`)
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&bomb, " fragment F%d on Room { ...F%d ...F%d }", i, i-1, i-1)
	}
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = "1"
	}
	literal := make([]string, 101)
	for i := range literal {
		literal[i] = fmt.Sprintf("%q", fmt.Sprint(i+1))
	}
	twenty := make(map[string]any)
	var twentyQ strings.Builder
	twentyQ.WriteString("query(")
	for i := range 20 {
		fmt.Fprintf(&twentyQ, "$i%d: [ID!]!", i)
		twenty[fmt.Sprintf("i%d", i)] = ids[:100]
	}
	twentyQ.WriteString(") {")
	for i := range 20 {
		fmt.Fprintf(&twentyQ, " r%d: rooms(ids: $i%d) { id }", i, i)
	}
	twentyQ.WriteString(" }")
	return []abuse{
		{"field duplication", servicetest.Body(`{ room(id: "1") {`+repeat(" id", 10_000)+` } }`, nil), errcode.TooManyTokens, 200},
		{"field duplication within the token limit", servicetest.Body(`{ room(id: "1") {`+repeat(" id", 1900)+` } }`, nil), errcode.TooManySelections, 200},
		{"conflicting aliases (14,070 merge errors)", servicetest.Body(`{ room(id: "1") {`+repeat(" id", 469)+repeat(" id: name", 30)+` } }`, nil), errcode.TooManySelections, 200},
		{"unused fragment", servicetest.Body(`{ __typename } fragment U on Room {`+repeat(" id", 1900)+` }`, nil), errcode.TooManySelections, 200},
		{"fragment name defined twice", servicetest.Body(`{ room(id: "1") { ...U } } fragment U on Room {`+repeat(" id", 400)+` } fragment U on Room { id }`, nil), "GRAPHQL_VALIDATION_FAILED", 200},
		{"20 rooms fields of 100 ids", servicetest.Body(twentyQ.String(), twenty), errcode.TooManyIDs, 200},
		{"fragment bomb", servicetest.Body(bomb.String(), nil), errcode.TooManySelections, 200},
		{"alias flood", servicetest.Body(`{ room(id: "1") {`+aliases.String()+` } }`, nil), errcode.TooManyAliases, 200},
		{"directive flood", servicetest.Body(`{ room(id: "1") { id`+directives.String()+` } }`, nil), errcode.TooManyDirectives, 200},
		{"root field flood", servicetest.Body(`{`+rootFields.String()+` }`, nil), errcode.TooManyRootFields, 200},
		{"deep nesting", servicetest.Body(`{ `+deep.String()+` }`, nil), errcode.TooDeep, 200},
		{"oversized body", servicetest.Body(`{ room(id: "1") { id } }`+repeat(" ", 70_000), nil), errcode.RequestTooLarge, 413},
		{"oversized variables", servicetest.Body(`query($x: String) { room(id: "1") { id } }`, map[string]any{"x": repeat("v", 70_000)}), errcode.RequestTooLarge, 413},
		{"10,000 ids in a variable", servicetest.Body(`query($ids: [ID!]!) { rooms(ids: $ids) { id } }`, map[string]any{"ids": ids}), errcode.TooManyIDs, 200},
		{"101 literal ids", servicetest.Body(`{ rooms(ids: [`+strings.Join(literal, ",")+`]) { id } }`, nil), errcode.TooManyIDs, 200},
		{"introspection fan-out", servicetest.Body(`{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`, nil), errcode.IntrospectionTooDeep, 200},
		{"complexity", servicetest.Body(`query($ids: [ID!]!) { rooms(ids: $ids) { id name description mutualFollowers { id username bio avatarUrls { small medium large } settings { ayahLanguages } } } }`,
			map[string]any{"ids": ids[:100]}), errcode.TooComplex, 200},
	}
}

func TestAbuseIsRejectedBeforeAnyUpstreamCall(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	for _, a := range abuses() {
		t.Run(a.name, func(t *testing.T) {
			env.Fake.ResetStats()
			req, _ := http.NewRequest(http.MethodPost, env.Endpoint, strings.NewReader(a.body))
			req.Header.Set("Content-Type", "application/json")
			resp := servicetest.Do(t, req)
			if resp.Status != a.status {
				t.Errorf("status = %d, want %d", resp.Status, a.status)
			}
			if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != a.wantCode {
				t.Errorf("errors = %v, want one with code %s", resp.Errors, a.wantCode)
			}
			if resp.Data != nil {
				t.Errorf("data = %v, want none: nothing may run", resp.Data)
			}
			if st := env.Fake.Stats(); st.RoomCalls != 0 || st.TokenRequests != 0 {
				t.Errorf("upstream saw %d room calls and %d token requests, want none", st.RoomCalls, st.TokenRequests)
			}
		})
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.Introspection = false }})
	resp := env.Post(t, `{ __schema { types { name } } }`, nil)
	if len(resp.Errors) == 0 || resp.Data["__schema"] != nil || resp.Errors[0].Extensions["code"] != "INTROSPECTION_DISABLED" {
		t.Errorf("introspection while off: %s", resp.Raw)
	}
	if r, err := http.Get(strings.TrimSuffix(env.Endpoint, "/query") + "/schema.graphql"); err != nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("/schema.graphql while introspection is off: %v %v, want 404", r.StatusCode, err)
	}
	resp = env.Post(t, `{ rom(id: "1") { id } }`, nil)
	if strings.Contains(resp.Raw, "Did you mean") {
		t.Errorf("a field suggestion leaks the schema while introspection is off: %s", resp.Raw)
	}
	if resp := env.Post(t, `{ room(id: "2") { id } }`, nil); servicetest.At(resp.Data, "room", "id") != "2" {
		t.Errorf("ordinary queries broke: %s", resp.Raw)
	}
	r, err := http.Get(strings.TrimSuffix(env.Endpoint, "/query") + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("GraphiQL = %d with only introspection off, want 200", r.StatusCode)
	}

	off := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.GraphiQL = false }})
	r, err = http.Get(strings.TrimSuffix(off.Endpoint, "/query") + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("GraphiQL = %d while off, want 404", r.StatusCode)
	}
}

// BenchmarkRejectAbuse reports the server-side cost of refusing each class of
// abuse: the handler is called in-process, so the network is not measured.
func BenchmarkRejectAbuse(b *testing.B) {
	h := servicetest.HandlerWith(b, func(context.Context, string, upstream.UserToken) (*upstream.Room, error) {
		panic("a refused request reached the upstream")
	})
	for _, a := range abuses() {
		b.Run(strings.ReplaceAll(a.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(a.body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				// A new document each time, so that no answer comes from the
				// query cache: the first-time cost is what an attacker pays.
				n++
				body := strings.Replace(a.body, `{"query":"`, `{"query":"#`+strconv.Itoa(n)+`\n`, 1)
				req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != a.status {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				_, _ = io.Copy(io.Discard, w.Body)
			}
		})
	}
}
