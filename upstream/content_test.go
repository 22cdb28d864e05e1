package upstream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// contentStub is a Content API that answers every request with status and
// body and keeps what it received, with a Content client for it (service
// token "content-token") whose warnings are kept too.
type contentStub struct {
	served
	content *upstream.Content
	logMu   sync.Mutex
	logged  []string
}

func (s *contentStub) warnings() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]string(nil), s.logged...)
}

func serveContent(t *testing.T, status int, body string) *contentStub {
	t.Helper()
	s := &contentStub{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, captured{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone()})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	cfg := configFor(srv.URL)
	cfg.ServiceTokens = staticTokens{token: "content-token"}
	cfg.Sleep = noWait
	cfg.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		s.logged = append(s.logged, string(p))
		return len(p), nil
	}), nil))
	s.content = upstream.NewContent(cfg, srv.Client())
	return s
}

func key(t *testing.T, s string) upstream.VerseKey {
	t.Helper()
	k, err := upstream.ParseVerseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestContentUthmani(t *testing.T) {
	s := serveContent(t, http.StatusOK, `{"verses": [
	  {"id": 1, "verse_key": "1:1", "text_uthmani": "بِسْمِ ٱللَّهِ"},
	  {"id": 2, "text_uthmani": "no key"},
	  {"id": 3, "verse_key": "1:8", "text_uthmani": "not a verse"},
	  {"id": 4, "verse_key": "2:255"},
	  {"id": 5, "verse_key": "2:255", "text_uthmani": "ٱللَّهُ"},
	  "garbage"], "meta": {"filters": {}}}`)
	got, err := s.content.Uthmani(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []upstream.VerseText{{Key: key(t, "1:1"), Text: "بِسْمِ ٱللَّهِ"}, {Key: key(t, "2:255"), Text: "ٱللَّهُ"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Uthmani = %+v, want %+v", got, want)
	}
	if g, w := len(s.warnings()), 4; g != w {
		t.Errorf("warnings = %d (%q), want %d: one per row left out", g, s.warnings(), w)
	}
	rq := s.only(t)
	if g, w := rq.Path, "/content/api/v4/quran/verses/uthmani"; g != w {
		t.Errorf("path = %q, want %q", g, w)
	}
	if rq.Query != "" {
		t.Errorf("query = %q, want none: no filter is the whole Quran", rq.Query)
	}
}

func TestContentTranslation(t *testing.T) {
	s := serveContent(t, http.StatusOK, `{"translations": [
	  {"resource_id": 131, "text": "In the Name of Allah<sup foot_note=81221>1</sup>, the Most Compassionate", "verse_key": "1:1"},
	  {"resource_id": 131, "text": "placed by its index", "verse_id": 262},
	  {"resource_id": 131, "text": "nowhere"},
	  {"resource_id": 131, "text": "bad key wins over id", "verse_key": "0:1", "verse_id": 3},
	  {"resource_id": 20, "text": "another translation", "verse_key": "1:2"},
	  {"resource_id": 131, "verse_key": "1:3"}],
	  "meta": {"translation_name": "The Clear Quran", "author_name": "Dr. Mustafa Khattab"}}`)
	got, err := s.content.Translation(context.Background(), 131)
	if err != nil {
		t.Fatal(err)
	}
	if got.ResourceID != 131 || got.Name != "The Clear Quran" || got.AuthorName != "Dr. Mustafa Khattab" {
		t.Errorf("Translation = %d %q %q", got.ResourceID, got.Name, got.AuthorName)
	}
	want := []upstream.VerseText{
		{Key: key(t, "1:1"), Text: "In the Name of Allah, the Most Compassionate"},
		{Key: key(t, "2:255"), Text: "placed by its index"},
	}
	if len(got.Verses) != len(want) || got.Verses[0] != want[0] || got.Verses[1] != want[1] {
		t.Errorf("Verses = %+v, want %+v", got.Verses, want)
	}
	if g, w := len(s.warnings()), 4; g != w {
		t.Errorf("warnings = %d (%q), want %d", g, s.warnings(), w)
	}
	rq := s.only(t)
	if g, w := rq.Path, "/content/api/v4/quran/translations/131"; g != w {
		t.Errorf("path = %q, want %q", g, w)
	}
	if g, w := rq.Query, "fields=verse_key"; g != w {
		t.Errorf("query = %q, want %q", g, w)
	}
}

func TestContentTranslationRefusesAnIDWithoutCalling(t *testing.T) {
	s := serveContent(t, http.StatusOK, `{}`)
	for _, id := range []int{0, -131} {
		if _, err := s.content.Translation(context.Background(), id); !errors.Is(err, upstream.ErrInvalidArgument) {
			t.Errorf("Translation(%d) err = %v, want ErrInvalidArgument", id, err)
		}
	}
	if n := len(s.all()); n != 0 {
		t.Errorf("upstream calls = %d, want 0", n)
	}
}

func TestContentChapters(t *testing.T) {
	s := serveContent(t, http.StatusOK, `{"chapters": [
	  {"id": 1, "revelation_place": "makkah", "name_simple": "Al-Fatihah", "name_arabic": "الفاتحة",
	   "verses_count": 7, "pages": [1, 1], "translated_name": {"language_name": "english", "name": "The Opener"}},
	  {"id": 2, "name_simple": "Al-Baqarah", "name_arabic": "البقرة", "verses_count": 286},
	  {"id": 115, "name_simple": "x", "name_arabic": "x", "verses_count": 1},
	  {"id": 3, "name_arabic": "آل عمران", "verses_count": 200}]}`)
	got, err := s.content.Chapters(context.Background(), "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("chapters = %+v, want 2", got)
	}
	first := got[0]
	if first.ID != 1 || first.NameSimple != "Al-Fatihah" || first.NameArabic != "الفاتحة" || first.VersesCount != 7 ||
		first.TranslatedName == nil || *first.TranslatedName != "The Opener" ||
		first.RevelationPlace == nil || *first.RevelationPlace != "makkah" {
		t.Errorf("chapter 1 = %+v", first)
	}
	if second := got[1]; second.ID != 2 || second.TranslatedName != nil || second.RevelationPlace != nil {
		t.Errorf("chapter 2 = %+v, want nil optional fields", second)
	}
	rq := s.only(t)
	if g, w := rq.Path+"?"+rq.Query, "/content/api/v4/chapters?language=en"; g != w {
		t.Errorf("request = %q, want %q", g, w)
	}
	if _, err := s.content.Chapters(context.Background(), "en&x=1"); !errors.Is(err, upstream.ErrInvalidArgument) {
		t.Errorf("odd language: err = %v, want ErrInvalidArgument", err)
	}
}

func TestContentTranslationResources(t *testing.T) {
	s := serveContent(t, http.StatusOK, `{"translations": [
	  {"id": 131, "name": "Dr. Mustafa Khattab, The Clear Quran", "author_name": "Dr. Mustafa Khattab",
	   "slug": "clearquran-with-tafsir", "language_name": "english"},
	  {"id": 83, "name": "Sheikh Isa Garcia"},
	  {"id": "x", "name": "bad id"},
	  {"id": 5}]}`)
	got, err := s.content.TranslationResources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 131 || got[0].AuthorName == nil || *got[0].LanguageName != "english" ||
		got[1].ID != 83 || got[1].AuthorName != nil || got[1].LanguageName != nil {
		t.Errorf("resources = %+v", got)
	}
	if g, w := s.only(t).Path, "/content/api/v4/resources/translations"; g != w {
		t.Errorf("path = %q, want %q", g, w)
	}
}

func TestContentVersesByRange(t *testing.T) {
	const body = `{"verses": [
	  {"id": 262, "verse_number": 255, "verse_key": "2:255", "chapter_id": 2, "verse_index": 262,
	   "text_uthmani": "ٱللَّهُ لَآ إِلَٰهَ إِلَّا هُوَ",
	   "translations": [{"id": 1, "resource_id": 131, "text": "Allah&mdash;there is no god except Him", "resource_name": "Dr. Mustafa Khattab", "language_name": "english"},
	                    {"id": 2, "resource_id": 99, "text": "not asked for"}]},
	  {"id": 263, "verse_key": "2:256", "text_uthmani": "لَآ إِكْرَاهَ", "translations": [{"resource_id": 20, "text": "<i>No</i> compulsion"}]},
	  {"id": 7, "verse_key": "1:7", "text_uthmani": "outside the range"}],
	  "pagination": {"per_page": 50, "current_page": 1, "next_page": null, "total_pages": 1, "total_records": 3}}`
	s := serveContent(t, http.StatusOK, body)
	q, err := upstream.NewVersesQuery(key(t, "2:255"), key(t, "2:257"), []int{131, 20, 131})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := q.Translations, "20,131"; g != w {
		t.Errorf("Translations = %q, want %q (sorted, no repeats)", g, w)
	}
	got, err := s.content.VersesByRange(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("verses = %+v, want 2 (1:7 is outside the range)", got)
	}
	v := got[0]
	if v.Key != key(t, "2:255") || v.TextUthmani != "ٱللَّهُ لَآ إِلَٰهَ إِلَّا هُوَ" || len(v.Translations) != 1 {
		t.Fatalf("2:255 = %+v", v)
	}
	tr := v.Translations[0]
	if tr.ResourceID != 131 || tr.Text != "Allah—there is no god except Him" ||
		tr.ResourceName == nil || *tr.ResourceName != "Dr. Mustafa Khattab" || tr.LanguageName == nil {
		t.Errorf("2:255's translation = %+v", tr)
	}
	if g := got[1].Translations; len(g) != 1 || g[0].Text != "No compulsion" || g[0].ResourceName != nil {
		t.Errorf("2:256's translations = %+v", g)
	}
	rq := s.only(t)
	if g, w := rq.Path, "/content/api/v4/verses/by_range"; g != w {
		t.Errorf("path = %q, want %q", g, w)
	}
	wantQuery := "from=2:255&to=2:257&per_page=50&fields=text_uthmani&translations=20,131&translation_fields=resource_name,language_name"
	if g := rq.Query; g != wantQuery {
		t.Errorf("query = %q, want %q", g, wantQuery)
	}

	t.Run("no translations", func(t *testing.T) {
		s := serveContent(t, http.StatusOK, `{"verses": [], "pagination": {}}`)
		q, err := upstream.NewVersesQuery(key(t, "112:1"), key(t, "112:4"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.content.VersesByRange(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if g, w := s.only(t).Query, "from=112:1&to=112:4&per_page=50&fields=text_uthmani"; g != w {
			t.Errorf("query = %q, want %q", g, w)
		}
	})
}

func TestNewVersesQueryRefuses(t *testing.T) {
	tests := []struct {
		name         string
		from, to     upstream.VerseKey
		translations []int
	}{
		{"another chapter", upstream.VerseKey{Chapter: 1, Verse: 7}, upstream.VerseKey{Chapter: 2, Verse: 1}, nil},
		{"backwards", upstream.VerseKey{Chapter: 2, Verse: 257}, upstream.VerseKey{Chapter: 2, Verse: 255}, nil},
		{"51 verses", upstream.VerseKey{Chapter: 2, Verse: 1}, upstream.VerseKey{Chapter: 2, Verse: 51}, nil},
		{"from not a verse", upstream.VerseKey{Chapter: 1, Verse: 0}, upstream.VerseKey{Chapter: 1, Verse: 3}, nil},
		{"to not a verse", upstream.VerseKey{Chapter: 1, Verse: 1}, upstream.VerseKey{Chapter: 1, Verse: 8}, nil},
		{"chapter 115", upstream.VerseKey{Chapter: 115, Verse: 1}, upstream.VerseKey{Chapter: 115, Verse: 1}, nil},
		{"translation 0", upstream.VerseKey{Chapter: 1, Verse: 1}, upstream.VerseKey{Chapter: 1, Verse: 1}, []int{131, 0}},
		{"negative translation", upstream.VerseKey{Chapter: 1, Verse: 1}, upstream.VerseKey{Chapter: 1, Verse: 1}, []int{-2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := upstream.NewVersesQuery(tt.from, tt.to, tt.translations)
			var ue *upstream.Error
			if !errors.Is(err, upstream.ErrInvalidArgument) || !errors.As(err, &ue) {
				t.Errorf("NewVersesQuery = %+v, %v; want an *Error with ErrInvalidArgument", q, err)
			}
		})
	}
	if _, err := upstream.NewVersesQuery(upstream.VerseKey{Chapter: 2, Verse: 1}, upstream.VerseKey{Chapter: 2, Verse: 50}, nil); err != nil {
		t.Errorf("50 verses: %v, want accepted", err)
	}
}

func TestVersesByRangeRefusesAHandMadeQueryWithoutCalling(t *testing.T) {
	s := serveContent(t, http.StatusOK, `{"verses": []}`)
	one := upstream.VerseKey{Chapter: 1, Verse: 1}
	for name, q := range map[string]upstream.VersesQuery{
		"zero":                  {},
		"translations unsorted": {From: one, To: one, Translations: "131,20"},
		"translations repeated": {From: one, To: one, Translations: "20,20"},
		"translations odd":      {From: one, To: one, Translations: "20&x=1"},
		"translation zero":      {From: one, To: one, Translations: "0"},
		"leading zero":          {From: one, To: one, Translations: "020"},
		"trailing comma":        {From: one, To: one, Translations: "20,"},
	} {
		if _, err := s.content.VersesByRange(context.Background(), q); !errors.Is(err, upstream.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := len(s.all()); n != 0 {
		t.Errorf("upstream calls = %d, want 0", n)
	}
}

func TestCleanTranslation(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "In the Name of Allah", "In the Name of Allah"},
		{"footnote with its number", "Praise be to Allah<sup foot_note=77>1</sup>, Lord of all", "Praise be to Allah, Lord of all"},
		{"footnote between words", "the Lord <sup foot_note=\"12\">2</sup> of all", "the Lord of all"},
		{"footnote before punctuation", "the Lord <sup foot_note=12>2</sup>.", "the Lord."},
		{"upper-case footnote", "a<SUP FOOT_NOTE=1>12</SUP> b", "a b"},
		{"other sup keeps its text", "x<sup>2</sup>", "x2"},
		{"italics keep their text", "<i>x</i> and <b>y</b>", "x and y"},
		{"entities", "Tom &amp; Jerry &quot;said&quot; &#39;hi&#39; &lt;3", `Tom & Jerry "said" 'hi' <3`},
		{"escaped markup stays text", "&lt;i&gt;", "<i>"},
		{"no double spaces", "  one   two \n three\u00a0 four  ", "one two three four"},
		{"break is a space", "one<br/>two<p>three</p>", "one two three"},
		{"a lone < is text", "a < b and c<", "a < b and c<"},
		{"unclosed footnote", "a<sup foot_note=1>1 b", "a b"},
		{"comment dropped", "a<!-- note -->b", "ab"},
		{"quoted >", `<span title="a>b">x</span>`, "x"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upstream.CleanTranslation(tt.in); got != tt.want {
				t.Errorf("CleanTranslation(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPostsCountByVerse(t *testing.T) {
	c, s := serve(t, http.StatusOK, `{"count": 17}`)
	n, err := c.PostsCountByVerse(context.Background(), 262, "user-token")
	if err != nil {
		t.Fatal(err)
	}
	if n != 17 {
		t.Errorf("count = %d, want 17", n)
	}
	rq := s.only(t)
	if g, w := rq.Path, "/quran-reflect/v1/posts/count-by-verse/262"; g != w {
		t.Errorf("path = %q, want %q", g, w)
	}
	if g, w := rq.Header.Get("X-Auth-Token"), "user-token"; g != w {
		t.Errorf("token = %q, want the caller's %q", g, w)
	}
	for _, index := range []int{0, -1, upstream.Verses + 1} {
		if _, err := c.PostsCountByVerse(context.Background(), index, ""); !errors.Is(err, upstream.ErrInvalidArgument) {
			t.Errorf("index %d: err = %v, want ErrInvalidArgument", index, err)
		}
	}
	if n := len(s.all()); n != 1 {
		t.Errorf("upstream calls = %d, want 1: a bad index is refused without calling", n)
	}
}

// contentCalls is every Content method, and PostsCountByVerse, called once.
var contentCalls = map[string]func(ctx context.Context, c *upstream.Content) error{
	"Uthmani": func(ctx context.Context, c *upstream.Content) error { _, err := c.Uthmani(ctx); return err },
	"Translation": func(ctx context.Context, c *upstream.Content) error {
		_, err := c.Translation(ctx, 131)
		return err
	},
	"Chapters": func(ctx context.Context, c *upstream.Content) error { _, err := c.Chapters(ctx, "en"); return err },
	"TranslationResources": func(ctx context.Context, c *upstream.Content) error {
		_, err := c.TranslationResources(ctx)
		return err
	},
	"VersesByRange": func(ctx context.Context, c *upstream.Content) error {
		q, err := upstream.NewVersesQuery(upstream.VerseKey{Chapter: 2, Verse: 255}, upstream.VerseKey{Chapter: 2, Verse: 257}, []int{131})
		if err != nil {
			return err
		}
		_, err = c.VersesByRange(ctx, q)
		return err
	},
}

func TestContentSurvivesGarbage(t *testing.T) {
	bodies := map[string]string{
		"html":        "<!doctype html><html><body>Maintenance</body></html>",
		"empty":       "",
		"truncated":   `{"verses": [{"verse_key": "1:1", "text_`,
		"array":       `[1, 2, 3]`,
		"null":        `null`,
		"wrong shape": `{"verses": {"a": 1}, "translations": "x", "chapters": 7}`,
		"nothing":     `{}`,
	}
	for body, text := range bodies {
		for name, call := range contentCalls {
			t.Run(body+"/"+name, func(t *testing.T) {
				s := serveContent(t, http.StatusOK, text)
				err := call(context.Background(), s.content)
				var ue *upstream.Error
				if !errors.Is(err, upstream.ErrMalformed) || !errors.As(err, &ue) {
					t.Errorf("err = %v, want an *Error with ErrMalformed", err)
				}
			})
		}
		t.Run(body+"/PostsCountByVerse", func(t *testing.T) {
			c, _ := serve(t, http.StatusOK, text)
			if _, err := c.PostsCountByVerse(context.Background(), 1, ""); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
	for _, count := range []string{`{"count": -1}`, `{"count": 1.5}`, `{"count": "many"}`, `{"count": null}`} {
		c, _ := serve(t, http.StatusOK, count)
		if _, err := c.PostsCountByVerse(context.Background(), 1, ""); !errors.Is(err, upstream.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", count, err)
		}
	}
}

func TestContentSendsOnlyTheServiceToken(t *testing.T) {
	// The methods take no UserToken, so none can be passed: what goes is the
	// content-scope token of the client's ServiceTokens, with the client id.
	for name, call := range contentCalls {
		t.Run(name, func(t *testing.T) {
			s := serveContent(t, http.StatusOK, `{}`)
			_ = call(context.Background(), s.content) // {} is malformed for some: only the request matters
			rq := s.only(t)
			if g, w := rq.Header.Get("X-Auth-Token"), "content-token"; g != w {
				t.Errorf("x-auth-token = %q, want %q", g, w)
			}
			if g, w := rq.Header.Get("X-Client-Id"), "c"; g != w {
				t.Errorf("x-client-id = %q, want %q", g, w)
			}
		})
	}
}

func TestContentErrorsAreStatusErrors(t *testing.T) {
	s := serveContent(t, http.StatusNotFound, `{"message": "Translation not found", "type": "not_found", "success": false}`)
	_, err := s.content.Translation(context.Background(), 9999)
	var ue *upstream.Error
	var se *upstream.StatusError
	if !errors.As(err, &ue) || !errors.As(err, &se) || !errors.Is(err, upstream.ErrNotFound) {
		t.Fatalf("err = %v, want an *Error with a 404 *StatusError", err)
	}
	if ue.Endpoint != "quran translation" || ue.Key != "9999" {
		t.Errorf("Endpoint, Key = %q, %q", ue.Endpoint, ue.Key)
	}
}

func TestContentWithoutCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("no call should be made without a token")
	}))
	defer srv.Close()
	c := upstream.NewContent(configFor(srv.URL), srv.Client())
	if _, err := c.Uthmani(context.Background()); !errors.Is(err, upstream.ErrNoCredentials) {
		t.Errorf("err = %v, want ErrNoCredentials", err)
	}
	if g, w := c.Host(), strings.TrimPrefix(srv.URL, "http://"); g != w {
		t.Errorf("Host = %q, want %q", g, w)
	}
}

func FuzzCleanTranslation(f *testing.F) {
	for _, s := range []string{"Allah<sup foot_note=1>1</sup>, Lord", "<i>x</i>  &amp;", "a<", "<sup foot_note=", "&#x27;<br>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := upstream.CleanTranslation(s)
		if strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
			t.Errorf("CleanTranslation(%q) = %q: spaces not collapsed or trimmed", s, got)
		}
		if again := upstream.CleanTranslation(strings.ReplaceAll(got, "&", "&amp;")); again != got && !strings.Contains(got, "<") {
			t.Errorf("CleanTranslation is not stable on its own plain output: %q then %q", got, again)
		}
	})
}
