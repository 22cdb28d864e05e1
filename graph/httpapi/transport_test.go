package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

func TestTransport(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.MaxBodyBytes = 2048 }})
	const echo = "ECHO-ME-NOT"
	tests := []struct {
		name        string
		method      string
		contentType string
		accept      string
		upgrade     string
		body        string
		query       url.Values
		wantStatus  int
		wantCode    string
		wantData    bool // the body has a data member
		wantType    string
	}{
		{name: "malformed JSON", method: "POST", contentType: "application/json", body: `{"query": "` + echo,
			wantStatus: 400, wantCode: errcode.BadRequest, wantType: "application/json"},
		{name: "not an object", method: "POST", contentType: "application/json", body: `["` + echo + `"]`,
			wantStatus: 400, wantCode: errcode.BadRequest},
		{name: "query of the wrong type", method: "POST", contentType: "application/json", body: `{"query": 42}`,
			wantStatus: 400, wantCode: errcode.BadRequest},
		{name: "trailing data", method: "POST", contentType: "application/json", body: `{"query": "{__typename}"} {"x":1}`,
			wantStatus: 400, wantCode: errcode.BadRequest},
		{name: "no query", method: "POST", contentType: "application/json", body: `{"variables": {}}`,
			wantStatus: 400, wantCode: errcode.BadRequest},
		{name: "form body", method: "POST", contentType: "application/x-www-form-urlencoded", body: "query=" + echo,
			wantStatus: 415, wantCode: errcode.UnsupportedMediaType},
		{name: "multipart", method: "POST", contentType: "multipart/form-data; boundary=x", body: "--x--",
			wantStatus: 415, wantCode: errcode.UnsupportedMediaType},
		{name: "too large", method: "POST", contentType: "application/json", body: `{"query": "{ __typename }", "x": "` + strings.Repeat("a", 4096) + `"}`,
			wantStatus: 413, wantCode: errcode.RequestTooLarge},
		{name: "PUT", method: "PUT", contentType: "application/json", body: `{"query": "{ __typename }"}`,
			wantStatus: 405, wantCode: errcode.BadRequest},
		{name: "parse error, application/json", method: "POST", contentType: "application/json", body: `{"query": "{ room(id: "}`,
			wantStatus: 200, wantCode: "GRAPHQL_PARSE_FAILED", wantData: true},
		{name: "parse error, graphql-response+json", method: "POST", contentType: "application/json",
			accept: "application/graphql-response+json, application/json;q=0.9", body: `{"query": "{ room(id: "}`,
			wantStatus: 400, wantCode: "GRAPHQL_PARSE_FAILED", wantType: "application/graphql-response+json"},
		{name: "validation error", method: "POST", contentType: "application/json", body: `{"query": "{ nope }"}`,
			wantStatus: 200, wantCode: "GRAPHQL_VALIDATION_FAILED", wantData: true},
		{name: "variable of the wrong type", method: "POST", contentType: "application/json",
			body:       `{"query": "query($ids: [ID!]!) { rooms(ids: $ids) { id } }", "variables": {"ids": [true]}}`,
			wantStatus: 200, wantCode: "GRAPHQL_VALIDATION_FAILED", wantData: true},
		{name: "Upgrade header (curl --http2)", method: "POST", contentType: "application/json", upgrade: "h2c",
			body: `{"query": "{ __typename }"}`, wantStatus: 200, wantData: true},
		{name: "Upgrade to websocket", method: "GET", upgrade: "websocket", query: url.Values{"query": {"{ __typename }"}},
			wantStatus: 200, wantData: true},
		{name: "GET query", method: "GET", query: url.Values{"query": {`query($id: ID!) { room(id: $id) { id } }`}, "variables": {`{"id": "3"}`}},
			wantStatus: 200, wantData: true},
		{name: "GET bad variables", method: "GET", query: url.Values{"query": {`{ __typename }`}, "variables": {`{"id": ` + echo}},
			wantStatus: 400, wantCode: errcode.BadRequest},
		{name: "GET without query", method: "GET", query: url.Values{},
			wantStatus: 400, wantCode: errcode.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := env.Endpoint
			if tt.query != nil {
				u += "?" + tt.query.Encode()
			}
			req, err := http.NewRequest(tt.method, u, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.upgrade != "" {
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", tt.upgrade)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp := servicetest.Do(t, req)
			if resp.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d: %s", resp.Status, tt.wantStatus, resp.Raw)
			}
			if tt.wantCode != "" {
				if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != tt.wantCode {
					t.Errorf("errors = %v, want code %s", resp.Errors, tt.wantCode)
				}
			} else if len(resp.Errors) > 0 {
				t.Errorf("unexpected errors: %v", resp.Errors)
			}
			if got := strings.Contains(resp.Raw, `"data"`); got != tt.wantData {
				t.Errorf("data member present = %v, want %v: %s", got, tt.wantData, resp.Raw)
			}
			if strings.Contains(resp.Raw, echo) {
				t.Errorf("the response echoes the request: %s", resp.Raw)
			}
			if tt.wantType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) {
				t.Errorf("Content-Type = %q, want %s", resp.Header.Get("Content-Type"), tt.wantType)
			}
			if got := resp.Header.Get("Cache-Control"); got != "private, no-store" {
				t.Errorf("Cache-Control = %q, want private, no-store", got)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if got := resp.Header.Values("Vary"); !strings.Contains(strings.Join(got, ","), "Authorization, X-Auth-Token, Cookie, Accept") {
				t.Errorf("Vary = %q, want Authorization, X-Auth-Token, Cookie, Accept", got)
			}
		})
	}
}

