package graph_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// Verses beside reflections: the text from the copy in memory, or per range
// before it is loaded; the content token apart from Quran Reflect's; and
// signed-out reads shared across requests and replicas.

// withCopy is an Env whose copy of the Quran's text is loaded (the tests'
// default is no copy: see servicetest.New).
func withCopy(o servicetest.Options) servicetest.Options {
	prev := o.Config
	o.Config = func(c *service.Config) {
		c.VersePreload = true
		if prev != nil {
			prev(c)
		}
	}
	return o
}

// contentCalls are the calls the fake's Content API routes took.
func contentCalls(env *servicetest.Env) map[string]int {
	out := map[string]int{}
	for route, n := range calls(env) {
		if strings.Contains(route, "/content/api/v4/") {
			out[route] += n
		}
	}
	return out
}

// postPage is the page of posts the tests read with every verse of their
// references: ten posts on other verses than 2:255.
const postPage = `{ feed(filter: {references: [{chapterId: 1, from: 1, to: 7}, {chapterId: 112, from: 1, to: 4}, {chapterId: 3, from: 190, to: 191}]}, first: 10) {
  nodes { id references { key chapterId from to verses { key textUthmani translation { text } } } } } }`

// pageVerses are the distinct verses and the distinct references (ranges) of
// the page's posts.
func pageVerses(t *testing.T, resp servicetest.Response) (verses, ranges []string) {
	t.Helper()
	nodes, _ := servicetest.At(resp.Data, "feed", "nodes").([]any)
	if len(nodes) != 10 {
		t.Fatalf("the page has %d posts, want 10: %s", len(nodes), resp.Raw)
	}
	for i := range nodes {
		refs, _ := servicetest.At(resp.Data, "feed", "nodes", i, "references").([]any)
		for j := range refs {
			if k, ok := servicetest.At(resp.Data, "feed", "nodes", i, "references", j, "key").(string); ok && !slices.Contains(ranges, k) {
				ranges = append(ranges, k)
			}
			vs, _ := servicetest.At(resp.Data, "feed", "nodes", i, "references", j, "verses").([]any)
			for n := range vs {
				k := servicetest.At(resp.Data, "feed", "nodes", i, "references", j, "verses", n, "key").(string)
				if txt, _ := servicetest.At(resp.Data, "feed", "nodes", i, "references", j, "verses", n, "textUthmani").(string); txt == "" {
					t.Errorf("verse %s has no text", k)
				}
				if !slices.Contains(verses, k) {
					verses = append(verses, k)
				}
			}
		}
	}
	return verses, ranges
}

