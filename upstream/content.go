package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

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
	n, err := digits(string(s), 9)
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
