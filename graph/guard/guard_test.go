package guard

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// check runs g over query and returns the refusal's code and message, or "" for
// none.
func check(t *testing.T, g Guard, query string) (code, msg string) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("the test's query does not parse: %v", err)
	}
	gerr := g.Check(doc)
	if gerr == nil {
		return "", ""
	}
	code, _ = gerr.Extensions["code"].(string)
	return code, gerr.Message
}

// TestIntrospectionLists: only list fields inside __schema or __type count as
// introspection fan-out; the same names elsewhere are ordinary fields, and a
// fragment is measured in each context it is spread in.
func TestIntrospectionLists(t *testing.T) {
	const tooDeep = errcode.IntrospectionTooDeep
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{
			name:  "list names outside introspection",
			query: `{ types { fields { fields { fields { fields { name } } } } } }`,
		},
		{
			// types, fields, args: GraphiQL's own query, at the limit.
			name:  "three lists under __schema",
			query: `{ __schema { types { fields { type { fields { name } } } } } }`,
		},
		{
			name:  "four lists under __schema",
			query: `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`,
			want:  tooDeep,
		},
		{
			name:  "four lists under __type",
			query: `{ __type(name: "R") { fields { type { fields { type { interfaces { fields { name } } } } } } } }`,
			want:  tooDeep,
		},
		{
			name:  "four lists through inline fragments",
			query: `{ __schema { types { ... on __Type { fields { type { possibleTypes { ... { enumValues { name } } } } } } } } }`,
			want:  tooDeep,
		},
		{
			// Measured outside first: a memo that ignored the context would
			// reuse that measure (no lists) inside __schema.
			name: "a fragment spread outside, then too deep inside",
			query: `{ room { ...F } __schema { types { fields { ...F } } } }
				fragment F on __Type { fields { type { fields { name } } } }`,
			want: tooDeep,
		},
		{
			name: "a fragment spread too deep inside, then outside",
			query: `{ __schema { types { fields { ...F } } } room { ...F } }
				fragment F on __Type { fields { type { fields { name } } } }`,
			want: tooDeep,
		},
		{
			name: "a fragment spread within the bound inside and outside",
			query: `{ room { ...F } __schema { types { ...F } } }
				fragment F on __Type { fields { type { fields { name } } } }`,
		},
		{
			// Depth is what bounds the outside use: 12 levels of "fields".
			name:  "outside introspection, list names count as depth",
			query: `{ fields { fields { fields { fields { fields { fields { fields { fields { fields { fields { fields { name } } } } } } } } } } } }`,
			want:  errcode.TooDeep,
		},
	}
	g := Guard{Limits: DefaultLimits()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, msg := check(t, g, tt.query); got != tt.want {
				t.Errorf("code = %q (%s), want %q", got, msg, tt.want)
			}
		})
	}
}

