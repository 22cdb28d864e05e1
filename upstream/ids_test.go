package upstream_test

import (
	"strings"
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

func TestCanonicalPostID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1234567890123456789", "1234567890123456789", true},
		{"0042", "42", true},
		{"9223372036854775808", "", false},
		{"0", "", false},
		{"..", "", false},
		{"4.2e1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := upstream.CanonicalPostID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalPostID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range tests { // comment ids are numbered alike
		got, ok := upstream.CanonicalCommentID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalCommentID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCanonicalUUID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b", "0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b", true},
		{"0B6F9A1E-3C2D-4E5F-8A9B-1C2D3E4F5A6B", "0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b", true},
		{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", true},
		{"0b6f9a1e3c2d4e5f8a9b1c2d3e4f5a6b", "", false},       // no dashes
		{"{0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b}", "", false}, // braces
		{"0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6g", "", false},   // g
		{"0b6f9a1e-3c2d-4e5f-8a9b1-c2d3e4f5a6b", "", false},   // a dash out of place
		{"0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a6", "", false},    // short
		{"..", "", false},
		{"", "", false},
		{"0b6f9a1e-3c2d-4e5f-8a9b-1c2d3e4f5a٦b", "", false}, // a non-ASCII digit
	}
	for _, tt := range tests {
		got, ok := upstream.CanonicalUUID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalUUID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestValidSlug(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"tafsir-circle", true},
		{"Aisha.R_99", true},
		{"a", true},
		{"...", true}, // odd, but no path step
		{".a", true},
		{strings.Repeat("x", 64), true},
		{strings.Repeat("x", 65), false},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a b", false},
		{"a?b", false},
		{"a#b", false},
		{"%2e%2e", false},
		{"a\\b", false},
		{"عائشة", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		if got := upstream.ValidSlug(tt.in); got != tt.ok {
			t.Errorf("ValidSlug(%q) = %v, want %v", tt.in, got, tt.ok)
		}
	}
}
