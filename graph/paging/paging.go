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

// Args are a connection's arguments. Forward, first items after a cursor (or
// from the start); backward, last items before a cursor. The upstream pages
// from the start, so a backward window needs its cursor: without one, the
// list's end would cost a call for its total before the call for its items.
type Args struct {
	First, Last   *int
	After, Before *string
}

// Ask checks a connection's arguments: first or last from 0 to MaxFirst, and
// cursors this service made for l. Its errors are BAD_USER_INPUT, before any
// upstream call.
func (l List) Ask(a Args) (Window, error) {
	given := func(s *string) bool { return s != nil && *s != "" }
	switch {
	case a.First != nil && a.Last != nil:
		return Window{}, errcode.Inputf("first and last cannot be combined: ask for one page forward (first, after) or backward (last, before)")
	case given(a.After) && given(a.Before):
		return Window{}, errcode.Inputf("after and before cannot be combined")
	case a.First != nil && given(a.Before):
		return Window{}, errcode.Inputf("before goes with last, not first")
	case a.Last != nil && !given(a.Before):
		return Window{}, errcode.Inputf("last needs before: the upstream pages from the start, so this service pages backward only from a cursor")
	}
	size := 10
	if n := a.First; n != nil {
		size = *n
	}
	if n := a.Last; n != nil {
		size = *n
	}
	if size < 0 || size > MaxFirst {
		name := "first"
		if a.Last != nil {
			name = "last"
		}
		return Window{}, errcode.Inputf("%s must be from 0 to %d, not %d", name, MaxFirst, size)
	}
	if given(a.Before) {
		n, err := l.read(*a.Before, "before")
		if err != nil {
			return Window{}, err
		}
		start := max(0, n-size)
		return Window{Start: start, First: n - start}, nil
	}
	w := Window{First: size}
	if given(a.After) {
		n, err := l.read(*a.After, "after")
		if err != nil {
			return Window{}, err
		}
		w.Start = n + 1
	}
	return w, nil
}

// read is the offset of a cursor l made, given as the argument arg.
func (l List) read(cursor, arg string) (int, error) {
	tag, n, ok := offset(cursor)
	if !ok {
		return 0, errcode.Inputf("%s is not a cursor from this service", arg)
	}
	if tag != l.tag {
		return 0, errcode.Inputf("%s is a cursor of another list (another room or user, sort, tab or filter): a cursor continues only the list it came from", arg)
	}
	return n, nil
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
