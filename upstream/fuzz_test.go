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
