package upstream

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	json "github.com/goccy/go-json"
)

// ListQuery asks for one page of a list. Every list's query type holds a page
// and a limit (this, or fields of its own) and is comparable: the graph's
// loaders key pages by it.
type ListQuery struct {
	// Page is the page wanted, from 1.
	Page int
	// Limit is how many items a page holds, from 1 to the endpoint's MaxLimit.
	Limit int
}

// Page is one page of a list, as the upstream pages them: by number, not by
// cursor.
type Page[T any] struct {
	// Total is how many items the whole list holds; Pages how many pages of
	// Limit items that makes. CurrentPage is this page's number, from 1.
	Total, CurrentPage, Limit, Pages int
	// Items are the page's items in the upstream's order. An item that could
	// not be decoded (it has no id, say) is the zero value, and Errs holds its
	// error at the same index: one bad item does not cost the others.
	Items []T
	// Errs is as long as Items: nil for each good item, an *Error wrapping
	// ErrMalformed for each bad one.
	Errs []error
}

// Complete reports whether every item of the page was decoded: a page with a
// bad item carries its error, which is not kept where errors cannot go (JSON).
func (p *Page[T]) Complete() bool {
	for _, err := range p.Errs {
		if err != nil {
			return false
		}
	}
	return true
}

// The largest page of the lists whose upstream documents no maximum: ours.
const (
	maxMembersLimit = 50
	maxSearchLimit  = 50
)

// checkPage says what is wrong with page and limit for a list whose maximum is
// max, or "" when nothing is.
func checkPage(page, limit, max int) string {
	switch {
	case page < 1:
		return "page must be 1 or more"
	case limit < 1 || limit > max:
		return fmt.Sprintf("limit must be from 1 to %d", max)
	}
	return ""
}

// pageQuery is the query string of one page.
func pageQuery(page, limit int) url.Values {
	return url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(limit)}}
}

// listRequest checks q against ep.MaxLimit and returns the request of that page
// of the list under args, or the *Error of a refusal.
func listRequest(ep Endpoint, key string, q ListQuery, args ...string) (request, error) {
	if msg := checkPage(q.Page, q.Limit, ep.MaxLimit); msg != "" {
		return request{}, invalid(ep.Name, key, msg)
	}
	return request{args: args, query: pageQuery(q.Page, q.Limit)}, nil
}

// itemDecoder turns one item of a list into a T, or says why it cannot: with a
// plain error, to which the page adds ErrMalformed and the item's place.
type itemDecoder[T any] func(raw []byte, warn func(msg string, args ...any)) (T, error)

// fetchPage calls ep for one page of a list whose items sit under the key items
// ("data"; "comments" for comments, "replies" for replies) and decodes each
// item with item.
func fetchPage[T any](ctx context.Context, c *Client, ep Endpoint, as UserToken, key string, rq request,
	asked ListQuery, items string, item itemDecoder[T]) (*Page[T], error) {
	return fetch(ctx, c, ep, as, key, rq, func(body []byte, warn func(string, ...any)) (*Page[T], error) {
		p, err := decodePage(body, items, asked, item, warn)
		if err != nil {
			return nil, err
		}
		return p.itemErrors(ep, key), nil
	})
}

// itemErrors makes each item's error an *Error of ep about key, as every
// error of a method is.
func (p *Page[T]) itemErrors(ep Endpoint, key string) *Page[T] {
	for i, e := range p.Errs {
		if e != nil {
			p.Errs[i] = &Error{Endpoint: ep.Name, Resource: ep.resource(), Key: key, Err: e}
		}
	}
	return p
}

// wirePage is a list answer: {total, currentPage, limit, pages, data: [...]}, the
// items under "comments" instead for comments, "replies" for a comment's
// replies. Each item is kept raw, to be decoded on its own.
type wirePage struct {
	Total       json.Number        `json:"total"`
	CurrentPage json.Number        `json:"currentPage"`
	Limit       json.Number        `json:"limit"`
	Pages       json.Number        `json:"pages"`
	Data        *[]json.RawMessage `json:"data"`
	Comments    *[]json.RawMessage `json:"comments"`
	Replies     *[]json.RawMessage `json:"replies"`
}

// decodePage reads a list answer. The items and the total are required; a
// missing currentPage or limit is the one asked for, and missing pages follow
// from the total and the limit.
func decodePage[T any](body []byte, items string, asked ListQuery, item itemDecoder[T],
	warn func(msg string, args ...any)) (*Page[T], error) {
	var w wirePage
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	raw := w.Data
	switch items {
	case "comments":
		raw = w.Comments
	case "replies":
		raw = w.Replies
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: %w: %s", ErrMalformed, errMissing, items)
	}
	p := &Page[T]{Items: make([]T, len(*raw)), Errs: make([]error, len(*raw))}
	if w.Total == "" {
		return nil, fmt.Errorf("%w: %w: total", ErrMalformed, errMissing)
	}
	var err error
	if p.Total, err = count("total", w.Total, 0); err != nil {
		return nil, err
	}
	if p.CurrentPage, err = count("currentPage", w.CurrentPage, asked.Page); err != nil {
		return nil, err
	}
	if p.Limit, err = count("limit", w.Limit, asked.Limit); err != nil {
		return nil, err
	}
	pages := 0
	if p.Limit > 0 {
		pages = (p.Total + p.Limit - 1) / p.Limit
	}
	if p.Pages, err = count("pages", w.Pages, pages); err != nil {
		return nil, err
	}
	for i, r := range *raw {
		v, err := item(r, warn)
		if err != nil {
			warn("unreadable item; serving it as an error", "index", i, "err", err)
			p.Errs[i] = fmt.Errorf("%w: %s[%d]: %w", ErrMalformed, items, i, err)
			continue
		}
		p.Items[i] = v
	}
	return p, nil
}

// count reads the field name of a page, a non-negative integer, or def when the
// upstream left it out.
func count(name string, n json.Number, def int) (int, error) {
	if n == "" {
		return def, nil
	}
	v, err := strconv.Atoi(string(n))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: %s %q is not a count", ErrMalformed, name, truncate(string(n), 20))
	}
	return v, nil
}

// setIf sets key to value in v unless value is "", which leaves the upstream's
// default.
func setIf(v url.Values, key, value string) {
	if value != "" {
		v.Set(key, value)
	}
}
