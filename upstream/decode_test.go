package upstream

import (
	"testing"
	"time"
)

// TestParseTime: every form the upstream uses, read as the same instant
// whichever layout is tried first, and anything else refused.
func TestParseTime(t *testing.T) {
	utc := time.Date(2000, 1, 21, 13, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2000-01-21T13:04:05Z", utc},
		{"2000-01-21T13:04:05.000Z", utc},
		{"2000-01-21T15:04:05+02:00", utc},
		{"2000-01-21T13:04:05", utc},
		{"2000-01-21 13:04:05", utc},
		{"2000-01-21 15:04:05+02:00", utc},
	} {
		got, err := parseTime(tt.in)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "2000-01-21", "21/01/2000 13:04:05", "2000-01-21 13:04", "2000-01-21X13:04:05"} {
		if got, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", bad, got)
		}
	}
}

// BenchmarkParseTime is a user's date, which every mutual follower has.
func BenchmarkParseTime(b *testing.B) {
	for b.Loop() {
		if _, err := parseTime("2000-01-21 13:04:05"); err != nil {
			b.Fatal(err)
		}
	}
}
