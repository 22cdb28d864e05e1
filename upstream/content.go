package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// The Content API (the Quran's text, its translations and its chapters), and
// Quran Reflect's count of the posts about one verse. The Content API sits on
// the same gateway as Quran Reflect but takes a token of its own scope
// (content), so it has a client of its own: a user's token is never sent to
// it, and its failures open a circuit of its own.

// maxQuranBody bounds a whole-Quran answer: 6236 verses of Arabic, or of a
// translation with its footnote markup, are a few MB.
const maxQuranBody = 16 << 20

// maxContentBody bounds the other Content answers: 114 chapters, the list of
// translations, or 50 verses with a few translations each.
const maxContentBody = 4 << 20

// maxCountBody bounds {"count": n}.
const maxCountBody = 64 << 10

// maxVersesPage is the most verses /verses/by_range answers with at once
// (per_page): over it the upstream refuses the call.
const maxVersesPage = 50

// The endpoints of this file.
var (
	// EndpointQuranUthmani is the Uthmani text of the whole Quran.
	EndpointQuranUthmani = Endpoint{Name: "quran uthmani", Method: http.MethodGet,
		Path: "/content/api/v4/quran/verses/uthmani", MaxBody: maxQuranBody}
	// EndpointQuranTranslation is one translation of the whole Quran.
	EndpointQuranTranslation = Endpoint{Name: "quran translation", Resource: "translation", Method: http.MethodGet,
		Path: "/content/api/v4/quran/translations/{id}", MaxBody: maxQuranBody}
	// EndpointChapters is the list of the 114 chapters.
	EndpointChapters = Endpoint{Name: "chapters", Method: http.MethodGet,
		Path: "/content/api/v4/chapters", MaxBody: maxContentBody}
	// EndpointTranslationResources is the list of the translations the API has.
	EndpointTranslationResources = Endpoint{Name: "translation resources", Resource: "translations", Method: http.MethodGet,
		Path: "/content/api/v4/resources/translations", MaxBody: maxContentBody}
	// EndpointVersesByRange is verses of one chapter, with their translations.
	EndpointVersesByRange = Endpoint{Name: "verses by range", Resource: "verses", Method: http.MethodGet,
		Path: "/content/api/v4/verses/by_range", MaxBody: maxContentBody, MaxLimit: maxVersesPage}
	// EndpointPostsCountByVerse is Quran Reflect's count of the public posts
	// about one verse (production only).
	EndpointPostsCountByVerse = Endpoint{Name: "posts count by verse", Resource: "verse", Method: http.MethodGet,
		Path: "/quran-reflect/v1/posts/count-by-verse/{verseId}", MaxBody: maxCountBody}
)

// Content is the Content API's client. Every call carries the service's own
// token for scope content (cfg.ServiceTokens), never a user's: its methods
// take no UserToken. It is safe for concurrent use.
type Content struct{ c *Client }

// NewContent returns the Content API's client, configured as New configures a
// Client (and panicking as New does). cfg.ServiceTokens must give tokens for
// scope content. It has its own circuit breaker and limit on calls in flight,
// so that a failing Content API does not refuse Quran Reflect calls, nor the
// other way round.
func NewContent(cfg Config, httpClient *http.Client) *Content {
	return &Content{c: New(cfg, httpClient)}
}

// Host is the API's host, as Client.Host.
func (c *Content) Host() string { return c.c.Host() }

// VerseText is one verse's text: Arabic, or a translation's.
type VerseText struct {
	Key  VerseKey
	Text string
}

// Uthmani is the Uthmani text of every verse the API has (pre-live has
// chapters 1-2 only), in the order sent. A row whose verse_key is missing or
// not a verse, or that has no text, is skipped with a warning (logged via the
// client's logger).
func (c *Content) Uthmani(ctx context.Context) ([]VerseText, error) {
	return fetch(ctx, c.c, EndpointQuranUthmani, "", "", request{}, decodeUthmani)
}

type wireUthmani struct {
	Verses *[]json.RawMessage `json:"verses"`
}

type wireUthmaniVerse struct {
	VerseKey    *string `json:"verse_key"`
	TextUthmani *string `json:"text_uthmani"`
}