// TestLookupIDs: a literal id list longer than Limits.IDs is refused on the
// fields that look things up by id, and only there.
func TestLookupIDs(t *testing.T) {
	limits := DefaultLimits()
	limits.IDs = 3
	g := Guard{Limits: limits, Lookups: []Lookup{
		{Field: "room", Arg: "id", Noun: "rooms"},
		{Field: "rooms", Arg: "ids", List: true, Noun: "rooms"},
		{Field: "people", Arg: "ids", List: true, Noun: "people"},
	}}
	tests := []struct {
		name      string
		query     string
		wantField string // named in the refusal; "" for none
	}{
		{name: "over the limit", query: `{ rooms(ids: ["1", "2", "3", "4"]) { id } }`, wantField: "rooms"},
		{name: "at the limit", query: `{ rooms(ids: ["1", "2", "3"]) { id } }`},
		{name: "aliased", query: `{ a: rooms(ids: ["1", "2", "3", "4"]) { id } }`, wantField: "rooms"},
		{name: "in a fragment", query: `{ ...Q } fragment Q on Query { rooms(ids: ["1", "2", "3", "4"]) { id } }`, wantField: "rooms"},
		{name: "the longest list is named", query: `{ rooms(ids: ["1", "2", "3", "4"]) { id } people(ids: ["1", "2", "3", "4", "5"]) { id } }`, wantField: "people"},
		{name: "a field that is not a Lookup", query: `{ users(ids: ["1", "2", "3", "4"]) { id } }`},
		{name: "another argument of a Lookup", query: `{ rooms(tags: ["a", "b", "c", "d"], ids: ["1"]) { id } }`},
		{name: "a variable: left for MutateOperationContext", query: `query($ids: [ID!]!) { rooms(ids: $ids) { id } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := check(t, g, tt.query)
			if tt.wantField == "" {
				if code != "" {
					t.Errorf("refused with %s (%s), want accepted", code, msg)
				}
				return
			}
			if code != errcode.TooManyIDs || !strings.HasPrefix(msg, tt.wantField+" accepts at most 3 ids") {
				t.Errorf("refusal = %q %q, want %s naming %q", code, msg, errcode.TooManyIDs, tt.wantField)
			}
		})
	}
}

// fakeClock is an injected clock the test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

// rateLimited reports err as a *errcode.LimitedError with code RATE_LIMITED.
func rateLimited(t *testing.T, err error) *errcode.LimitedError {
	t.Helper()
	var le *errcode.LimitedError
	if !errors.As(err, &le) || le.Code != errcode.RateLimited {
		t.Fatalf("err = %v, want a RATE_LIMITED *errcode.LimitedError", err)
	}
	return le
}

func TestCallerLimitsTake(t *testing.T) {
	clock := newFakeClock()
	l := NewCallerLimits(CallerLimit{PerSecond: 2, Burst: 3}, clock.Now)
	for i := range 3 {
		if err := l.Take("a"); err != nil {
			t.Fatalf("take %d of a burst of 3: %v", i+1, err)
		}
	}
	le := rateLimited(t, l.Take("a"))
	if le.RetryAfter < time.Second {
		t.Errorf("RetryAfter = %v, want at least 1s (whole seconds)", le.RetryAfter)
	}
	if err := l.Take("b"); err != nil {
		t.Errorf("another caller's first take: %v, want its own bucket", err)
	}
}

// TestCallerLimitsRetryAfter: the wait until one token is back, rounded up to
// whole seconds.
func TestCallerLimitsRetryAfter(t *testing.T) {
	tests := []struct {
		perSecond float64
		want      time.Duration
	}{
		{perSecond: 50, want: time.Second},
		{perSecond: 2, want: time.Second},
		{perSecond: 0.5, want: 2 * time.Second},
		{perSecond: 0.3, want: 4 * time.Second}, // 3.33s
	}
	for _, tt := range tests {
		t.Run(time.Duration(float64(time.Second)/tt.perSecond).String(), func(t *testing.T) {
			l := NewCallerLimits(CallerLimit{PerSecond: tt.perSecond, Burst: 1}, newFakeClock().Now)
			if err := l.Take("a"); err != nil {
				t.Fatal(err)
			}
			if got := rateLimited(t, l.Take("a")).RetryAfter; got != tt.want {
				t.Errorf("RetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCallerLimitsAllowsDoesNotSpend(t *testing.T) {
	l := NewCallerLimits(CallerLimit{PerSecond: 1, Burst: 2}, newFakeClock().Now)
	for range 10 {
		if err := l.Allows("a"); err != nil {
			t.Fatalf("Allows on a fresh caller: %v", err)
		}
	}
	for i := range 2 {
		if err := l.Take("a"); err != nil {
			t.Fatalf("take %d after Allows: %v (Allows spent the bucket)", i+1, err)
		}
		if i == 0 {
			for range 10 {
				if err := l.Allows("a"); err != nil {
					t.Fatalf("Allows with one call left: %v", err)
				}
			}
		}
	}
	rateLimited(t, l.Allows("a"))
	rateLimited(t, l.Take("a"))
}

// TestCallerLimitsRefill moves the injected clock: one call comes back after
// 1/rate seconds, not before, and refused takes do not delay it.
func TestCallerLimitsRefill(t *testing.T) {
	clock := newFakeClock()
	l := NewCallerLimits(CallerLimit{PerSecond: 2, Burst: 1}, clock.Now)
	if err := l.Take("a"); err != nil {
		t.Fatal(err)
	}
	rateLimited(t, l.Take("a"))
	clock.Advance(500*time.Millisecond - time.Millisecond)
	rateLimited(t, l.Allows("a"))
	rateLimited(t, l.Take("a"))
	clock.Advance(time.Millisecond)
	if err := l.Allows("a"); err != nil {
		t.Errorf("Allows after 1/rate seconds: %v", err)
	}
	if err := l.Take("a"); err != nil {
		t.Errorf("Take after 1/rate seconds: %v", err)
	}
	rateLimited(t, l.Take("a"))
}

func TestNewCallerLimitsPanics(t *testing.T) {
	for name, c := range map[string]CallerLimit{
		"zero rate":      {PerSecond: 0, Burst: 1},
		"negative rate":  {PerSecond: -1, Burst: 1},
		"zero burst":     {PerSecond: 1, Burst: 0},
		"negative burst": {PerSecond: 1, Burst: -1},
		"zero value":     {},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCallerLimits(%+v) did not panic", c)
				}
			}()
			NewCallerLimits(c, time.Now)
		})
	}
}
