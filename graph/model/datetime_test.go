package model

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// TestMarshalDateTime: a DateTime is its RFC 3339 form in UTC, as a JSON
// string, whatever the zone and precision it comes in, and it reads back.
func TestMarshalDateTime(t *testing.T) {
	plus3 := time.FixedZone("", 3*3600)
	for _, tm := range []time.Time{
		time.Date(2000, 1, 21, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 123456789, plus3),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		var b bytes.Buffer
		MarshalDateTime(tm).MarshalGQL(&b)
		want := strconv.Quote(tm.UTC().Format(time.RFC3339Nano))
		if b.String() != want {
			t.Errorf("%v: wrote %s, want %s", tm, b.String(), want)
		}
		s, err := strconv.Unquote(b.String())
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalDateTime(s)
		if err != nil || !back.Equal(tm) {
			t.Errorf("%s read back as %v, %v", s, back, err)
		}
	}
}
