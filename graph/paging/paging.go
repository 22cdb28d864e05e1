// Package paging serves Relay-style connections over the upstream's page/limit
// lists: opaque cursors, the upstream pages that cover a requested slice, and the
// slice itself, cut from upstream.Page answers. It knows no schema and makes no
// call: resolvers fetch the pages it names through their loaders.
package paging

import (
	"encoding/base64"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// MaxFirst is the largest page a connection serves.
const MaxFirst = 50

// maxOffset bounds a cursor's offset: no upstream list is this long, and window
// arithmetic must not overflow.
const maxOffset = 1 << 30

// cursorPrefix marks cursors this service made: anything else is refused.
// qrc1 cursors (an offset alone, before cursors named their list) are refused
// too.
const cursorPrefix = "qrc2:"

// List names one list (an endpoint with its parameters: which room, sort,
// tab, filter) in the cursors of its items, so that a cursor continues only
// the list it came from.
type List struct{ tag string }

// ListOf is the list key names: equal keys, one list. The tag is a hash of
// it, not the key itself, so that a cursor stays short and says nothing of
// the query.
func ListOf(key string) List {
	h := fnv.New64a()
	h.Write([]byte(key))
	return List{tag: base64.RawURLEncoding.EncodeToString(h.Sum(nil))}
}

// Cursor is the opaque cursor of the item at offset (0-based) in l.
func (l List) Cursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + l.tag + ":" + strconv.Itoa(offset)))
}

// offset reads a cursor this service made: its list's tag and offset.
func offset(cursor string) (tag string, n int, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", 0, false
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return "", 0, false
	}
	tag, s, ok := strings.Cut(rest, ":")
	if !ok {
		return "", 0, false
	}
	n, err = strconv.Atoi(s)
	if err != nil || n < 0 || n > maxOffset || strconv.Itoa(n) != s {
		return "", 0, false
	}
	return tag, n, true
}

// Window is the part of a list a connection asks for: First items from Start.
type Window struct {
	Start, First int
}

// Ask checks a connection's arguments: first from 0 to MaxFirst, and a cursor
// this service made for l. Its errors are BAD_USER_INPUT, before any upstream
// call.
func (l List) Ask(first *int, after *string) (Window, error) {
	w := Window{First: 10}
	if first != nil {
		w.First = *first
	}
	if w.First < 0 || w.First > MaxFirst {
		return w, errcode.Inputf("first must be from 0 to %d, not %d", MaxFirst, w.First)
	}
	if after != nil && *after != "" {
		tag, n, ok := offset(*after)
		if !ok {
			return w, errcode.Inputf("after is not a cursor from this service")
		}
		if tag != l.tag {
			return w, errcode.Inputf("after is a cursor of another list (another room or user, sort, tab or filter): a cursor continues only the list it came from")
		}
		w.Start = n + 1
	}
	return w, nil
}

// Pages are the upstream pages (numbered from 1) of size pageSize that hold the
// window's items. An empty window still needs the page where it starts: that
// page's answer carries the list's total.
func (w Window) Pages(pageSize int) []int {
	first := w.Start/pageSize + 1
	last := first
	if w.First > 0 {
		last = (w.Start+w.First-1)/pageSize + 1
	}
	pages := make([]int, 0, last-first+1)
	for p := first; p <= last; p++ {
		pages = append(pages, p)
	}
	return pages
}

// Item is one item of a window, with its offset in the whole list.
type Item[T any] struct {
	Offset int
	Value  T
	Err    error // the item could not be read
}

// Result is a window cut from its pages.
type Result[T any] struct {
	// List is the list the window was cut from, for its items' cursors.
	List            List
	Items           []Item[T]
	Total           int
	HasNextPage     bool
	HasPreviousPage bool
}

// Cut returns the window's items, in order, from pages (pages[i] is upstream page
// w.Pages(pageSize)[i]). A page that ends early ends the list.
func Cut[T any](w Window, pageSize int, pages []*upstream.Page[T]) Result[T] {
	var r Result[T]
	if len(pages) > 0 {
		r.Total = pages[0].Total
	}
	firstPage := w.Start / pageSize
	for i, p := range pages {
		base := (firstPage + i) * pageSize
		for j, v := range p.Items {
			off := base + j
			if off < w.Start || off >= w.Start+w.First {
				continue
			}
			var err error
			if j < len(p.Errs) {
				err = p.Errs[j]
			}
			r.Items = append(r.Items, Item[T]{Offset: off, Value: v, Err: err})
		}
	}
	r.HasPreviousPage = w.Start > 0
	r.HasNextPage = w.Start+len(r.Items) < r.Total
	return r
}
