package fake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

const contentBase = "/content/api/v4"

// scoped returns a client-credentials token granted scope.
func (a *api) scoped(scope string) string {
	a.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, a.base+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}.Encode()))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DemoClientID, DemoClientSecret)
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" || tok.Scope != scope {
		a.t.Fatalf("token for %q: %v (status %d, scope %q)", scope, err, resp.StatusCode, tok.Scope)
	}
	return tok.AccessToken
}

func TestContentScopes(t *testing.T) {
	a := newAPI(t)
	content, both, none, reflect := a.scoped("content"), a.scoped("post.read content"), a.anonymous(), a.scoped("post.read")
	for _, tc := range []struct {
		name, path, token string
		want              int
	}{
		{"content token on content", contentBase + "/chapters", content, 200},
		{"content and post.read on content", contentBase + "/chapters", both, 200},
		{"no scope on content", contentBase + "/chapters", none, 403},
		{"post.read on content", contentBase + "/chapters", reflect, 403},
		{"user on content", contentBase + "/chapters", "demo-aisha", 403},
		{"user on uthmani", contentBase + "/quran/verses/uthmani", "demo-bilal", 403},
		{"no scope on by_range", contentBase + "/verses/by_range?from=1:1&to=1:7", none, 403},
		{"content token on the feed", "/quran-reflect/v1/posts/feed", content, 403},
		{"content token on a room", "/quran-reflect/v1/rooms/1", content, 403},
		{"content token on count-by-verse", "/quran-reflect/v1/posts/count-by-verse/262", content, 403},
		{"no scope on the feed", "/quran-reflect/v1/posts/feed", none, 200},
		{"no scope on count-by-verse", "/quran-reflect/v1/posts/count-by-verse/262", none, 200},
		{"content and post.read on the feed", "/quran-reflect/v1/posts/feed", both, 200},
		{"user on count-by-verse", "/quran-reflect/v1/posts/count-by-verse/262", "demo-aisha", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.get(tc.path, tc.token)
			if ans.status != tc.want {
				t.Fatalf("%d %s, want %d", ans.status, ans.raw, tc.want)
			}
			if tc.want == 403 && (ans.body["type"] != "forbidden" || ans.body["success"] != false) {
				t.Errorf("refusal %s, want the forbidden envelope", ans.raw)
			}
		})
	}
	if got, want := a.f.ScopesUsed(RouteChapters), []string{"", "content", "content post.read", "post.read", ScopeUser}; !slices.Equal(got, want) {
		t.Errorf("ScopesUsed(chapters) = %q, want %q", got, want)
	}
	if got, want := a.f.ScopesUsed(RouteFeed), []string{"", "content", "content post.read"}; !slices.Equal(got, want) {
		t.Errorf("ScopesUsed(feed) = %q, want %q", got, want)
	}
	if got := a.f.ScopesUsed(RouteTags); len(got) != 0 {
		t.Errorf("ScopesUsed of a route never called = %q", got)
	}
	// A call without a valid token never reaches the scope check.
	a.get(contentBase+"/chapters", "nope")
	if got := a.f.ScopesUsed(RouteChapters); len(got) != 5 {
		t.Errorf("an unknown token added a scope: %q", got)
	}
	if got := a.f.Stats().Calls[RouteChapters]; got != 6 {
		t.Errorf("Stats.Calls[chapters] = %d, want 6 (refused calls count)", got)
	}
}

// verseItems reads the list under key, failing the test when it is missing.
func verseItems(t *testing.T, body map[string]any, key string) []map[string]any {
	t.Helper()
	return items0(t, body, key)
}