func TestGraphiQLPage(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp, err := http.Get(strings.TrimSuffix(env.Endpoint, "/query") + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET / = %d %s, want the GraphiQL page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestGraphiQLCannotBeFramedAndChecksItsCDN: the page forbids framing, carries a
// Content-Security-Policy in both modes, and from the CDN loads only files that
// match their integrity hashes.
func TestGraphiQLCannotBeFramedAndChecksItsCDN(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{}) // no local assets: the CDN
	resp, err := http.Get(strings.TrimSuffix(env.Endpoint, "/query") + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GraphiQL can be framed: CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
	}
	if n := strings.Count(string(body), `integrity="sha384-`); n != 4 {
		t.Errorf("%d of the 4 CDN assets carry an integrity hash:\n%s", n, body)
	}
}

// TestAnswersAreBounded: an answer carries at most 100 errors, the last saying
// how many more there were; and refused documents cost the client address's
// budget (whatever token each request invents), so repeating them is refused
// before validation runs.
func TestAnswersAreBounded(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{RefusalLimit: &guard.CallerLimit{PerSecond: 0.001, Burst: 3}}})
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("bad%d", i)
	}
	resp := env.Post(t, `query($ids: [ID!]!) { rooms(ids: $ids) { id } searchRooms(query: "", first: 99) { totalCount } }`,
		map[string]any{"ids": ids})
	if n := len(resp.Errors); n != 100 || resp.Errors[99].Extensions["code"] != errcode.TooManyErrors ||
		!strings.Contains(resp.Errors[99].Message, "2 more errors") {
		t.Errorf("%d errors, the last %v; want 100, the last saying 2 more were left out", n, resp.Errors[len(resp.Errors)-1])
	}
	// A persisted-query miss is a normal step, not a refused document.
	for range 5 {
		env.APQ(t, http.MethodGet, `{ __typename }`, false)
	}
	for i := range 3 {
		if r := env.Post(t, `{ nope }`, nil, fmt.Sprintf("Authorization: Bearer invented-%d", i)); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("invalid document %d: %s", i, r.Raw)
		}
	}
	r := env.Post(t, `{ nope }`, nil, "Authorization: Bearer invented-3")
	if r.Status != http.StatusTooManyRequests || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.RateLimited || r.Header.Get("Retry-After") == "" {
		t.Errorf("the fourth invalid document with a budget of 3: %d %s (Retry-After %q), want 429 RATE_LIMITED with Retry-After", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
}

// TestTheAmplifyingDocumentIsBounded (issue 13, finding 1): the attacker's
// 1.7 KB document (469 copies of id, 30 of "id: name", each alias conflicting
// with every plain id) made validation answer 14,070 errors, 3.5 MB, in about
// 60 ms. The guard now refuses it before validation (one name more than 20
// times in a selection set), in one short error; so it does an unused fragment
// that would make validation do the same work.
func TestTheAmplifyingDocumentIsBounded(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	fields := strings.Repeat("id ", 469) + strings.Repeat("id: name ", 30)
	for name, doc := range map[string]string{
		"the attacker's":   `{ room(id: "1") { ` + fields + `} }`,
		"in a fragment":    `{ room(id: "1") { ...F } } fragment F on Room { ` + fields + `}`,
		"an unused one":    `{ __typename } fragment F on Room { ` + fields + `}`,
		"spread 21 times":  `{ room(id: "1") { ` + strings.Repeat("...F ", 21) + `} } fragment F on Room { id: name }`,
		"in inline frames": `{ room(id: "1") { ` + strings.Repeat("... on Room { id } ", 21) + `} }`,
		"introspection":    `{ __type(name: "Room") { ` + strings.Repeat("fields(includeDeprecated: true) { name } fields(includeDeprecated: false) { name } ", 55) + `} }`,
	} {
		resp := env.Post(t, doc, nil)
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.TooManySelections || len(resp.Raw) > 1<<10 {
			t.Errorf("%s: %d bytes, errors %v; want one TOO_MANY_SELECTIONS", name, len(resp.Raw), resp.Errors)
		}
	}
	// Twenty is fine: fields that merge, as a hand-written document has them.
	if resp := env.Post(t, `{ room(id: "1") { `+strings.Repeat("id ", 20)+`} }`, nil); len(resp.Errors) > 0 {
		t.Errorf("20 copies of a field: %v", resp.Errors)
	}
}

// TestRefusalsSentAtOnceHoldTheBudget: documents never validated before hold
// a unit of the address's budget while they are validated, so a burst of them
// sent at once is refused past the budget, not only after it.
func TestRefusalsSentAtOnceHoldTheBudget(t *testing.T) {
	const budget, sent = 3, 24
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{RefusalLimit: &guard.CallerLimit{PerSecond: 0.001, Burst: budget}}})
	statuses := make(chan int, sent)
	for i := range sent {
		go func() {
			doc := `{ room(id: "1") { ` + strings.Repeat("id ", 400) + fmt.Sprintf("id: name nope%d } }", i)
			statuses <- env.Post(t, doc, nil).Status
		}()
	}
	validated := 0
	for range sent {
		if <-statuses != http.StatusTooManyRequests {
			validated++
		}
	}
	if validated > budget {
		t.Errorf("%d of %d invalid documents sent at once were validated, want at most the budget of %d", validated, sent, budget)
	}
}