func decodeUthmani(body []byte, warn func(msg string, args ...any)) ([]VerseText, error) {
	var w wireUthmani
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if w.Verses == nil {
		return nil, fmt.Errorf("%w: %w: verses", ErrMalformed, errMissing)
	}
	out := make([]VerseText, 0, len(*w.Verses))
	for i, raw := range *w.Verses {
		var v wireUthmaniVerse
		if err := json.Unmarshal(raw, &v); err != nil {
			warn("unreadable verse; leaving it out", "index", i, "err", err)
			continue
		}
		key, ok := verseKeyOf(v.VerseKey)
		if !ok {
			warn("verse without a valid verse_key; leaving it out", "index", i)
			continue
		}
		if v.TextUthmani == nil {
			warn("verse without text_uthmani; leaving it out", "verse", key.String())
			continue
		}
		out = append(out, VerseText{Key: key, Text: *v.TextUthmani})
	}
	return out, nil
}

// Translation is one translation of the whole Quran. Each verse's Text is
// already CleanTranslation'd.
type Translation struct {
	ResourceID       int
	Name, AuthorName string // "" when the answer's meta does not say
	Verses           []VerseText
}

// Translation is translation id of the whole Quran, in the order sent. It
// sends fields=verse_key; a row without verse_key is placed by verse_id (a
// cumulative index) when present. Rows that cannot be placed, have no text or
// name another translation are skipped with a warning. An id that is not
// positive is refused with ErrInvalidArgument, without a call.
func (c *Content) Translation(ctx context.Context, id int) (*Translation, error) {
	if id < 1 {
		return nil, invalid(EndpointQuranTranslation.Name, "", "not a translation id")
	}
	key := strconv.Itoa(id)
	rq := request{args: []string{key}, rawQuery: "fields=verse_key"}
	return fetch(ctx, c.c, EndpointQuranTranslation, "", key, rq,
		func(body []byte, warn func(string, ...any)) (*Translation, error) {
			return decodeTranslation(body, id, warn)
		})
}

type wireTranslation struct {
	Translations *[]json.RawMessage `json:"translations"`
	Meta         *struct {
		TranslationName *string `json:"translation_name"`
		AuthorName      *string `json:"author_name"`
	} `json:"meta"`
}

type wireTranslationRow struct {
	ResourceID json.RawMessage `json:"resource_id"`
	Text       *string         `json:"text"`
	VerseKey   *string         `json:"verse_key"`
	VerseID    json.RawMessage `json:"verse_id"`
}

func decodeTranslation(body []byte, id int, warn func(msg string, args ...any)) (*Translation, error) {
	var w wireTranslation
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if w.Translations == nil {
		return nil, fmt.Errorf("%w: %w: translations", ErrMalformed, errMissing)
	}
	t := &Translation{ResourceID: id, Verses: make([]VerseText, 0, len(*w.Translations))}
	if w.Meta != nil {
		t.Name = orDefault(w.Meta.TranslationName, "")
		t.AuthorName = orDefault(w.Meta.AuthorName, "")
	} else {
		warn("no meta: the translation's name and author are unknown")
	}
	for i, raw := range *w.Translations {
		var r wireTranslationRow
		if err := json.Unmarshal(raw, &r); err != nil {
			warn("unreadable translation row; leaving it out", "index", i, "err", err)
			continue
		}
		if rid, ok := whole(r.ResourceID); !isNull(r.ResourceID) && (!ok || rid != id) {
			warn("translation row of another resource; leaving it out", "index", i)
			continue
		}
		key, ok := verseKeyOf(r.VerseKey)
		if !ok && r.VerseKey == nil {
			if n, isNumber := whole(r.VerseID); isNumber {
				key, ok = VerseAt(n)
			}
		}
		if !ok {
			warn("translation row that names no verse; leaving it out", "index", i)
			continue
		}
		if r.Text == nil {
			warn("translation row without text; leaving it out", "verse", key.String())
			continue
		}
		t.Verses = append(t.Verses, VerseText{Key: key, Text: CleanTranslation(*r.Text)})
	}
	return t, nil
}

