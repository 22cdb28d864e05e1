// The Content API per range: GET /verses/by_range, one page of at most 50
// verses with the translations asked for, which the graph reads when the copy
// in memory lacks a verse.

package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

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
		n, err := digits(part, 9)
		if err != nil || n <= prev {
			return false
		}
		prev = n
	}
	return true
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
