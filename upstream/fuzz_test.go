package upstream

import (
	stdjson "encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// FuzzCanonicalRoomID: an accepted id is canonical digits within int64, and
// agrees with strconv for the inputs strconv understands.
func FuzzCanonicalRoomID(f *testing.F) {
	for _, s := range []string{"1", "007", "0", "", "-1", "+1", "1e3", "9223372036854775807",
		"9223372036854775808", "09223372036854775807", "١٢", " 1", "1 ", "0x10", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := CanonicalRoomID(s)
		n, err := strconv.ParseInt(s, 10, 64)
		strconvOK := err == nil && n > 0 && strings.Trim(s, "0123456789") == ""
		if ok != strconvOK {
			t.Fatalf("CanonicalRoomID(%q) ok=%v, strconv says %v (%d, %v)", s, ok, strconvOK, n, err)
		}
		if !ok {
			return
		}
		if id != strconv.FormatInt(n, 10) {
			t.Fatalf("CanonicalRoomID(%q) = %q, want %d", s, id, n)
		}
		if again, _ := CanonicalRoomID(id); again != id {
			t.Fatalf("not idempotent: %q -> %q", id, again)
		}
	})
}

// FuzzDecodeRoom: any body either decodes into a room with every required field
// or fails with ErrMalformed; it never panics.
func FuzzDecodeRoom(f *testing.F) {
	f.Add([]byte(`{"id": 1234567890123456789, "name": "n", "description": "d", "roomType": "group", "isActive": true,
	 "isVerified": false, "isPublic": true, "isOwner": false, "isAdmin": false, "ownerId": "u", "postsCount": 1,
	 "membersCount": 2, "avatarUrls": {}, "createdAt": "2023-01-01T00:00:00Z",
	 "mutualFollowers": [{"id": "x", "avatarUrls": {}, "createdAt": "2000-01-21 00:00:00", "joiningYear": 2000}]}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(``))
	f.Add([]byte(`{"id": 1e400}`))
	f.Add([]byte(`{"id": "7", "mutualFollowers": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		room, err := decodeRoom(body, func(string, ...any) {})
		if err != nil {
			if room != nil {
				t.Fatal("a room and an error")
			}
			return
		}
		if _, ok := CanonicalRoomID(room.ID); !ok {
			t.Fatalf("accepted room id %q", room.ID)
		}
		if room.RoomType != nil && *room.RoomType != RoomTypeGroup && *room.RoomType != RoomTypePage {
			t.Fatalf("room type %q", *room.RoomType)
		}
		for _, u := range room.MutualFollowers {
			if u.CreatedAt.Location().String() != "UTC" {
				t.Fatalf("user date not in UTC: %v", u.CreatedAt)
			}
		}
	})
}

// FuzzDecodeMatchesStdlib: the fast decoder and encoding/json agree on every
// body: the same wire room, or both refuse it.
func FuzzDecodeMatchesStdlib(f *testing.F) {
	f.Add([]byte(`{"id": 12345678901234567890123, "name": "n", "mutualFollowers": [{"id": "u", "joiningYear": "2000"}], "avatarUrls": {"thumb": null}}`))
	f.Add([]byte(`{"id": "7", "isActive": true, "postsCount": 1.5}`))
	f.Add([]byte(`{"name": "\ud800", "description": "\u00e9\n"}`))
	f.Add([]byte(`{"id": 1, "id": 2}`))
	f.Add([]byte(`{"settings": {"ayahLanguages": [1, 2, null]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, std wireRoom
		errFast := json.Unmarshal(body, &fast)
		errStd := stdjson.Unmarshal(body, &std)
		if (errFast == nil) != (errStd == nil) {
			t.Fatalf("fast error %v, encoding/json error %v, for %q", errFast, errStd, body)
		}
		if errStd == nil && !reflect.DeepEqual(fast, std) {
			t.Fatalf("decoders disagree on %q:\nfast %+v\nstd  %+v", body, fast, std)
		}
	})
}

// FuzzValidSlug: a slug ValidSlug accepts is one path segment, sent as it is,
// and never a step up or sideways.
func FuzzValidSlug(f *testing.F) {
	for _, s := range []string{"a", ".", "..", "...", "a/b", "%2e", "tafsir-circle", "A.b_c-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidSlug(s) {
			return
		}
		got, err := expandPath("", "/v1/{slug}", []string{s})
		if err != nil || got != "/v1/"+s || s == "." || s == ".." || len(s) > 64 {
			t.Fatalf("ValidSlug(%q) accepted it; expandPath gives %q, %v", s, got, err)
		}
	})
}

// FuzzCanonicalUUID: an accepted id is 36 bytes of lower-case hex and dashes,
// the same id in any case.
func FuzzCanonicalUUID(f *testing.F) {
	for _, s := range []string{"0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b", "0B6F9A1E-3C2D-4E5F-8A9B-1C2D3E4F5A6B", "..", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := CanonicalUUID(s)
		if !ok {
			return
		}
		if len(id) != 36 || strings.Trim(id, "0123456789abcdef-") != "" || !strings.EqualFold(id, s) || strings.Count(id, "-") != 4 {
			t.Fatalf("CanonicalUUID(%q) = %q", s, id)
		}
	})
}

// FuzzDecodePost: any body either decodes into a post with a canonical id and
// known enums, or fails; it never panics. So does the page around it.
func FuzzDecodePost(f *testing.F) {
	f.Add([]byte(`{"id": 1234567890123456789, "authorId": "u", "roomId": 0, "createdAt": "2025-01-01T00:00:00Z",
	 "tags": [{"id": 1}, {}], "references": [{"chapterId": 2, "from": 1}], "room": {"id": "7", "roomType": "PAGE"},
	 "author": {"id": "u"}, "roomPostStatus": 9}`))
	f.Add([]byte(`{"id": "42", "updatedAt": "2025-01-01 00:00:00", "room": 5, "author": [], "tags": {}}`))
	f.Add([]byte(`{"total": 1, "data": [{"id": 1, "createdAt": "2025-01-01T00:00:00Z"}, null, 7]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		warn := func(string, ...any) {}
		if p, err := decodePost(body, warn); err == nil {
			if _, ok := CanonicalPostID(p.ID); !ok {
				t.Fatalf("accepted post id %q", p.ID)
			}
			if p.RoomPostStatus != nil && (*p.RoomPostStatus < 0 || *p.RoomPostStatus > 2) {
				t.Fatalf("roomPostStatus %d", *p.RoomPostStatus)
			}
			if p.CreatedAt.IsZero() && p.UpdatedAt.IsZero() {
				t.Fatal("a post without a date")
			}
		}
		page, err := decodePage(body, "data", ListQuery{Page: 1, Limit: 20}, decodePost, warn)
		if err == nil && (len(page.Items) != len(page.Errs) || page.Total < 0 || page.Pages < 0) {
			t.Fatalf("page %+v", page)
		}
	})
}

// FuzzDecodeTags: the tag list, in either shape, and the trending tags never
// panic; a page keeps one error slot per item and no negative count, and a
// trending tag always has a name.
func FuzzDecodeTags(f *testing.F) {
	f.Add([]byte(`[{"id": 7, "name": "patience", "language": "en"}, {"name": "no id"}]`))
	f.Add([]byte(`{"total": 3, "data": [{"id": "12"}]}`))
	f.Add([]byte(`{"data": [{"name": "ramadan"}, "dua", 3, null]}`))
	f.Add([]byte(` ["a", ""]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		warn := func(string, ...any) {}
		asked := ListQuery{Page: 2, Limit: 3}
		if bareArray(body) {
			if p, err := decodeBarePage(body, asked, tagItem, warn); err == nil &&
				(len(p.Items) != len(p.Errs) || p.Total < 0 || p.Pages < 0 || p.CurrentPage != 2) {
				t.Fatalf("page %+v", p)
			}
		}
		if tags, err := decodeTrendingTags(body, warn); err == nil {
			for _, tag := range tags {
				if tag.Name == "" {
					t.Fatalf("a trending tag without a name: %+v", tag)
				}
			}
		}
	})
}