// Chapter is one chapter (surah) as the Content API describes it.
type Chapter struct {
	ID                     int
	NameSimple, NameArabic string
	TranslatedName         *string // in the language asked for; nil when not sent
	VersesCount            int
	RevelationPlace        *string // "makkah" or "madinah" as sent; nil when not sent
}

// Chapters is the list of chapters, their names translated into language
// (such as "en"; "" sends none, and the API answers in English). A chapter
// that cannot be read is skipped with a warning. A language that is not a
// short code of letters, digits and dashes is refused with
// ErrInvalidArgument, without a call.
func (c *Content) Chapters(ctx context.Context, language string) ([]Chapter, error) {
	if !languageCode(language) {
		return nil, invalid(EndpointChapters.Name, "", "not a language code")
	}
	var rq request
	if language != "" {
		rq.query = url.Values{"language": {language}}
	}
	return fetch(ctx, c.c, EndpointChapters, "", language, rq, decodeChapters)
}

// languageCode reports whether s may be sent as a language: "" or up to 16
// ASCII letters, digits, dashes and underscores ("en", "zh-TW").
func languageCode(s string) bool {
	if len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
		default:
			return false
		}
	}
	return true
}

type wireChapter struct {
	ID              json.RawMessage `json:"id"`
	NameSimple      *string         `json:"name_simple"`
	NameArabic      *string         `json:"name_arabic"`
	VersesCount     json.RawMessage `json:"verses_count"`
	RevelationPlace *string         `json:"revelation_place"`
	TranslatedName  *struct {
		Name *string `json:"name"`
	} `json:"translated_name"`
}

func decodeChapters(body []byte, warn func(msg string, args ...any)) ([]Chapter, error) {
	rows, err := rowsOf(body, "chapters")
	if err != nil {
		return nil, err
	}
	return each(rows, "chapter", warn, func(raw []byte) (Chapter, error) {
		var w wireChapter
		if err := json.Unmarshal(raw, &w); err != nil {
			return Chapter{}, err
		}
		id, ok := whole(w.ID)
		if !ok || ChapterVerses(id) == 0 {
			return Chapter{}, errors.New("id is not a chapter (1 to 114)")
		}
		count, ok := whole(w.VersesCount)
		if w.NameSimple == nil || w.NameArabic == nil || !ok {
			return Chapter{}, fmt.Errorf("%w: name_simple, name_arabic or verses_count", errMissing)
		}
		if count != ChapterVerses(id) {
			// The Quran's shape is fixed: a different count is the API's
			// oddity, served as sent but worth knowing of.
			warn("verses_count differs from the Quran's", "chapter", id, "verses_count", count)
		}
		ch := Chapter{ID: id, NameSimple: *w.NameSimple, NameArabic: *w.NameArabic, VersesCount: count,
			RevelationPlace: w.RevelationPlace}
		if w.TranslatedName != nil {
			ch.TranslatedName = w.TranslatedName.Name
		}
		return ch, nil
	}), nil
}

// TranslationResource is one translation the Content API has.
type TranslationResource struct {
	ID                       int
	Name                     string
	AuthorName, LanguageName *string // nil when not sent
}

// TranslationResources is the list of the translations the API has. One that
// cannot be read is skipped with a warning.
func (c *Content) TranslationResources(ctx context.Context) ([]TranslationResource, error) {
	return fetch(ctx, c.c, EndpointTranslationResources, "", "", request{}, decodeTranslationResources)
}

type wireTranslationResource struct {
	ID           json.RawMessage `json:"id"`
	Name         *string         `json:"name"`
	AuthorName   *string         `json:"author_name"`
	LanguageName *string         `json:"language_name"`
}

func decodeTranslationResources(body []byte, warn func(msg string, args ...any)) ([]TranslationResource, error) {
	rows, err := rowsOf(body, "translations")
	if err != nil {
		return nil, err
	}
	return each(rows, "translation resource", warn, func(raw []byte) (TranslationResource, error) {
		var w wireTranslationResource
		if err := json.Unmarshal(raw, &w); err != nil {
			return TranslationResource{}, err
		}
		id, ok := whole(w.ID)
		if !ok || id < 1 {
			return TranslationResource{}, errors.New("id is not a positive integer")
		}
		if w.Name == nil {
			return TranslationResource{}, fmt.Errorf("%w: name", errMissing)
		}
		return TranslationResource{ID: id, Name: *w.Name, AuthorName: w.AuthorName, LanguageName: w.LanguageName}, nil
	}), nil
}