// TestAPostPageCostsNoVerseCallOnceTheCopyIsLoaded: ten posts referring to
// fourteen distinct verses: with the copy loaded, the page costs its feed call
// and nothing else; without it, one by_range call per distinct reference.
func TestAPostPageCostsNoVerseCallOnceTheCopyIsLoaded(t *testing.T) {
	loaded := servicetest.New(t, withCopy(servicetest.Options{}))
	before := contentCalls(loaded)
	for _, route := range []string{fake.RouteQuranUthmani, fake.RouteChapters, fake.RouteQuranTranslation} {
		if before[route] != 1 {
			t.Errorf("the copy's load called %s %d times, want once", route, before[route])
		}
	}
	if !strings.Contains(loaded.Logs.String(), "the copy of the text is complete") {
		t.Errorf("the start-up log does not say the copy is complete: %s", loaded.Logs.String())
	}
	loaded.Fake.ResetStats()
	resp := loaded.Post(t, postPage, nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	verses, ranges := pageVerses(t, resp)
	if len(verses) != 14 {
		t.Fatalf("the page refers to %d distinct verses (%v), want 14", len(verses), verses)
	}
	if c := calls(loaded); c[fake.RouteFeed] != 1 || loaded.Fake.Stats().APICalls != 1 {
		t.Errorf("with the copy loaded the page cost %v, want one feed call", c)
	}

	// No copy: the same page reads each distinct reference once.
	perRange := servicetest.New(t, servicetest.Options{})
	resp2 := perRange.Post(t, postPage, nil)
	if len(resp2.Errors) > 0 {
		t.Fatal(resp2.Raw)
	}
	if resp2.Raw != resp.Raw {
		t.Errorf("the answers differ:\n copy:      %s\n per range: %s", resp.Raw, resp2.Raw)
	}
	c := calls(perRange)
	if got := c[fake.RouteVersesByRange]; got != len(ranges) {
		t.Errorf("without the copy: %d by_range calls for %d distinct references (%v), want one each", got, len(ranges), ranges)
	}
	if c[fake.RouteFeed] != 1 || perRange.Fake.Stats().APICalls != 1+len(ranges) {
		t.Errorf("without the copy the page cost %v, want the feed call and the ranges", c)
	}
}

// TestAFailedLoadFallsBackPerRange: a Content API whose whole-Quran reads
// fail leaves no copy; every verse field is read per range, batched and
// deduped within the operation, and the service is ready all along.
func TestAFailedLoadFallsBackPerRange(t *testing.T) {
	env := servicetest.New(t, withCopy(servicetest.Options{Before: func(f *fake.Server) {
		// The chapters load (and are read from memory): the text and the
		// translations do not.
		for _, route := range []string{fake.RouteQuranUthmani, fake.RouteQuranTranslation, fake.RouteTranslationResources} {
			f.SetRouteFault(route, fake.Fault{Status: 503})
		}
	}}))
	if !strings.Contains(env.Logs.String(), "loading the Uthmani text failed") {
		t.Errorf("the failed load is not logged: %s", env.Logs.String())
	}
	env.Fake.ResetStats()
	resp := env.Post(t, `{ a: verse(key: "2:255") { textUthmani translation { text } chapter { nameSimple } }
  b: verse(key: "2:255") { key textUthmani } c: verses(keys: ["112:1", "112:2", "112:4", "1:1"]) { key textUthmani } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	if got := servicetest.At(resp.Data, "a", "chapter", "nameSimple"); got != "Al-Baqarah" {
		t.Errorf("chapter %v", got)
	}
	// 2:255 once for both aliases; 112:1-2, 112:4 and 1:1 as three runs.
	c := calls(env)
	if c[fake.RouteVersesByRange] != 4 || env.Fake.Stats().APICalls != 4 {
		t.Errorf("calls %v, want 4 by_range (one per run)", c)
	}
	// /readyz does not wait for the copy: the fallback serves.
	r, err := http.Get(env.Base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("/readyz answers %d with no copy, want 200", r.StatusCode)
	}
	if !strings.Contains(env.Logs.String(), "the copy of the text is partial") {
		t.Errorf("the start-up log does not say the copy is partial: %s", env.Logs.String())
	}
}

// TestChaptersWithoutTheCopy: with no copy, every chapter field of an
// operation is served by one read of the chapter list.
func TestChaptersWithoutTheCopy(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	resp := env.Post(t, `{ chapter(id: 2) { nameSimple versesCount } chapters { id } verse(key: "112:1") { chapter { nameArabic } } }`, nil)
	if len(resp.Errors) > 0 || servicetest.At(resp.Data, "chapter", "nameSimple") != "Al-Baqarah" || servicetest.At(resp.Data, "verse", "chapter", "nameArabic") != "الإخلاص" {
		t.Fatal(resp.Raw)
	}
	if c := calls(env); c[fake.RouteChapters] != 1 {
		t.Errorf("calls %v, want the chapter list once", c)
	}
}

// TestTheContentTokenNeverGoesToQuranReflect: each API gets the service's
// token for its own scope; a user's token goes to Quran Reflect only.
func TestTheContentTokenNeverGoesToQuranReflect(t *testing.T) {
	env := servicetest.New(t, withCopy(servicetest.Options{Config: func(c *service.Config) { c.Scopes = []string{"post.read"} }}))
	q := `{ verse(key: "2:256") { textUthmani translation(resourceId: 20) { text } reflections(first: 1) { nodes { id } } } }`
	for _, h := range [][]string{nil, {aisha}} {
		if resp := env.Post(t, q, nil, h...); len(resp.Errors) > 0 && h == nil {
			t.Fatal(resp.Raw)
		}
	}
	for route, want := range map[string][]string{
		fake.RouteQuranUthmani:  {"content"},
		fake.RouteVersesByRange: {"content"},
		fake.RouteFeed:          {"post.read", fake.ScopeUser},
	} {
		if got := env.Fake.ScopesUsed(route); !slices.Equal(got, want) {
			t.Errorf("%s was called with scopes %q, want %q", route, got, want)
		}
	}
}

// TestVerseInputIsCheckedBeforeAnyCall: keys and chapters that are not the
// Quran's are BAD_USER_INPUT, with no upstream call.
func TestVerseInputIsCheckedBeforeAnyCall(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	for _, q := range []string{
		`{ verse(key: "2:287") { key } }`, `{ verse(key: "115:1") { key } }`, `{ verse(key: "0:1") { key } }`,
		`{ verse(key: "2:255 ") { key } }`, `{ verse(key: "2-255") { key } }`, `{ verse(key: "") { key } }`,
		`{ verses(keys: ["1:1", "1:8"]) { key } }`, `{ chapter(id: 0) { id } }`, `{ chapter(id: 115) { id } }`,
		`{ verse(key: "1:1") { translation(resourceId: 0) { text } } }`,
		`{ verse(key: "1:1") { translations(resourceIds: [` + strings.Repeat("1,", 21) + `]) { text } } }`,
	} {
		resp := env.Post(t, q, nil)
		if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%s: %s, want BAD_USER_INPUT", q, resp.Raw)
		}
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("refused input cost %d upstream calls (%v)", n, calls(env))
	}
}

// TestAReferenceNamesItsVerses: a range's key and verses, one verse's, and a
// whole chapter's (none).
func TestAReferenceNamesItsVerses(t *testing.T) {
	env := servicetest.New(t, withCopy(servicetest.Options{}))
	resp := env.Post(t, `{ feed(filter: {references: [{chapterId: 36, from: 1, to: 1}, {chapterId: 112, from: 1, to: 4}, {chapterId: 13, from: 28, to: 28}]}, first: 20) {
  nodes { references { chapterId from to key chapter { id versesCount } verses { key verseIndex } } } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	seen := map[string]bool{}
	nodes, _ := servicetest.At(resp.Data, "feed", "nodes").([]any)
	for i := range nodes {
		refs, _ := servicetest.At(resp.Data, "feed", "nodes", i, "references").([]any)
		for j := range refs {
			at := func(p ...any) any {
				return servicetest.At(resp.Data, append([]any{"feed", "nodes", i, "references", j}, p...)...)
			}
			vs, _ := at("verses").([]any)
			switch fmt.Sprint(at("chapterId"), ":", at("from"), "-", at("to")) {
			case "36:0-0":
				seen["whole"] = true
				if at("key") != nil || len(vs) != 0 || at("chapter", "versesCount") != servicetest.JSONNumber("83") {
					t.Errorf("a whole chapter: key %v, %d verses, chapter %v", at("key"), len(vs), at("chapter"))
				}
			case "112:1-4":
				seen["range"] = true
				if at("key") != "112:1-4" || len(vs) != 4 || at("verses", 3, "key") != "112:4" || at("verses", 0, "verseIndex") != servicetest.JSONNumber("6222") {
					t.Errorf("112:1-4: key %v, verses %v", at("key"), vs)
				}
			case "13:28-28":
				seen["one"] = true
				if at("key") != "13:28" || len(vs) != 1 {
					t.Errorf("13:28: key %v, verses %v", at("key"), vs)
				}
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("the feed did not bring every kind of reference: %v", seen)
	}
}

// TestReflectionsCountIsProductionsOnly: production serves the count by
// verse index; pre-live has none, and the field is null with no error.
func TestReflectionsCountIsProductionsOnly(t *testing.T) {
	q := `{ verse(key: "2:255") { verseIndex reflectionsCount reflections(first: 0, verifiedOnly: false, postTypes: null, tab: FEED) { totalCount } } }`
	prod := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.Env = "production" }})
	resp := prod.Post(t, q, nil)
	if len(resp.Errors) > 0 || servicetest.At(resp.Data, "verse", "verseIndex") != servicetest.JSONNumber("262") {
		t.Fatal(resp.Raw)
	}
	if got, all := servicetest.At(resp.Data, "verse", "reflectionsCount"), calls(prod)[fake.RoutePostsCountByVerse]; got == nil || all != 1 {
		t.Errorf("production: reflectionsCount %v after %d calls, want a count from one call", got, all)
	}
	pre := servicetest.New(t, servicetest.Options{})
	resp = pre.Post(t, q, nil)
	if len(resp.Errors) > 0 || servicetest.At(resp.Data, "verse", "reflectionsCount") != nil || calls(pre)[fake.RoutePostsCountByVerse] != 0 {
		t.Errorf("pre-live: %s after %d count calls, want null, no error, no call", resp.Raw, calls(pre)[fake.RoutePostsCountByVerse])
	}
}

// TestARefreshThatFailsKeepsServing: once loaded, a refresh whose reads all
// fail leaves the copy in place: verse fields still cost no call.
func TestARefreshThatFailsKeepsServing(t *testing.T) {
	loads := make(chan string, 64)
	env := servicetest.New(t, withCopy(servicetest.Options{
		Config: func(c *service.Config) { c.VerseRefresh = 20 * time.Millisecond },
		Deps: service.Deps{VerseLoaded: func(result string) {
			select {
			case loads <- result:
			default: // the test has stopped listening; the loads go on until the service closes
			}
		}},
	}))
	if got := <-loads; got != "ok" {
		t.Fatalf("the first load: %s", got)
	}
	for _, route := range []string{fake.RouteQuranUthmani, fake.RouteQuranTranslation, fake.RouteChapters, fake.RouteTranslationResources} {
		env.Fake.SetRouteFault(route, fake.Fault{Status: 503})
	}
	// Loads that began before the faults may still succeed: wait for a failed one.
	for <-loads != "failed" {
	}
	env.Fake.ResetStats()
	resp := env.Post(t, `{ verse(key: "2:255") { textUthmani translation { text } chapter { nameSimple } } }`, nil)
	if len(resp.Errors) > 0 || !strings.HasPrefix(servicetest.At(resp.Data, "verse", "textUthmani").(string), "ٱللَّهُ لَآ إِلَـٰهَ") {
		t.Fatalf("after a failed refresh: %s", resp.Raw)
	}
	if n := calls(env)[fake.RouteVersesByRange]; n != 0 {
		t.Errorf("after a failed refresh the verse cost %d per-range reads, want none", n)
	}
	if !strings.Contains(env.Logs.String(), "serving what the last load brought") {
		t.Error("the failed refresh is not logged")
	}
}

// TestTheMetricsSayWhenTheCopyIsComplete: verse_copy_complete is 1 and
// verse_copy_verses counts every verse once the copy is loaded; a failed load
// is counted.
func TestTheMetricsSayWhenTheCopyIsComplete(t *testing.T) {
	metric := func(reg *prometheus.Registry, name string, label ...string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				if len(label) == 0 || (len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label[0]) {
					if m.GetGauge() != nil {
						return m.GetGauge().GetValue()
					}
					return m.GetCounter().GetValue()
				}
			}
		}
		return -1
	}
	full := prometheus.NewRegistry()
	servicetest.New(t, withCopy(servicetest.Options{Deps: service.Deps{Registry: full}}))
	if got := metric(full, "verse_copy_complete"); got != 1 {
		t.Errorf("verse_copy_complete = %v, want 1", got)
	}
	if got := metric(full, "verse_copy_verses", "uthmani"); got != 6236 {
		t.Errorf("verse_copy_verses{part=uthmani} = %v, want 6236", got)
	}
	failing := prometheus.NewRegistry()
	servicetest.New(t, withCopy(servicetest.Options{Deps: service.Deps{Registry: failing}, Before: func(f *fake.Server) {
		f.SetRouteFault(fake.RouteQuranUthmani, fake.Fault{Status: 503})
	}}))
	if got, failed := metric(failing, "verse_copy_complete"), metric(failing, "verse_copy_loads_total", "failed"); got != 0 || failed != 1 {
		t.Errorf("after a failed load: complete %v, failed loads %v; want 0 and 1", got, failed)
	}
}
