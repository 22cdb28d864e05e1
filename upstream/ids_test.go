package upstream_test

import (
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

func TestCanonicalRoomID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"7", "7", true},
		{"007", "7", true},
		{"9223372036854775807", "9223372036854775807", true},
		{"09223372036854775807", "9223372036854775807", true},
		{"9223372036854775808", "", false},
		{"99999999999999999999", "", false},
		{"0", "", false},
		{"000", "", false},
		{"", "", false},
		{"-1", "", false},
		{"+1", "", false},
		{"1e3", "", false},
		{"1.0", "", false},
		{" 1", "", false},
		{"١٢", "", false}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tt := range tests {
		got, ok := upstream.CanonicalRoomID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalRoomID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