// VersesQuery is one page of GET /verses/by_range: verses From..To of one
// chapter, at most EndpointVersesByRange.MaxLimit (50), with the translations
// named (comma-separated resource ids, ascending, no repeats; "" for none).
// It is comparable: a loader key. Build it with NewVersesQuery.
type VersesQuery struct {
	From, To     VerseKey
	Translations string
}

// NewVersesQuery is the query of verses from..to (inclusive) with the
// translations ids, sorted and without repeats. It refuses, with an *Error
// wrapping ErrInvalidArgument, keys that are not verses, a range across
// chapters or backwards, more than 50 verses, and ids that are not positive.
func NewVersesQuery(from, to VerseKey, translations []int) (VersesQuery, error) {
	ids := slices.Clone(translations)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var b strings.Builder
	for i, id := range ids {
		if id < 1 {
			return VersesQuery{}, invalid(EndpointVersesByRange.Name, "", "a translation id is not positive")
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(id))
	}
	q := VersesQuery{From: from, To: to, Translations: b.String()}
	if msg := q.check(); msg != "" {
		return VersesQuery{}, invalid(EndpointVersesByRange.Name, "", msg)
	}
	return q, nil
}

// check says what is wrong with q ("" when nothing is): a query built by
// hand is held to what NewVersesQuery makes.
func (q VersesQuery) check() string {
	switch {
	case !q.From.Valid() || !q.To.Valid():
		return "not a verse key"
	case q.From.Chapter != q.To.Chapter:
		return "a range of verses must stay in one chapter"
	case q.To.Verse < q.From.Verse:
		return "a range of verses must not end before it starts"
	case q.To.Verse-q.From.Verse+1 > EndpointVersesByRange.MaxLimit:
		return fmt.Sprintf("a range of verses holds at most %d", EndpointVersesByRange.MaxLimit)
	case !canonicalIDList(q.Translations):
		return "translations must be positive ids, ascending, without repeats"
	}
	return ""
}

// canonicalIDList reports whether s is "" or positive decimal ids without
// leading zeros, ascending, without repeats, separated by commas.
func canonicalIDList(s string) bool {
	if s == "" {
		return true
	}
	prev := 0
	for part := range strings.SplitSeq(s, ",") {
		if len(part) > 9 || part == "" || part[0] == '0' {
			return false
		}
		n, err := smallNumber9(part)
		if err != nil || n <= prev {
			return false
		}
		prev = n
	}
	return true
}