func TestQuranUthmani(t *testing.T) {
	a := newAPI(t)
	tok := a.scoped("content")
	verses := verseItems(t, a.ok(contentBase+"/quran/verses/uthmani", tok), "verses")
	if len(verses) != upstream.Verses {
		t.Fatalf("%d verses, want %d", len(verses), upstream.Verses)
	}
	real := 0
	for i, v := range verses {
		k, _ := upstream.VerseAt(i + 1)
		if num(v["id"]) != i+1 || v["verse_key"] != k.String() {
			t.Fatalf("verse %d is %v, want id %d key %s", i, v, i+1, k)
		}
		text, _ := v["text_uthmani"].(string)
		switch {
		case text == "[demo text of "+k.String()+"]":
		case strings.HasPrefix(text, "["):
			t.Errorf("%s: placeholder %q does not name its verse", k, text)
		default:
			real++
		}
	}
	byKey := func(key string) string {
		k, err := upstream.ParseVerseKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return verses[k.Index()-1]["text_uthmani"].(string)
	}
	for key, want := range map[string]string{
		"1:1":   "بِسْمِ ٱللَّهِ ٱلرَّحْمَـٰنِ ٱلرَّحِيمِ",
		"112:1": "قُلْ هُوَ ٱللَّهُ أَحَدٌ",
		"3:7":   "[demo text of 3:7]",
	} {
		if got := byKey(key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	if !strings.HasPrefix(byKey("2:255"), "ٱللَّهُ لَآ إِلَـٰهَ إِلَّا هُوَ") || !strings.HasSuffix(byKey("2:255"), "ٱلْعَلِىُّ ٱلْعَظِيمُ") {
		t.Errorf("2:255: %q", byKey("2:255"))
	}
	// Al-Fatiha, 2:255-257 and Al-Ikhlas at least are real.
	for _, key := range []string{"1:1", "1:2", "1:3", "1:4", "1:5", "1:6", "1:7", "2:255", "2:256", "2:257", "112:1", "112:2", "112:3", "112:4"} {
		if strings.HasPrefix(byKey(key), "[") {
			t.Errorf("%s has no real text", key)
		}
	}
	if real != len(uthmaniVerses()) {
		t.Errorf("%d verses with real text, the data has %d", real, len(uthmaniVerses()))
	}

	ikhlas := verseItems(t, a.ok(contentBase+"/quran/verses/uthmani?chapter_number=112", tok), "verses")
	if len(ikhlas) != 4 || ikhlas[0]["verse_key"] != "112:1" || num(ikhlas[0]["id"]) != (upstream.VerseKey{Chapter: 112, Verse: 1}).Index() {
		t.Errorf("chapter 112: %v", ikhlas)
	}
	if d := validationDetails(t, a.get(contentBase+"/quran/verses/uthmani?chapter_number=115", tok)); d["chapter_number"] != "MAX" {
		t.Errorf("chapter 115: %v", d)
	}
}

func TestQuranTranslation(t *testing.T) {
	a := newAPI(t)
	tok := a.scoped("content")
	body := a.ok(contentBase+"/quran/translations/131", tok)
	rows := verseItems(t, body, "translations")
	if len(rows) != upstream.Verses {
		t.Fatalf("%d rows, want %d", len(rows), upstream.Verses)
	}
	for _, r := range rows {
		if _, ok := r["verse_key"]; ok {
			t.Fatalf("verse_key without fields=verse_key: %v", r)
		}
		if _, ok := r["verse_id"]; ok {
			t.Fatalf("verse_id without fields=verse_id: %v", r)
		}
		if num(r["resource_id"]) != 131 {
			t.Fatalf("row %v", r)
		}
	}
	meta, _ := body["meta"].(map[string]any)
	if name, _ := meta["translation_name"].(string); !strings.Contains(name, "Pickthall") || !strings.Contains(name, "public domain") || !strings.Contains(name, "131") {
		t.Errorf("translation_name %q does not say what it is", name)
	}
	if meta["author_name"] == nil {
		t.Errorf("meta %v", meta)
	}

	rows = verseItems(t, a.ok(contentBase+"/quran/translations/131?fields=verse_key,verse_id", tok), "translations")
	for i, r := range rows {
		k, _ := upstream.VerseAt(i + 1)
		if r["verse_key"] != k.String() || num(r["verse_id"]) != i+1 {
			t.Fatalf("row %d: %v, want %s", i, r, k)
		}
	}
	text := func(key string) string {
		k, _ := upstream.ParseVerseKey(key)
		return rows[k.Index()-1]["text"].(string)
	}
	if got := text("1:1"); got != "In the name of Allah, the Beneficent, the Merciful." {
		t.Errorf("1:1: %q", got)
	}
	if got := text("2:255"); !strings.Contains(got, "<sup foot_note=") || !strings.HasPrefix(got, "Allah! There is no deity save Him") {
		t.Errorf("2:255 has no footnote markup: %q", got)
	}
	if got := text("3:7"); got != "[demo translation of 3:7]" {
		t.Errorf("3:7: %q", got)
	}
	// The English covers the verses the Uthmani text does, and only those.
	for key := range uthmaniVerses() {
		if strings.HasPrefix(text(key), "[") {
			t.Errorf("%s has Arabic but no English", key)
		}
	}
	if len(pickthallVerses()) != len(uthmaniVerses()) {
		t.Errorf("%d English verses, %d Arabic", len(pickthallVerses()), len(uthmaniVerses()))
	}

	one := verseItems(t, a.ok(contentBase+"/quran/translations/131?chapter_number=1&fields=verse_key", tok), "translations")
	if len(one) != 7 || one[6]["verse_key"] != "1:7" {
		t.Errorf("chapter 1: %v", one)
	}
	for _, id := range []string{"999", "abc"} {
		ans := a.get(contentBase+"/quran/translations/"+id, tok)
		if ans.status != 404 || ans.body["type"] != "not_found" || ans.body["success"] != false {
			t.Errorf("translation %s: %d %s", id, ans.status, ans.raw)
		}
	}
}

func TestChapters(t *testing.T) {
	a := newAPI(t)
	tok := a.scoped("content")
	chapters := verseItems(t, a.ok(contentBase+"/chapters?language=en", tok), "chapters")
	if len(chapters) != upstream.Chapters {
		t.Fatalf("%d chapters", len(chapters))
	}
	orders := map[int]bool{}
	madinan, lastPage := 0, 0
	for i, c := range chapters {
		id := i + 1
		if num(c["id"]) != id || num(c["verses_count"]) != upstream.ChapterVerses(id) {
			t.Errorf("chapter %d: %v", id, c)
		}
		tn, _ := c["translated_name"].(map[string]any)
		if c["name_simple"] == "" || c["name_arabic"] == "" || tn["name"] == "" || tn["language_name"] != "english" {
			t.Errorf("chapter %d names: %v", id, c)
		}
		orders[num(c["revelation_order"])] = true
		switch c["revelation_place"] {
		case "madinah":
			madinan++
			if num(c["revelation_order"]) < madinanFrom {
				t.Errorf("chapter %d madinan with order %v", id, c["revelation_order"])
			}
		case "makkah":
		default:
			t.Errorf("chapter %d revelation_place %v", id, c["revelation_place"])
		}
		pages, _ := c["pages"].([]any)
		if len(pages) != 2 || num(pages[0]) < lastPage || num(pages[1]) < num(pages[0]) || num(pages[1]) > 604 {
			t.Errorf("chapter %d pages %v after %d", id, pages, lastPage)
		} else {
			lastPage = num(pages[0])
		}
		if want := id != 1 && id != 9; c["bismillah_pre"] != want {
			t.Errorf("chapter %d bismillah_pre %v", id, c["bismillah_pre"])
		}
	}
	if len(orders) != upstream.Chapters || orders[0] || orders[115] {
		t.Errorf("revelation orders are not 1 to 114 once each: %d distinct", len(orders))
	}
	if madinan != 28 {
		t.Errorf("%d Madinan chapters, want 28", madinan)
	}
	for id, want := range map[int][3]string{1: {"Al-Fatihah", "الفاتحة", "The Opener"}, 2: {"Al-Baqarah", "البقرة", "The Cow"},
		112: {"Al-Ikhlas", "الإخلاص", "The Sincerity"}, 114: {"An-Nas", "الناس", "Mankind"}} {
		c := chapters[id-1]
		if c["name_simple"] != want[0] || c["name_arabic"] != want[1] || c["translated_name"].(map[string]any)["name"] != want[2] {
			t.Errorf("chapter %d: %v", id, c)
		}
	}

	list := verseItems(t, a.ok(contentBase+"/resources/translations", tok), "translations")
	if len(list) != 1 || num(list[0]["id"]) != 131 || list[0]["language_name"] != "english" ||
		!strings.Contains(str(list[0]["name"]), "Pickthall") || list[0]["slug"] == nil || list[0]["author_name"] == nil {
		t.Errorf("translation resources: %v", list)
	}
}

func TestVersesByRange(t *testing.T) {
	a := newAPI(t)
	tok := a.scoped("content")
	byRange := contentBase + "/verses/by_range?"

	body := a.ok(byRange+"from=2:255&to=2:257", tok)
	verses := verseItems(t, body, "verses")
	if len(verses) != 3 {
		t.Fatalf("%d verses", len(verses))
	}
	v := verses[0]
	if num(v["id"]) != 262 || num(v["verse_index"]) != 262 || v["verse_key"] != "2:255" || num(v["verse_number"]) != 255 ||
		num(v["chapter_id"]) != 2 || num(v["juz_number"]) != 3 || num(v["hizb_number"]) < 5 || num(v["hizb_number"]) > 6 || num(v["page_number"]) < 2 {
		t.Errorf("2:255: %v", v)
	}
	if _, ok := v["text_uthmani"]; ok {
		t.Errorf("text_uthmani without fields: %v", v)
	}
	if tr, _ := v["translations"].([]any); len(tr) != 0 {
		t.Errorf("translations without translations: %v", tr)
	}

	verses = verseItems(t, a.ok(byRange+"from=2:255&to=2:257&fields=text_uthmani&translations=131,131,20&translation_fields=resource_name,language_name", tok), "verses")
	if !strings.HasPrefix(str(verses[0]["text_uthmani"]), "ٱللَّهُ") {
		t.Errorf("text_uthmani %v", verses[0]["text_uthmani"])
	}
	trs, _ := verses[0]["translations"].([]any)
	if len(trs) != 1 {
		t.Fatalf("translations %v: want 131 once (20 is not served)", trs)
	}
	tr := trs[0].(map[string]any)
	if num(tr["resource_id"]) != 131 || tr["language_name"] != "english" || !strings.Contains(str(tr["resource_name"]), "Pickthall") ||
		!strings.Contains(str(tr["text"]), "foot_note") || num(tr["id"]) <= 0 {
		t.Errorf("translation %v", tr)
	}
	verses = verseItems(t, a.ok(byRange+"from=112:1&to=112:4&translations=131", tok), "verses")
	tr = verses[0]["translations"].([]any)[0].(map[string]any)
	if _, ok := tr["resource_name"]; ok || tr["language_name"] != nil || tr["text"] != "Say: He is Allah, the One!" {
		t.Errorf("translation without translation_fields: %v", tr)
	}

	// Pages: from 1:1 across into chapter 2, by 50.
	var keys []string
	for page := 1; ; page++ {
		body := a.ok(fmt.Sprintf("%sfrom=1:1&to=2:286&per_page=50&page=%d", byRange, page), tok)
		pg, _ := body["pagination"].(map[string]any)
		if num(pg["per_page"]) != 50 || num(pg["current_page"]) != page || num(pg["total_records"]) != 293 || num(pg["total_pages"]) != 6 {
			t.Fatalf("page %d: pagination %v", page, pg)
		}
		for _, v := range verseItems(t, body, "verses") {
			keys = append(keys, str(v["verse_key"]))
		}
		if pg["next_page"] == nil {
			if page != 6 {
				t.Errorf("next_page null on page %d of 6", page)
			}
			break
		}
		if num(pg["next_page"]) != page+1 || page > 6 {
			t.Fatalf("page %d: next_page %v", page, pg["next_page"])
		}
	}
	if len(keys) != 293 || keys[0] != "1:1" || keys[7] != "2:1" || keys[292] != "2:286" {
		t.Errorf("walked %d verses: %v … %v", len(keys), keys[:min(8, len(keys))], keys[len(keys)-1:])
	}
	pg := a.ok(byRange+"from=1:1&to=1:7", tok)["pagination"].(map[string]any)
	if num(pg["per_page"]) != 10 || num(pg["total_pages"]) != 1 || pg["next_page"] != nil {
		t.Errorf("default page: %v", pg)
	}
	if beyond := verseItems(t, a.ok(byRange+"from=1:1&to=1:7&page=3", tok), "verses"); len(beyond) != 0 {
		t.Errorf("page beyond the last: %v", beyond)
	}

	for query, want := range map[string]map[string]any{
		"from=2:255&to=2:257&per_page=51": {"per_page": "MAX"},
		"from=2:255&to=2:257&per_page=0":  {"per_page": "MIN"},
		"from=2:255&to=2:257&page=0":      {"page": "MIN"},
		"from=2:257&to=2:255":             {"to": "INVALID"},
		"from=2:287&to=3:1":               {"from": "INVALID"},
		"to=1:7":                          {"from": "REQUIRED"},
		"from=1:1":                        {"to": "REQUIRED"},
		"from=1:1&to=1:7&translations=x":  {"translations": "INVALID"},
	} {
		if got := validationDetails(t, a.get(byRange+query, tok)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: details %v, want %v", query, got, want)
		}
	}
}

func TestPostsCountByVerse(t *testing.T) {
	a := newAPI(t)
	tok := a.anonymous()
	count := func(index int) int {
		t.Helper()
		return num(a.ok(fmt.Sprintf("/quran-reflect/v1/posts/count-by-verse/%d", index), tok)["count"])
	}
	// The count is the feed's total for the verse, seen without a user.
	for _, key := range []upstream.VerseKey{{Chapter: 2, Verse: 255}, {Chapter: 1, Verse: 3}, {Chapter: 36, Verse: 40}, {Chapter: 94, Verse: 6}, {Chapter: 3, Verse: 7}} {
		feed := a.ok(fmt.Sprintf("/quran-reflect/v1/posts/feed?filter[references][0][chapterId]=%d&filter[references][0][from]=%d&filter[references][0][to]=%d&limit=1",
			key.Chapter, key.Verse, key.Verse), tok)
		if got, want := count(key.Index()), num(feed["total"]); got != want {
			t.Errorf("%s: count %d, the feed has %d", key, got, want)
		}
	}
	if n := count(262); n < 30 {
		t.Errorf("2:255 counts %d posts; the demo has more than 30 on it", n)
	}
	if n := count(upstream.VerseKey{Chapter: 3, Verse: 7}.Index()); n != 0 {
		t.Errorf("3:7 counts %d posts; no demo post is on it", n)
	}
	// A post published on a verse counts; drafts and members-only posts do not.
	before := count(upstream.VerseKey{Chapter: 3, Verse: 7}.Index())
	ans := a.do(http.MethodPost, "/quran-reflect/v1/posts", "demo-aisha",
		`{"post":{"body":"On the clear verses and the allegorical.","draft":false,"references":[{"chapterId":3,"from":7,"to":7}],"mentions":[]}}`)
	if ans.status != http.StatusCreated {
		t.Fatalf("create: %d %s", ans.status, ans.raw)
	}
	if after := count(upstream.VerseKey{Chapter: 3, Verse: 7}.Index()); after != before+1 {
		t.Errorf("after a post on 3:7: %d, want %d", after, before+1)
	}
	for _, id := range []string{"0", "6237", "x", "-1"} {
		if d := validationDetails(t, a.get("/quran-reflect/v1/posts/count-by-verse/"+id, tok)); d["verseId"] != "INVALID" {
			t.Errorf("%s: %v", id, d)
		}
	}
}

// TestContentRoutesLikeOthers: faults, BeforeRoute and the counters apply to
// the content routes as to every other.
func TestContentRoutesLikeOthers(t *testing.T) {
	a := newAPI(t)
	tok := a.scoped("content")
	a.f.SetRouteFault(RouteVersesByRange, Fault{Status: 503, Body: `{"message":"down","type":"service_unavailable","success":false}`, Times: 1})
	if ans := a.get(contentBase+"/verses/by_range?from=1:1&to=1:2", tok); ans.status != 503 {
		t.Errorf("fault: %d %s", ans.status, ans.raw)
	}
	if ans := a.get(contentBase+"/verses/by_range?from=1:1&to=1:2", tok); ans.status != 200 {
		t.Errorf("after the fault: %d %s", ans.status, ans.raw)
	}
	ran := false
	a.f.BeforeRoute(RouteChapters, func() { ran = true })
	a.ok(contentBase+"/chapters", tok)
	if !ran {
		t.Error("BeforeRoute did not run")
	}
	if got := a.f.Stats().Calls; got[RouteVersesByRange] != 2 || got[RouteChapters] != 1 {
		t.Errorf("calls %v", got)
	}
}

// TestQuranShapeAgrees: the emulator's own copy of the Quran's shape is the
// upstream package's.
func TestQuranShapeAgrees(t *testing.T) {
	if chapters != upstream.Chapters || totalVerses != upstream.Verses {
		t.Fatalf("%d chapters, %d verses", chapters, totalVerses)
	}
	for i := -1; i <= upstream.Verses+1; i++ {
		got, ok := verseAt(i)
		want, wok := upstream.VerseAt(i)
		if ok != wok || got.chapter != want.Chapter || got.verse != want.Verse || ok && got.index() != want.Index() {
			t.Fatalf("index %d: %v %v, upstream %v %v", i, got, ok, want, wok)
		}
	}
	for _, s := range []string{"2:255", "1:7", "1:8", "114:6", "115:1", "0:1", "2:0", "+2:255", "2:255 ", "2", ":", "2:2550", "02:255"} {
		got, ok := parseVerseKey(s)
		want, err := upstream.ParseVerseKey(s)
		if ok != (err == nil) || ok && (got.chapter != want.Chapter || got.verse != want.Verse) {
			t.Errorf("%q: %v %v, upstream %v %v", s, got, ok, want, err)
		}
	}
}
