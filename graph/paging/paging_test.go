package paging

import (
	"fmt"
	"slices"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }

var list = ListOf("room posts {RoomID: 1}")

func TestAsk(t *testing.T) {
	for _, tt := range []struct {
		first  *int
		after  *string
		want   Window
		wantOK bool
	}{
		{nil, nil, Window{0, 10}, true},
		{intp(0), nil, Window{0, 0}, true},
		{intp(50), strp(list.Cursor(9)), Window{10, 50}, true},
		{intp(51), nil, Window{}, false},
		{intp(-1), nil, Window{}, false},
		{intp(5), strp("bm90LWEtY3Vyc29y"), Window{}, false},
		{intp(5), strp(ListOf("room posts {RoomID: 2}").Cursor(3)), Window{}, false}, // another list's
		{intp(5), strp("cXJjMTow"), Window{}, false},                                 // qrc1:0, an offset alone
		{intp(5), strp(list.Cursor(3) + "x"), Window{}, false},
		{intp(50), strp(list.Cursor(9223372036854775807)), Window{}, false}, // would overflow
	} {
		w, err := list.Ask(Args{First: tt.first, After: tt.after})
		if (err == nil) != tt.wantOK || (tt.wantOK && w != tt.want) {
			t.Errorf("Ask(%v, %v) = %+v, %v; want %+v ok=%v", tt.first, tt.after, w, err, tt.want, tt.wantOK)
		}
	}
}

// TestAskBackward: last items before a cursor, never past the start; the
// combinations the README refuses are refused.
func TestAskBackward(t *testing.T) {
	for _, tt := range []struct {
		args   Args
		want   Window
		wantOK bool
	}{
		{Args{Last: intp(5), Before: strp(list.Cursor(20))}, Window{15, 5}, true},
		{Args{Before: strp(list.Cursor(20))}, Window{10, 10}, true},
		{Args{Last: intp(5), Before: strp(list.Cursor(3))}, Window{0, 3}, true},
		{Args{Last: intp(5), Before: strp(list.Cursor(0))}, Window{0, 0}, true},
		{Args{Last: intp(5)}, Window{}, false},
		{Args{Last: intp(51), Before: strp(list.Cursor(60))}, Window{}, false},
		{Args{First: intp(5), Last: intp(5), Before: strp(list.Cursor(9))}, Window{}, false},
		{Args{First: intp(5), Before: strp(list.Cursor(9))}, Window{}, false},
		{Args{After: strp(list.Cursor(1)), Before: strp(list.Cursor(9))}, Window{}, false},
		{Args{Last: intp(5), Before: strp(ListOf("another").Cursor(9))}, Window{}, false},
	} {
		w, err := list.Ask(tt.args)
		if (err == nil) != tt.wantOK || (tt.wantOK && w != tt.want) {
			t.Errorf("Ask(%+v) = %+v, %v; want %+v ok=%v", tt.args, w, err, tt.want, tt.wantOK)
		}
	}
}

// TestWindowsReachEveryItemOnce pages through 37 items with first 10, with
// upstream pages of 5 and of 50, and a window starting mid-page.
func TestWindowsReachEveryItemOnce(t *testing.T) {
	const total = 37
	upstreamPage := func(size, n int) *upstream.Page[int] {
		p := &upstream.Page[int]{}
		p.Total = total
		for i := (n - 1) * size; i < min(n*size, total); i++ {
			p.Items = append(p.Items, i)
		}
		p.Errs = make([]error, len(p.Items))
		return p
	}
	for _, size := range []int{5, 20, 50} {
		t.Run(fmt.Sprint("pages of ", size), func(t *testing.T) {
			var seen []int
			var after *string
			calls := 0
			for range 10 {
				w, err := list.Ask(Args{First: intp(10), After: after})
				if err != nil {
					t.Fatal(err)
				}
				var pages []*upstream.Page[int]
				for _, n := range w.Pages(size) {
					pages = append(pages, upstreamPage(size, n))
					calls++
				}
				r := Cut(w, size, pages)
				for _, it := range r.Items {
					seen = append(seen, it.Value)
				}
				if !r.HasNextPage {
					break
				}
				c := list.Cursor(r.Items[len(r.Items)-1].Offset)
				after = &c
			}
			want := make([]int, total)
			for i := range want {
				want[i] = i
			}
			if !slices.Equal(seen, want) {
				t.Errorf("paged through %v, want 0..36 once each in order", seen)
			}
			t.Logf("pages of %d: %d upstream pages", size, calls)
		})
	}
	// first 12 from the start, pages of 5: pages 1, 2 and 3.
	if got := (Window{0, 12}).Pages(5); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("first 12 of pages of 5 = pages %v, want [1 2 3]", got)
	}
	if got := (Window{7, 0}).Pages(5); !slices.Equal(got, []int{2}) {
		t.Errorf("an empty window needs its page for the total: %v", got)
	}
}
