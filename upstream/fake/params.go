package fake

import (
	"net/http"
	"strconv"
	"strings"
)

// Query parameters and pages, as the gateway validates them: a bad value is a
// 422 with the validation envelope naming each parameter.

// query reads the query parameters of one call and collects what is wrong with them.
type query struct {
	r       *http.Request
	invalid map[string]string // parameter -> "MAX", "MIN" or "INVALID"
}

func newQuery(r *http.Request) *query { return &query{r: r} }

func (q *query) fail(name, why string) {
	if q.invalid == nil {
		q.invalid = make(map[string]string)
	}
	q.invalid[name] = why
}

// int reads an integer parameter; an absent or empty one is def; hi 0
// means no maximum.
func (q *query) int(name string, def, lo, hi int) int {
	raw := q.r.URL.Query().Get(name)
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		q.fail(name, "INVALID")
	case n < lo:
		q.fail(name, "MIN")
	case hi > 0 && n > hi:
		q.fail(name, "MAX")
	default:
		return n
	}
	return def
}

// enum reads a parameter that must be one of allowed (compared ignoring case
// when fold is set); an absent or empty one is def.
func (q *query) enum(name, def string, fold bool, allowed ...string) string {
	raw := q.r.URL.Query().Get(name)
	if raw == "" {
		return def
	}
	for _, a := range allowed {
		if raw == a || fold && strings.EqualFold(raw, a) {
			return a
		}
	}
	q.fail(name, "INVALID")
	return def
}

// text reads a free-text parameter.
func (q *query) text(name string) string { return q.r.URL.Query().Get(name) }

// page reads page and limit: page from 1, limit from 1 to hi (0: no maximum).
func (q *query) page(def, hi int) paging {
	return paging{page: q.int("page", 1, 1, 0), limit: q.int("limit", def, 1, hi)}
}

// ok writes the 422 when a parameter was wrong.
func (q *query) ok(w http.ResponseWriter) bool {
	if q.invalid == nil {
		return true
	}
	details := make(map[string]any, len(q.invalid))
	for k, v := range q.invalid {
		details[k] = v
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"details": map[string]any{
			"success": false,
			"error": map[string]any{
				"code":    "ValidationError",
				"message": "Validation Error",
				"details": details,
			},
		},
		"message": "Validation Error",
		"type":    "unprocessable_entity",
		"success": false,
	})
	return false
}

// paging is one page of a list: page from 1.
type paging struct{ page, limit int }

// Limits of the lists. The upstream documents 5 for joined and managed rooms and
// 20 for posts, comments and follows; members and search have no documented
// maximum, and the emulator takes 50 (the client never asks for more).
const (
	maxMyRooms      = 5
	maxPerPage      = 20
	maxUndocumented = 50
)

// window returns the bounds of this page in a list of n items. A page beyond
// the last is empty (and (page-1)*limit is never computed for it: it could
// overflow).
func (p paging) window(n int) (from, to int) {
	if p.page-1 >= (n+p.limit-1)/p.limit {
		return n, n
	}
	from = (p.page - 1) * p.limit
	return from, min(from+p.limit, n)
}

// pageBody is one page of a list: items shown by show, under key ("data", or
// "comments" for comments).
func pageBody[T any](p paging, key string, list []T, show func(T) any) map[string]any {
	from, to := p.window(len(list))
	items := make([]any, 0, to-from)
	for _, v := range list[from:to] {
		items = append(items, show(v))
	}
	return map[string]any{
		"total":       len(list),
		"currentPage": p.page,
		"limit":       p.limit,
		"pages":       (len(list) + p.limit - 1) / p.limit,
		key:           items,
	}
}

// values reads a comma-separated list parameter (style form, explode false);
// the same parameter repeated adds to it. Empty items are dropped.
func (q *query) values(name string) []string {
	var out []string
	for _, raw := range q.r.URL.Query()[name] {
		for _, v := range strings.Split(raw, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// ints reads a comma-separated list of integers from lo up.
func (q *query) ints(name string, lo int) []int {
	var out []int
	for _, v := range q.values(name) {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			q.fail(name, "INVALID")
			return nil
		case n < lo:
			q.fail(name, "MIN")
			return nil
		}
		out = append(out, n)
	}
	return out
}

// bool reads a boolean parameter: true or false; an absent or empty one is def.
func (q *query) bool(name string, def bool) bool {
	switch q.r.URL.Query().Get(name) {
	case "":
		return def
	case "true":
		return true
	case "false":
		return false
	}
	q.fail(name, "INVALID")
	return def
}

// required notes a missing parameter.
func (q *query) required(name string) {
	if q.r.URL.Query().Get(name) == "" {
		q.fail(name, "REQUIRED")
	}
}