// TestValidationErrorsAndSizeAreBounded: 150 unknown fields give 100 errors,
// the last saying 51 more; and an answer over 4 MiB is replaced by one error.
func TestValidationErrorsAndSizeAreBounded(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	var q strings.Builder
	q.WriteString(`{ room(id: "1") {`)
	for i := range 150 {
		fmt.Fprintf(&q, " nope%d", i)
	}
	q.WriteString(" } }")
	resp := env.Post(t, q.String(), nil)
	if n := len(resp.Errors); n != 100 || resp.Errors[99].Extensions["code"] != errcode.TooManyErrors ||
		!strings.Contains(resp.Errors[99].Message, "51 more errors") {
		t.Errorf("150 validation errors gave %d, the last %v", n, resp.Errors[len(resp.Errors)-1])
	}
	big := strings.Repeat("x", 1500<<10)
	for _, id := range []string{"1", "2", "3"} {
		env.Fake.Tamper(id, func(room map[string]any) { room["description"] = big })
	}
	resp = env.Post(t, `{ rooms(ids: ["1", "2", "3"]) { description } }`, nil)
	if len(resp.Raw) > 4<<20 || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != errcode.ResponseTooLarge || resp.Data != nil {
		t.Errorf("a 4.5 MB answer: %d bytes, errors %v", len(resp.Raw), resp.Errors)
	}
}
