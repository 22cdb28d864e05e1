package upstream

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	json "github.com/goccy/go-json"
)

// Tags: the search among them and the trending ones. Neither answer has a
// schema the upstream stands by, so both read more than one shape.

// maxTagsLimit is the largest page of tags, and the most trending tags asked
// for: the upstream documents none.
const maxTagsLimit = 50

// The endpoints of this file.
var (
	EndpointTags = Endpoint{Name: "tags", Resource: "tag", Method: http.MethodGet,
		Path: "/quran-reflect/v1/tags", MaxBody: maxListBody, MaxLimit: maxTagsLimit}
	EndpointTrendingTags = Endpoint{Name: "trending tags", Resource: "tag", Method: http.MethodGet,
		Path: "/quran-reflect/v1/trending-hashtags", MaxBody: maxListBody, MaxLimit: maxTagsLimit}
)

// TagsQuery asks for one page of the tags that match a text.
type TagsQuery struct {
	// Query is the text; "" sends none.
	Query string
	ListQuery
}

// AtPage is q asking for page page of limit items.
func (q TagsQuery) AtPage(page, limit int) TagsQuery { q.Page, q.Limit = page, limit; return q }

// Tags fetches one page of the tags that match q.Query (at most
// EndpointTags.MaxLimit). The upstream answers with the usual page envelope
// (items under "data"), or, as its spec says, with a bare array of tags, which
// says nothing of the whole list. The page is then the one asked for, Total
// the items up to this page's last, plus one when this page is full (there
// may be more): (Page-1)*Limit + len(Items), +1 when full; and Pages follows
// from Total and Limit (Page+1 after a full page, Page after a partial one).
// A tag without an id fails alone, as any item of a page.
func (c *Client) Tags(ctx context.Context, q TagsQuery, as UserToken) (*Page[Tag], error) {
	ep := EndpointTags
	rq, err := listRequest(ep, "", q.ListQuery)
	if err != nil {
		return nil, err
	}
	setIf(rq.query, "query", q.Query)
	return fetch(ctx, c, ep, as, "", rq, func(body []byte, warn func(string, ...any)) (*Page[Tag], error) {
		var p *Page[Tag]
		var err error
		if bareArray(body) {
			p, err = decodeBarePage(body, q.ListQuery, tagItem, warn)
		} else {
			p, err = decodePage(body, "data", q.ListQuery, tagItem, warn)
		}
		if err != nil {
			return nil, err
		}
		return p.itemErrors(ep, ""), nil
	})
}

func tagItem(raw []byte, _ func(string, ...any)) (Tag, error) { return parseTag(raw) }

// bareArray reports whether body is a JSON array rather than an object.
func bareArray(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '['
}

// decodeBarePage reads a list answer that is only the array of its items (see
// Tags for what its counts become).
func decodeBarePage[T any](body []byte, asked ListQuery, item itemDecoder[T],
	warn func(msg string, args ...any)) (*Page[T], error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	n := len(raw)
	p := &Page[T]{CurrentPage: asked.Page, Limit: asked.Limit, Items: make([]T, n), Errs: make([]error, n),
		Total: (asked.Page-1)*asked.Limit + n}
	if n >= asked.Limit {
		p.Total++ // a full page: there may be another
	}
	p.Pages = (p.Total + asked.Limit - 1) / asked.Limit
	for i, r := range raw {
		v, err := item(r, warn)
		if err != nil {
			warn("unreadable item; serving it as an error", "index", i, "err", err)
			p.Errs[i] = fmt.Errorf("%w: [%d]: %w", ErrMalformed, i, err)
			continue
		}
		p.Items[i] = v
	}
	return p, nil
}

// TrendingTags fetches the limit (1 to EndpointTrendingTags.MaxLimit) tags
// trending now. The upstream gives no schema: this reads {data: [...]} or a
// bare array, whose items are tag objects ({name}, perhaps with an id and a
// language) or plain names. A tag with no name is left out (with a warning);
// one with no id has ID "".
func (c *Client) TrendingTags(ctx context.Context, limit int, as UserToken) ([]Tag, error) {
	ep := EndpointTrendingTags
	if limit < 1 || limit > ep.MaxLimit {
		return nil, invalid(ep.Name, "", fmt.Sprintf("limit must be from 1 to %d", ep.MaxLimit))
	}
	rq := request{query: url.Values{"limit": {strconv.Itoa(limit)}}}
	return fetch(ctx, c, ep, as, "", rq, decodeTrendingTags)
}

func decodeTrendingTags(body []byte, warn func(string, ...any)) ([]Tag, error) {
	var raw []json.RawMessage
	if bareArray(body) {
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	} else {
		var w struct {
			Data *[]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if w.Data == nil {
			return nil, fmt.Errorf("%w: %w: data", ErrMalformed, errMissing)
		}
		raw = *w.Data
	}
	tags := each(raw, "trending tag", warn, parseTrendingTag)
	if tags == nil {
		tags = []Tag{}
	}
	return tags, nil
}

// parseTrendingTag reads a trending tag: a name, or an object with one.
func parseTrendingTag(raw []byte) (Tag, error) {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if name == "" {
			return Tag{}, fmt.Errorf("%w: name", errMissing)
		}
		return Tag{Name: name}, nil
	}
	var w wireTag
	if err := json.Unmarshal(raw, &w); err != nil {
		return Tag{}, err
	}
	if w.Name == nil || *w.Name == "" {
		return Tag{}, fmt.Errorf("%w: name", errMissing)
	}
	id, err := numericID(w.ID)
	if err != nil {
		id = "" // the name is what shows; an odd id costs only itself
	}
	return Tag{ID: id, Name: *w.Name, Language: w.Language}, nil
}