// smallNumber9 reads up to 9 decimal digits, with no sign or space.
func smallNumber9(s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// Verse is one verse as /verses/by_range sends it.
type Verse struct {
	Key          VerseKey
	TextUthmani  string
	Translations []VerseTranslation
}

// VerseTranslation is one translation of a verse. Text is cleaned
// (CleanTranslation).
type VerseTranslation struct {
	ResourceID                 int
	Text                       string
	ResourceName, LanguageName *string // nil when not sent
}

// VersesByRange fetches the verses of q in one call:
// from=2:255&to=2:257&per_page=50&fields=text_uthmani, and, when
// q.Translations is not "", &translations=...&translation_fields=resource_name,language_name.
// Verses come in the order sent; one outside the range, without a valid
// verse_key or without text_uthmani is skipped with a warning, as is a
// translation that cannot be read or was not asked for. An invalid q is
// refused with ErrInvalidArgument before calling.
func (c *Content) VersesByRange(ctx context.Context, q VersesQuery) ([]Verse, error) {
	ep := EndpointVersesByRange
	if msg := q.check(); msg != "" {
		return nil, invalid(ep.Name, "", msg)
	}
	key := q.From.String() + "-" + q.To.String()
	// Built by hand, in the documented order: every value is digits, ':' or
	// ',', which a query string carries as they are.
	raw := "from=" + q.From.String() + "&to=" + q.To.String() + "&per_page=" + strconv.Itoa(ep.MaxLimit) +
		"&fields=text_uthmani"
	if q.Translations != "" {
		raw += "&translations=" + q.Translations + "&translation_fields=resource_name,language_name"
	}
	return fetch(ctx, c.c, ep, "", key, request{rawQuery: raw},
		func(body []byte, warn func(string, ...any)) ([]Verse, error) { return decodeVerses(body, q, warn) })
}

type wireVerse struct {
	VerseKey     *string           `json:"verse_key"`
	TextUthmani  *string           `json:"text_uthmani"`
	Translations []json.RawMessage `json:"translations"`
}

type wireVerseTranslation struct {
	ResourceID   json.RawMessage `json:"resource_id"`
	Text         *string         `json:"text"`
	ResourceName *string         `json:"resource_name"`
	LanguageName *string         `json:"language_name"`
}

func decodeVerses(body []byte, q VersesQuery, warn func(msg string, args ...any)) ([]Verse, error) {
	rows, err := rowsOf(body, "verses")
	if err != nil {
		return nil, err
	}
	asked := map[int]bool{}
	if q.Translations != "" {
		for part := range strings.SplitSeq(q.Translations, ",") {
			n, _ := strconv.Atoi(part) // checked by VersesQuery.check
			asked[n] = true
		}
	}
	out := make([]Verse, 0, len(rows))
	for i, raw := range rows {
		var w wireVerse
		if err := json.Unmarshal(raw, &w); err != nil {
			warn("unreadable verse; leaving it out", "index", i, "err", err)
			continue
		}
		key, ok := verseKeyOf(w.VerseKey)
		if !ok || key.Chapter != q.From.Chapter || key.Verse < q.From.Verse || key.Verse > q.To.Verse {
			// A gateway or cache that confuses two ranges must not serve
			// one verse as another.
			warn("verse without a verse_key in the range asked for; leaving it out", "index", i)
			continue
		}
		if w.TextUthmani == nil {
			warn("verse without text_uthmani; leaving it out", "verse", key.String())
			continue
		}
		v := Verse{Key: key, TextUthmani: *w.TextUthmani}
		v.Translations = each(w.Translations, "verse translation", warn, func(raw []byte) (VerseTranslation, error) {
			var t wireVerseTranslation
			if err := json.Unmarshal(raw, &t); err != nil {
				return VerseTranslation{}, err
			}
			id, ok := whole(t.ResourceID)
			if !ok || !asked[id] {
				return VerseTranslation{}, errors.New("resource_id is not one asked for")
			}
			if t.Text == nil {
				return VerseTranslation{}, fmt.Errorf("%w: text", errMissing)
			}
			return VerseTranslation{ResourceID: id, Text: CleanTranslation(*t.Text),
				ResourceName: t.ResourceName, LanguageName: t.LanguageName}, nil
		})
		out = append(out, v)
	}
	return out, nil
}

// PostsCountByVerse is how many public posts (all languages) reference the
// verse at index (1..6236, VerseKey.Index), as the holder of as is served.
// Production only. An index that is not a verse's is refused with
// ErrInvalidArgument, without a call.
func (c *Client) PostsCountByVerse(ctx context.Context, index int, as UserToken) (int, error) {
	if _, ok := VerseAt(index); !ok {
		return 0, invalid(EndpointPostsCountByVerse.Name, "", "not a verse index (1 to 6236)")
	}
	key := strconv.Itoa(index)
	return fetch(ctx, c, EndpointPostsCountByVerse, as, key, inPath(key), decodeCount)
}

func decodeCount(body []byte, _ func(string, ...any)) (int, error) {
	var w struct {
		Count json.RawMessage `json:"count"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if isNull(w.Count) {
		return 0, fmt.Errorf("%w: %w: count", ErrMalformed, errMissing)
	}
	n, ok := whole(w.Count)
	if !ok || n < 0 {
		return 0, fmt.Errorf("%w: count %q is not a whole number", ErrMalformed, truncate(string(w.Count), 20))
	}
	return n, nil
}

// rowsOf is the array under name in a Content answer: required, each row
// read on its own by the caller so that one odd row costs only itself.
func rowsOf(body []byte, name string) ([]json.RawMessage, error) {
	var w map[string]json.RawMessage
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	raw, ok := w[name]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("%w: %w: %s", ErrMalformed, errMissing, name)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
	return rows, nil
}

// whole reads an integer the Content API sends as a JSON number (or a string
// of digits), up to 9 digits: ids, counts and indexes. Anything else, a
// fraction included, is not one.
func whole(raw json.RawMessage) (int, bool) {
	s := bytes.TrimSpace(raw)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n, err := smallNumber9(string(s))
	return n, err == nil
}

// verseKeyOf reads a verse_key the upstream sent; false when it is absent or
// not a verse.
func verseKeyOf(s *string) (VerseKey, bool) {
	if s == nil {
		return VerseKey{}, false
	}
	k, err := ParseVerseKey(*s)
	return k, err == nil
}

// CleanTranslation is a translation's text as plain text: footnote markers
// (<sup foot_note=...>n</sup>) are removed with their number, any other markup
// is dropped with its text kept (a line or paragraph break becomes a space),
// HTML entities (&amp; &quot; &#39; ...) are decoded, runs of white space are
// collapsed to one space, and the ends are trimmed. A space that a removed
// footnote leaves before punctuation goes too.
func CleanTranslation(s string) string {
	if !strings.ContainsAny(s, "<&") && !needsSpacing(s) {
		return s // the common case of plain text: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '<' {
			next := strings.IndexByte(s[i:], '<')
			if next < 0 {
				next = len(s) - i
			}
			b.WriteString(s[i : i+next])
			i += next
			continue
		}
		end, name, closing, ok := tagAt(s, i)
		if !ok { // a '<' that starts no tag is text
			b.WriteByte('<')
			i++
			continue
		}
		tag := s[i:end]
		i = end
		switch {
		case !closing && name == "sup" && strings.Contains(strings.ToLower(tag), "foot_note"):
			// The marker and its number go together. A marker never closed
			// loses only its number, not the text after it.
			if close := indexFold(s[i:], "</sup"); close >= 0 {
				if e := strings.IndexByte(s[i+close:], '>'); e >= 0 {
					i += close + e + 1
				} else {
					i = len(s)
				}
			} else {
				for i < len(s) && '0' <= s[i] && s[i] <= '9' {
					i++
				}
			}
			if i < len(s) && strings.IndexByte(".,;:!?)", s[i]) >= 0 {
				trimmed := strings.TrimRightFunc(b.String(), unicode.IsSpace)
				b.Reset()
				b.WriteString(trimmed)
			}
		case name == "br" || name == "p" || name == "div" || name == "li":
			b.WriteByte(' ')
		}
	}
	return collapseSpaces(html.UnescapeString(b.String()))
}

// tagAt reads the tag that starts at s[i] ('<'): where it ends (after its
// '>'), its name in lower case, and whether it is a closing tag. A '<' not
// followed by a letter, '/' and a letter, or '!' (a comment) starts no tag,
// nor does one never closed by '>'.
func tagAt(s string, i int) (end int, name string, closing, ok bool) {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		closing = true
		j++
	}
	start := j
	for j < len(s) && (isASCIILetter(s[j]) || (j > start && s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	if j == start && !(j < len(s) && s[j] == '!' && !closing) {
		return 0, "", false, false
	}
	name = strings.ToLower(s[start:j])
	var quote byte
	for ; j < len(s); j++ {
		switch c := s[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j + 1, name, closing, true
		}
	}
	return 0, "", false, false
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// indexFold is strings.Index of an ASCII sub, ignoring case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// needsSpacing reports whether s has white space to collapse or trim.
func needsSpacing(s string) bool {
	prevSpace := true // a space at the start is to trim
	for _, r := range s {
		space := unicode.IsSpace(r)
		if space && (prevSpace || r != ' ') {
			return true
		}
		prevSpace = space
	}
	return prevSpace && s != ""
}

// collapseSpaces turns each run of white space (no-break spaces and line
// breaks included) into one space, and trims the ends.
func collapseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
